package platform

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// markControlPlanesStarting tells the truth about a restarted platform
// before its manager runs: the tenant control planes were child processes
// of the last `kumo up` and died with it, so no cluster that was Ready can
// answer until the manager has started it again. Without this, a cluster
// would read Ready for the seconds between `kumo up` and its first
// reconcile. The cluster controller sets Ready again once the API server
// answers.
func markControlPlanesStarting(ctx context.Context, c client.Client) error {
	var list kumov1.ClusterList
	if err := c.List(ctx, &list); err != nil {
		return fmt.Errorf("listing clusters: %w", err)
	}
	for i := range list.Items {
		cl := &list.Items[i]
		if !cl.DeletionTimestamp.IsZero() || !meta.IsStatusConditionTrue(cl.Status.Conditions, kumov1.ControlPlaneReadyCondition) {
			continue
		}
		// A merge patch of status alone: a user's spec change racing this
		// cannot conflict with it.
		patch := client.MergeFrom(cl.DeepCopy())
		msg := "Kumo restarted; starting the control plane again"
		for _, typ := range []string{kumov1.ControlPlaneReadyCondition, kumov1.ReadyCondition} {
			meta.SetStatusCondition(&cl.Status.Conditions, metav1.Condition{
				Type: typ, Status: metav1.ConditionFalse, Reason: kumov1.PlatformRestartedReason,
				Message: msg, ObservedGeneration: cl.Generation,
			})
		}
		// Only a cluster that was Ready is Starting again; one still being
		// created stays Provisioning.
		if cl.Status.Phase == kumov1.ClusterReady || cl.Status.Phase == kumov1.ClusterScaling {
			cl.Status.Phase = kumov1.ClusterStarting
		}
		if err := c.Status().Patch(ctx, cl, patch); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("marking cluster %s/%s as starting: %w", cl.Namespace, cl.Name, err)
		}
	}
	return nil
}

// managerLease is the manager's leader lease.
const managerLease = "kumo-manager"

// Leader lease of the platform's manager: it must outlast a hung etcd
// (detected in 15 s, replaced in a few more), during which the management
// API server cannot renew anything; a lost lease would stop Kumo.
const (
	leaseDuration = 60 * time.Second
	renewDeadline = 45 * time.Second
)

// releaseStaleLease deletes the lease of a manager that died with the last
// `kumo up`. The data directory's lock proves no other manager of this
// platform runs; without this, the new one would wait out the long lease.
func releaseStaleLease(ctx context.Context, c client.Client) error {
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: "kumo-system", Name: managerLease}}
	if err := c.Delete(ctx, lease); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("releasing the lease of the last manager: %w", err)
	}
	return nil
}
