package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// NewScheme returns a scheme with the built-in Kubernetes kinds and Kumo's:
// what a client of the management API (kumoctl, the manager) needs. It lives
// beside the types so that a client links the API, not the controllers.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err) // static registrations: fails only on a programming error
	}
	if err := AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// KubeconfigSecretName is the Secret, in the cluster's namespace, that holds
// a cluster's admin kubeconfig under KubeconfigSecretKey.
func KubeconfigSecretName(cluster string) string { return cluster + "-kubeconfig" }

// KubeconfigSecretKey is the data key of the kubeconfig in that Secret.
const KubeconfigSecretKey = "value"
