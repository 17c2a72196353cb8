package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// A team's quota is the TeamQuota named TeamQuotaName in the team's
// namespace; the platform-wide defaults are the TeamQuota DefaultQuotaName
// in DefaultQuotaNamespace. The kind is not called Quota because kubectl
// already reads "quota" as the core ResourceQuota.
const (
	TeamQuotaName         = "team"
	DefaultQuotaNamespace = "kumo-system"
	DefaultQuotaName      = "default"
)

// TeamQuotaSpec holds a team's limits. A limit left out is the platform
// default's (the TeamQuota kumo-system/default); left out there too, there
// is no limit. Operators set them (`kumo tenant add TEAM --max-clusters N`
// or kubectl); tenants may only read them.
type TeamQuotaSpec struct {
	// MaxClusters is how many clusters the team may have.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxClusters *int64 `json:"maxClusters,omitempty"`
	// MaxNodes is how many nodes the team's clusters may have together
	// (the replicas of all their node pools).
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxNodes *int64 `json:"maxNodes,omitempty"`
	// MaxVCPUs is how many vCPUs those nodes may have together, by the
	// flavors of their pools.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxVCPUs *int64 `json:"maxVCPUs,omitempty"`
}

// QuotaUsage is an amount of each resource a quota limits.
type QuotaUsage struct {
	Clusters int64 `json:"clusters"`
	Nodes    int64 `json:"nodes"`
	VCPUs    int64 `json:"vcpus"`
}

// QuotaLimits are the limits in effect; one left out is no limit.
type QuotaLimits struct {
	// +optional
	Clusters *int64 `json:"clusters,omitempty"`
	// +optional
	Nodes *int64 `json:"nodes,omitempty"`
	// +optional
	VCPUs *int64 `json:"vcpus,omitempty"`
}

// QuotaReservation is a write to a cluster that admission let through and
// counted, which the quota controller has not seen yet. It keeps the
// count from dropping while the write is on its way, and is dropped once
// the controller sees the cluster at that generation (or a later one), or
// after a minute, when the write failed after admission.
type QuotaReservation struct {
	// Cluster is the cluster's name.
	Cluster string `json:"cluster"`
	// UID is the cluster's UID.
	UID types.UID `json:"uid"`
	// Generation is the cluster's generation after the write.
	Generation int64 `json:"generation"`
	// Usage is what the cluster takes after the write.
	Usage QuotaUsage `json:"usage"`
	// Time is when the write was admitted.
	Time metav1.Time `json:"time"`
}

// TeamQuotaStatus is what the team uses against its limits.
type TeamQuotaStatus struct {
	// Limits are the limits in effect: the spec's, else the platform
	// default's. A limit left out is no limit.
	// +optional
	Limits QuotaLimits `json:"limits,omitempty"`
	// Used is what the team's clusters take, clusters being deleted aside,
	// plus what admitted writes still on their way will take. Absent until
	// first counted.
	// +optional
	Used *QuotaUsage `json:"used,omitempty"`
	// Clusters, Nodes and VCPUs are "used/limit" ("none" for no limit),
	// for display.
	// +optional
	Clusters string `json:"clusters,omitempty"`
	// +optional
	Nodes string `json:"nodes,omitempty"`
	// +optional
	VCPUs string `json:"vcpus,omitempty"`
	// Reservations are admitted writes not counted from the clusters yet.
	// +optional
	// +listType=map
	// +listMapKey=uid
	Reservations []QuotaReservation `json:"reservations,omitempty"`
	// ObservedGeneration is the generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: WithinQuota is false (reason OverQuota) while the team
	// uses more than a limit, which happens when an operator lowers a
	// limit below what exists.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TeamQuota limits what a team's clusters may take: clusters, nodes and
// vCPUs. It lives in the team's namespace, named "team". Admission refuses
// a create or scale-up that would pass a limit; what exists stays when a
// limit is lowered below it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tq
// +kubebuilder:printcolumn:name="Clusters",type=string,JSONPath=`.status.clusters`
// +kubebuilder:printcolumn:name="Nodes",type=string,JSONPath=`.status.nodes`
// +kubebuilder:printcolumn:name="vCPUs",type=string,JSONPath=`.status.vcpus`
// +kubebuilder:printcolumn:name="Within Quota",type=string,JSONPath=`.status.conditions[?(@.type=="WithinQuota")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TeamQuota struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec   TeamQuotaSpec   `json:"spec,omitempty"`
	Status TeamQuotaStatus `json:"status,omitempty"`
}

// TeamQuotaList is a list of TeamQuotas.
// +kubebuilder:object:root=true
type TeamQuotaList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TeamQuota `json:"items"`
}

// Limits are the limits in effect for a team whose quota is spec, given
// the platform defaults (nil when there are none).
func (spec TeamQuotaSpec) Limits(defaults *TeamQuotaSpec) QuotaLimits {
	pick := func(own *int64, def func(*TeamQuotaSpec) *int64) *int64 {
		if own != nil {
			return own
		}
		if defaults != nil {
			return def(defaults)
		}
		return nil
	}
	return QuotaLimits{
		Clusters: pick(spec.MaxClusters, func(d *TeamQuotaSpec) *int64 { return d.MaxClusters }),
		Nodes:    pick(spec.MaxNodes, func(d *TeamQuotaSpec) *int64 { return d.MaxNodes }),
		VCPUs:    pick(spec.MaxVCPUs, func(d *TeamQuotaSpec) *int64 { return d.MaxVCPUs }),
	}
}

// None reports whether no limit applies.
func (l QuotaLimits) None() bool { return l.Clusters == nil && l.Nodes == nil && l.VCPUs == nil }

func init() {
	register(&TeamQuota{}, &TeamQuotaList{})
}
