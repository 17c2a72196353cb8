// Package simload applies the CPU load that `kumo sim load` records in the
// ConfigMap kumo-system/kumo-sim-load to the manager's sim cloud: the API is
// the record, the sim's load is derived from it on every change and start.
package simload
