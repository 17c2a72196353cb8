package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MachineFinalizer keeps a Machine until its Node is drained and its VM
// deleted. The cluster controller sets it when it creates a Machine, which
// saves the machine controller a write per Machine.
const MachineFinalizer = "kumo.dev/machine"

// MachineSpec is one worker VM of a cluster. Kumo creates Machines from a
// Cluster's node pools; every field is fixed at creation.
// +kubebuilder:validation:XValidation:rule="self == oldSelf || (has(oldSelf.providerID) == false && self.clusterName == oldSelf.clusterName && self.pool == oldSelf.pool && self.region == oldSelf.region && self.flavor == oldSelf.flavor)",message="a Machine's spec cannot change once its VM exists; delete the Machine instead"
type MachineSpec struct {
	// ClusterName is the Cluster (in the same namespace) this Machine belongs to.
	// +kubebuilder:validation:MinLength=1
	ClusterName string `json:"clusterName"`
	// Pool is the node pool.
	// +kubebuilder:validation:MinLength=1
	Pool string `json:"pool"`
	// Region is the Region the VM runs in.
	// +kubebuilder:validation:MinLength=1
	Region string `json:"region"`
	// Flavor is the VM size.
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]*\.[a-z0-9]+$`
	Flavor string `json:"flavor"`
	// Placement constrains where the cloud puts the VM.
	// +optional
	Placement *Placement `json:"placement,omitempty"`
	// ProviderID identifies the VM, "<provider>://<region>/<server-id>"; set once the VM exists.
	// +optional
	ProviderID string `json:"providerID,omitempty"`
}

// Placement is a hint to the cloud's scheduler about where a VM goes.
type Placement struct {
	// DifferentHostFrom lists server IDs whose hypervisors the VM must not
	// run on (OpenStack's different_host scheduler hint): an evacuation's
	// replacement names the VM it leaves.
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +optional
	DifferentHostFrom []string `json:"differentHostFrom,omitempty"`
}

// MachinePhase is a one-word summary of a Machine's state.
type MachinePhase string

const (
	MachinePending      MachinePhase = "Pending"
	MachineProvisioning MachinePhase = "Provisioning"
	MachineRunning      MachinePhase = "Running"
	MachineDeleting     MachinePhase = "Deleting"
	MachineFailed       MachinePhase = "Failed"
)

// MachineStatus is what Kumo observed of a Machine.
type MachineStatus struct {
	// +optional
	Phase MachinePhase `json:"phase,omitempty"`
	// Hypervisor is the host the VM was placed on.
	// +optional
	Hypervisor string `json:"hypervisor,omitempty"`
	// NodeName is the tenant cluster's Node for this VM.
	// +optional
	NodeName string `json:"nodeName,omitempty"`
	// Address is the VM's IP address.
	// +optional
	Address string `json:"address,omitempty"`
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: VMReady, NodeReady and their summary Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Machine is one VM that is a worker node of a Cluster.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=km
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Pool",type=string,JSONPath=`.spec.pool`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Hypervisor",type=string,JSONPath=`.status.hypervisor`
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.status.nodeName`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Machine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   MachineSpec   `json:"spec,omitempty"`
	Status MachineStatus `json:"status,omitempty"`
}

// MachineList is a list of Machines.
// +kubebuilder:object:root=true
type MachineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Machine `json:"items"`
}

func init() {
	register(&Machine{}, &MachineList{})
}
