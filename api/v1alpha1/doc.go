// Package v1alpha1 holds Kumo's API: Regions (clouds), Clusters (tenant
// Kubernetes clusters) and Machines (one VM each), in the group kumo.dev.
// Validation lives here as OpenAPI and CEL markers so the API server itself
// refuses bad specs.
// +kubebuilder:object:generate=true
// +groupName=kumo.dev
package v1alpha1
