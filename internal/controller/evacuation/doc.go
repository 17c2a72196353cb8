// Package evacuation moves nodes off hypervisors whose other VMs take their
// CPU. It reads each VM's steal (from Prometheus' recording rules, or from
// the sim cloud when there is no Prometheus), keeps how long each node has
// suffered on its Machine, decides per Region within the region's limits
// which nodes move (decide.go, a pure function), and moves them as the
// ClusterMigration controller moves a cluster's nodes: a replacement
// Machine on another hypervisor first, Ready, then the old node cordoned
// and drained through the eviction API, then the old Machine deleted.
package evacuation
