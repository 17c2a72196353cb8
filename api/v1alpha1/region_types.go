package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProviderType names the cloud API that serves a Region.
// +kubebuilder:validation:Enum=sim;openstack
type ProviderType string

const (
	// ProviderSim is Kumo's in-process simulated private cloud.
	ProviderSim ProviderType = "sim"
	// ProviderOpenStack is an OpenStack cloud reached through Nova and Neutron.
	ProviderOpenStack ProviderType = "openstack"
)

// RegionSpec describes one cloud that clusters can run in.
// +kubebuilder:validation:XValidation:rule="self.provider != 'sim' || has(self.hypervisors)",message="a sim region needs spec.hypervisors (count, cores, memoryGiB)"
type RegionSpec struct {
	// Provider is the cloud API behind this region; empty means sim.
	// +kubebuilder:default=sim
	// +optional
	Provider ProviderType `json:"provider,omitempty"`

	// DisplayName is a human-friendly name, e.g. "Tokyo (DC1)".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DisplayName string `json:"displayName,omitempty"`

	// CPUOvercommitRatio is how many vCPUs are sold per physical core.
	// +kubebuilder:default=4
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=16
	CPUOvercommitRatio int32 `json:"cpuOvercommitRatio,omitempty"`

	// Hypervisors describes the hypervisor fleet of a sim region.
	// +optional
	Hypervisors *HypervisorFleet `json:"hypervisors,omitempty"`

	// Default marks the region that new clusters naming no region run in
	// (`kumoctl cluster create` without --region) while it is Ready, offers
	// the cluster's flavor and has room for it. Operators mark one; without
	// one, or when it cannot take the cluster, the Ready region with the
	// most free vCPUs that fits the cluster is the default.
	// +optional
	Default bool `json:"default,omitempty"`

	// Evacuation moves nodes off hypervisors whose other VMs take their
	// CPU (steal).
	// +optional
	Evacuation *EvacuationPolicy `json:"evacuation,omitempty"`
}

// EvacuationPolicy says when a node that loses CPU to steal is moved to
// another hypervisor, and how many may move at once.
type EvacuationPolicy struct {
	// Enabled turns evacuation on for the region.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// StealPercent is the share of a node's CPU time lost to steal above
	// which it suffers.
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	StealPercent int32 `json:"stealPercent,omitempty"`
	// For is how long a node must suffer, without a break in the data,
	// before it is evacuated.
	// +kubebuilder:default="5m"
	// +optional
	For *metav1.Duration `json:"for,omitempty"`
	// DryRun decides and reports (events, metrics) but moves nothing.
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// MaxConcurrentPerCluster is how many nodes of one cluster are moved at once.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxConcurrentPerCluster int32 `json:"maxConcurrentPerCluster,omitempty"`
	// MaxPerHour is how many evacuations may start in the region in any
	// hour: a whole region gone noisy moves no more than this.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxPerHour int32 `json:"maxPerHour,omitempty"`
	// Cooldown is how long after an evacuation of a cluster's node starts
	// before another of its nodes may start.
	// +kubebuilder:default="10m"
	// +optional
	Cooldown *metav1.Duration `json:"cooldown,omitempty"`
}

// HypervisorFleet is a set of identical hypervisors.
type HypervisorFleet struct {
	// Count is the number of hypervisors.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000
	Count int32 `json:"count"`
	// Cores is the number of physical CPU cores of each hypervisor.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1024
	Cores int32 `json:"cores"`
	// MemoryGiB is the memory of each hypervisor.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65536
	MemoryGiB int32 `json:"memoryGiB"`
}

// RegionStatus reports the region's capacity as the cloud sees it. The
// counts default to 0, so an empty region shows 0, not a blank.
type RegionStatus struct {
	// Hypervisors is the number of hypervisors in the region.
	// +optional
	// +kubebuilder:default=0
	Hypervisors int32 `json:"hypervisors"`
	// VCPUs is the region's sellable vCPUs (cores x overcommit).
	// +optional
	// +kubebuilder:default=0
	VCPUs int64 `json:"vcpus"`
	// UsedVCPUs is the vCPUs allocated to VMs.
	// +optional
	// +kubebuilder:default=0
	UsedVCPUs int64 `json:"usedVCPUs"`
	// MemoryGiB is the region's memory.
	// +optional
	// +kubebuilder:default=0
	MemoryGiB int64 `json:"memoryGiB"`
	// UsedMemoryGiB is the memory allocated to VMs.
	// +optional
	// +kubebuilder:default=0
	UsedMemoryGiB int64 `json:"usedMemoryGiB"`
	// Servers is the number of VMs in the region.
	// +optional
	// +kubebuilder:default=0
	Servers int32 `json:"servers"`
	// Flavors are the VM sizes the region offers.
	// +optional
	// +listType=map
	// +listMapKey=name
	Flavors []FlavorInfo `json:"flavors,omitempty"`
	// ObservedGeneration is the generation this status describes.
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Ready is true when the cloud answers.
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// FlavorInfo is one VM size.
type FlavorInfo struct {
	Name      string `json:"name"`
	VCPUs     int32  `json:"vcpus"`
	MemoryMiB int64  `json:"memoryMiB"`
}

// Region is one cloud (an OpenStack installation, or a simulated one).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=rg
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Default",type=boolean,JSONPath=`.spec.default`
// +kubebuilder:printcolumn:name="Hypervisors",type=integer,JSONPath=`.status.hypervisors`
// +kubebuilder:printcolumn:name="vCPUs",type=integer,JSONPath=`.status.vcpus`
// +kubebuilder:printcolumn:name="Used",type=integer,JSONPath=`.status.usedVCPUs`
// +kubebuilder:printcolumn:name="Servers",type=integer,JSONPath=`.status.servers`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Region struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   RegionSpec   `json:"spec,omitempty"`
	Status RegionStatus `json:"status,omitempty"`
}

// RegionList is a list of Regions.
// +kubebuilder:object:root=true
type RegionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Region `json:"items"`
}

func init() {
	register(&Region{}, &RegionList{})
}
