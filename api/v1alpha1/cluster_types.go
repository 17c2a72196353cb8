package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterSpec is what a tenant asks for.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.controlPlane) || !has(oldSelf.controlPlane.endpoint) || (has(self.controlPlane) && has(self.controlPlane.endpoint))",message="controlPlane.endpoint is set by Kumo and cannot be removed",fieldPath=".controlPlane.endpoint"
type ClusterSpec struct {
	// Version is the Kubernetes version, "1.36" (newest patch) or "1.36.3".
	// +kubebuilder:validation:Pattern=`^1\.[0-9]{1,2}(\.[0-9]{1,3})?$`
	// +kubebuilder:validation:MaxLength=12
	Version string `json:"version"`

	// Region is the Region the cluster was created in. It cannot change:
	// moving a cluster to another region is what a ClusterMigration is
	// for, and where its workers run now is status.region.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="region is immutable; to move a cluster to another region create a ClusterMigration"
	Region string `json:"region"`

	// ControlPlane configures the hosted control plane.
	// +optional
	ControlPlane ControlPlaneSpec `json:"controlPlane,omitempty"`

	// NodePools are groups of identical worker nodes.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	// +optional
	NodePools []NodePool `json:"nodePools,omitempty"`

	// Paused stops the controllers from changing anything of this cluster.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// Evacuation lets the cluster opt out of its region's evacuation of
	// nodes that lose CPU to noisy neighbours.
	// +optional
	Evacuation *ClusterEvacuation `json:"evacuation,omitempty"`
}

// ClusterEvacuation is a cluster's say in its region's evacuation policy.
type ClusterEvacuation struct {
	// Enabled false keeps the cluster's nodes where they are however much
	// CPU they lose to steal (the region reports it in events). Unset or
	// true follows the region.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
}

// EvacuationOptedOut reports whether the cluster opted out of evacuation.
func (c *Cluster) EvacuationOptedOut() bool {
	return c.Spec.Evacuation != nil && c.Spec.Evacuation.Enabled != nil && !*c.Spec.Evacuation.Enabled
}

// ControlPlaneSpec configures the hosted control plane of a cluster.
type ControlPlaneSpec struct {
	// Endpoint is where the cluster's API server listens. Kumo sets it when
	// the control plane is first created; it never changes afterwards.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="controlPlane.endpoint is set by Kumo and cannot change"
	Endpoint *APIEndpoint `json:"endpoint,omitempty"`
}

// APIEndpoint is a host and port.
type APIEndpoint struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
}

// NodePool is a group of identical worker nodes.
type NodePool struct {
	// Name of the pool, a DNS label such as "default" or "gpu".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Replicas is the number of nodes.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas int32 `json:"replicas"`

	// Flavor is the VM size, "<family>.<size>" such as m1.medium.
	// +kubebuilder:default="m1.medium"
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9-]*\.[a-z0-9]+$`
	// +kubebuilder:validation:MaxLength=63
	Flavor string `json:"flavor,omitempty"`
}

// ClusterPhase is a one-word summary of a cluster's state.
type ClusterPhase string

const (
	// ClusterPending: the cluster waits for room on the platform before
	// its control plane can start (the Ready condition says what it
	// lacks, e.g. InsufficientHostMemory).
	ClusterPending      ClusterPhase = "Pending"
	ClusterProvisioning ClusterPhase = "Provisioning"
	ClusterReady        ClusterPhase = "Ready"
	ClusterScaling      ClusterPhase = "Scaling"
	// ClusterMigrating: a ClusterMigration moves the cluster's workers.
	ClusterMigrating ClusterPhase = "Migrating"
	// ClusterStarting: the cluster was Ready and its control plane is
	// starting again (after a restart of the platform, or of a component)
	// and does not answer yet.
	ClusterStarting ClusterPhase = "Starting"
	// ClusterDegraded: the cluster was Ready and lost nodes without its
	// spec changing, or a control-plane component failed; the Ready
	// condition says why.
	ClusterDegraded ClusterPhase = "Degraded"
	ClusterDeleting ClusterPhase = "Deleting"
	ClusterFailed   ClusterPhase = "Failed"
)

// ClusterStatus is what Kumo observed of a cluster.
type ClusterStatus struct {
	// Phase summarises the conditions: Pending, Provisioning, Ready, Scaling, Migrating, Starting, Degraded, Deleting or Failed.
	// +optional
	Phase ClusterPhase `json:"phase,omitempty"`
	// Region is where the cluster's workers run and new nodes are made:
	// spec.region until a ClusterMigration completes, then its target.
	// Only the migration controller changes it.
	// +optional
	Region string `json:"region,omitempty"`
	// MigratingTo is the target region of the cluster's active
	// ClusterMigration. While it is set, the migration controller alone
	// creates and deletes the cluster's Machines and node pools cannot change.
	// +optional
	MigratingTo string `json:"migratingTo,omitempty"`
	// Version is the Kubernetes version the control plane runs.
	// +optional
	Version string `json:"version,omitempty"`
	// Nodes is "ready/desired", for display.
	// +optional
	Nodes string `json:"nodes,omitempty"`
	// ReadyNodes counts the Ready nodes of all pools.
	// +optional
	ReadyNodes int32 `json:"readyNodes"`
	// DesiredNodes is the sum of the pools' replicas.
	// +optional
	DesiredNodes int32 `json:"desiredNodes"`
	// NodePools reports each pool.
	// +optional
	// +listType=map
	// +listMapKey=name
	NodePools []NodePoolStatus `json:"nodePools,omitempty"`
	// KubeconfigSecret names the Secret (key "value") holding an admin kubeconfig.
	// +optional
	KubeconfigSecret string `json:"kubeconfigSecret,omitempty"`
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: ControlPlaneReady, NodesReady and their summary Ready;
	// VersionSupported, which Ready leaves out.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// NodePoolStatus reports one node pool.
type NodePoolStatus struct {
	Name string `json:"name"`
	// Replicas is the number of Machines that exist for the pool.
	Replicas int32 `json:"replicas"`
	// ReadyReplicas is the number of them whose Node is Ready.
	ReadyReplicas int32 `json:"readyReplicas"`
}

// Cluster is a tenant Kubernetes cluster. Its namespace is the tenant team.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=kc
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.status.region`
// +kubebuilder:printcolumn:name="Migrating-To",type=string,JSONPath=`.status.migratingTo`,priority=1
// +kubebuilder:validation:XValidation:rule="!has(self.status) || !has(self.status.migratingTo) || size(self.status.migratingTo) == 0 || (has(self.spec.nodePools) == has(oldSelf.spec.nodePools) && (!has(self.spec.nodePools) || self.spec.nodePools == oldSelf.spec.nodePools))",messageExpression="'node pools cannot change while the cluster migrates to ' + self.status.migratingTo + '; wait until the migration completes or roll it back (kumoctl migrate status ' + self.metadata.name + ')'"
// +kubebuilder:printcolumn:name="Nodes",type=string,JSONPath=`.status.nodes`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   ClusterSpec   `json:"spec,omitempty"`
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}

// EffectiveRegion is where the cluster's workers run: status.region once
// set, else spec.region.
func (c *Cluster) EffectiveRegion() string {
	if c.Status.Region != "" {
		return c.Status.Region
	}
	return c.Spec.Region
}

// DesiredReplicas sums the replicas of all node pools.
func (c *Cluster) DesiredReplicas() int32 {
	var n int32
	for _, p := range c.Spec.NodePools {
		n += p.Replicas
	}
	return n
}

func init() {
	register(&Cluster{}, &ClusterList{})
}
