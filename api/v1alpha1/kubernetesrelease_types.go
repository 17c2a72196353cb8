package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReleaseState is where a Kubernetes release is in its life:
// Preview -> Supported -> Deprecated -> Removed.
// +kubebuilder:validation:Enum=Preview;Supported;Deprecated;Removed
type ReleaseState string

const (
	// ReleasePreview: new clusters may ask for it by version; it is never
	// the default nor an upgrade target.
	ReleasePreview ReleaseState = "Preview"
	// ReleaseSupported: offered for new clusters and upgrades.
	ReleaseSupported ReleaseState = "Supported"
	// ReleaseDeprecated: running clusters keep it and are told to upgrade
	// (the Cluster's VersionSupported condition); new clusters may not pick it.
	ReleaseDeprecated ReleaseState = "Deprecated"
	// ReleaseRemoved: no cluster may be created on it; clusters still on it
	// keep running, told so, until they upgrade.
	ReleaseRemoved ReleaseState = "Removed"
)

// EndOfSupportWarning is how long before a release's end of support the
// clusters on it are told to upgrade.
const EndOfSupportWarning = 60 * 24 * time.Hour

// KubernetesReleaseSpec is one entry of the platform's version catalog.
// +kubebuilder:validation:XValidation:rule="!has(self.default) || !self.default || !has(self.state) || self.state == 'Supported'",message="only a Supported release can be the default for new clusters",fieldPath=".default"
type KubernetesReleaseSpec struct {
	// Version is the exact Kubernetes version, e.g. "1.36.3".
	// +kubebuilder:validation:Pattern=`^1\.[0-9]{1,2}\.[0-9]{1,3}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="version is immutable; publish a new KubernetesRelease instead"
	Version string `json:"version"`
	// State says whether new clusters may use the release. A release moves
	// forward only: Preview, Supported, Deprecated, Removed.
	// +kubebuilder:default=Supported
	// +optional
	State ReleaseState `json:"state,omitempty"`
	// Default marks the release that new clusters naming no version get
	// (`kumoctl cluster create` without --version). Operators mark one
	// Supported release; without one, the newest Supported release is the
	// default.
	// +optional
	Default bool `json:"default,omitempty"`
	// EndOfSupport is when the platform stops supporting the release's
	// minor: tenants of clusters on it are told from EndOfSupportWarning
	// before, and Kumo may remove it afterwards.
	// +optional
	EndOfSupport *metav1.Time `json:"endOfSupport,omitempty"`
}

// KubernetesRelease is a Kubernetes version the platform offers. Operators
// publish them; tenants choose among them (`kumoctl versions`).
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=kr
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.spec.state`
// +kubebuilder:printcolumn:name="Default",type=boolean,JSONPath=`.spec.default`
// +kubebuilder:printcolumn:name="End of support",type=string,JSONPath=`.spec.endOfSupport`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type KubernetesRelease struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec KubernetesReleaseSpec `json:"spec"`
}

// KubernetesReleaseList is a list of KubernetesReleases.
// +kubebuilder:object:root=true
type KubernetesReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []KubernetesRelease `json:"items"`
}

func init() {
	register(&KubernetesRelease{}, &KubernetesReleaseList{})
}
