package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every Kumo kind.
	GroupVersion = schema.GroupVersion{Group: "kumo.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Kumo kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the Kumo kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
