package cmdutil

import (
	"context"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// Resources that hints name.
var (
	clustersResource = kumov1.GroupVersion.WithResource("clusters").GroupResource()
	regionsResource  = kumov1.GroupVersion.WithResource("regions").GroupResource()
	secretsResource  = schema.GroupResource{Resource: "secrets"}
)

// Allowed asks the API server (with a SelfSubjectAccessReview) whether the
// caller may verb resource in namespace ("": in all namespaces, or a
// cluster-scoped resource), so that a hint suggests only what its reader
// may do. Any doubt, an error included, is a no.
func Allowed(ctx context.Context, c client.Client, verb string, resource schema.GroupResource, namespace string) bool {
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: verb, Group: resource.Group, Resource: resource.Resource, Namespace: namespace,
		},
	}}
	if err := c.Create(ctx, review); err != nil {
		return false
	}
	return review.Status.Allowed
}

// MayCreateClusters reports whether the caller may create clusters in namespace.
func MayCreateClusters(ctx context.Context, c client.Client, namespace string) bool {
	return Allowed(ctx, c, "create", clustersResource, namespace)
}

// MayChangeClusters reports whether the caller may change (scale, add or
// remove node pools of) the clusters of namespace.
func MayChangeClusters(ctx context.Context, c client.Client, namespace string) bool {
	return Allowed(ctx, c, "update", clustersResource, namespace)
}

// MayReadKubeconfigs reports whether the caller may read the kubeconfig
// Secrets of namespace.
func MayReadKubeconfigs(ctx context.Context, c client.Client, namespace string) bool {
	return Allowed(ctx, c, "get", secretsResource, namespace)
}
