package cluster

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// machineSettle is how long a Cluster waits after one of its Machines
// changed before it reconciles: the Machines of a pool change in quick
// succession, and one status update for all of them costs the API server
// a fortieth of one per Machine.
const machineSettle = 500 * time.Millisecond

// ownerOf maps a Machine to the Cluster that controls it.
func ownerOf(obj client.Object) []reconcile.Request {
	owner := metav1.GetControllerOf(obj)
	if owner == nil || owner.Kind != "Cluster" || owner.APIVersion != kumov1.GroupVersion.String() {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: owner.Name}}}
}
