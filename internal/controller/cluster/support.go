package cluster

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/catalog"
)

// reconcileSupport tells the tenant whether the release the cluster runs
// is still supported (the VersionSupported condition, and a Warning event
// when that changes for the worse), and looks again when the end of
// support comes closer. It never stops the other phases: an old release
// keeps running until the tenant upgrades.
func (r *Reconciler) reconcileSupport(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.cluster
	var list kumov1.KubernetesReleaseList
	if err := r.Client.List(ctx, &list); err != nil {
		return ctrl.Result{}, err
	}
	if len(list.Items) == 0 { // no catalog published: nothing to say
		meta.RemoveStatusCondition(&c.Status.Conditions, kumov1.VersionSupportedCondition)
		return ctrl.Result{}, nil
	}
	catalog.Sort(list.Items)
	version := c.Status.Version // what runs, else what will
	if version == "" {
		version = c.Spec.Version
	}
	sup := catalog.SupportOf(list.Items, version, time.Now())
	if old := meta.FindStatusCondition(c.Status.Conditions, kumov1.VersionSupportedCondition); sup.Reason != catalog.ReasonSupported &&
		(old == nil || old.Reason != sup.Reason) {
		r.event(c, corev1.EventTypeWarning, sup.Reason, "%s", sup.Message)
	}
	setCondition(c, kumov1.VersionSupportedCondition, sup.OK, sup.Reason, sup.Message)
	return ctrl.Result{RequeueAfter: sup.Recheck}, nil
}
