package cluster

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// roomRetry is how often a cluster whose control plane the platform has no
// room for asks again.
const roomRetry = 10 * time.Second

// waitForRoom records that the control plane cannot start until the
// platform has room for it (reason says what it lacks), with a Warning
// event when that begins, not on every retry. The cluster is Pending.
func (r *Reconciler) waitForRoom(s *scope, reason, msg string) ctrl.Result {
	s.waiting = true
	if c := meta.FindStatusCondition(s.cluster.Status.Conditions, kumov1.ControlPlaneReadyCondition); c == nil || c.Reason != reason {
		r.event(s.cluster, corev1.EventTypeWarning, reason, "%s", msg)
	}
	setCondition(s.cluster, kumov1.ControlPlaneReadyCondition, false, reason, msg)
	return ctrl.Result{RequeueAfter: roomRetry}
}
