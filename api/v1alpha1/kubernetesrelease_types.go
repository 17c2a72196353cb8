package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReleaseState is where a Kubernetes release is in its life.
// +kubebuilder:validation:Enum=Supported;Deprecated
type ReleaseState string

const (
	// ReleaseSupported: offered for new clusters and upgrades.
	ReleaseSupported ReleaseState = "Supported"
	// ReleaseDeprecated: running clusters keep it; new clusters should not pick it.
	ReleaseDeprecated ReleaseState = "Deprecated"
)

// KubernetesReleaseSpec is one entry of the platform's version catalog.
type KubernetesReleaseSpec struct {
	// Version is the exact Kubernetes version, e.g. "1.36.3".
	// +kubebuilder:validation:Pattern=`^1\.[0-9]{1,2}\.[0-9]{1,3}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="version is immutable; publish a new KubernetesRelease instead"
	Version string `json:"version"`
	// State says whether new clusters may use the release.
	// +kubebuilder:default=Supported
	// +optional
	State ReleaseState `json:"state,omitempty"`
	// Default marks the release that new clusters naming no version get
	// (`kumoctl cluster create` without --version). Operators mark one
	// Supported release; without one, the newest Supported release is the
	// default.
	// +optional
	Default bool `json:"default,omitempty"`
}

// KubernetesRelease is a Kubernetes version the platform offers. Operators
// publish them; tenants choose among them (`kumoctl versions`).
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=kr
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.spec.state`
// +kubebuilder:printcolumn:name="Default",type=boolean,JSONPath=`.spec.default`
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
