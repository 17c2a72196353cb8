package migration

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// DefaultSoak is how long old nodes stay when spec.soak is not set (the
// API server defaults it; this covers objects written before the default).
const DefaultSoak = 5 * time.Minute

// reconcileSoak keeps the old nodes, cordoned, until the soak ends, then
// completes: the Cluster reports the target region (from then on a
// rollback is too late), the old Machines go (their VMs with them), and
// the Cluster's Machines are the cluster controller's again.
func (r *Reconciler) reconcileSoak(ctx context.Context, s *scope) (ctrl.Result, error) {
	mig, st := s.mig, &s.mig.Status
	soak := DefaultSoak
	if mig.Spec.Soak != nil {
		soak = mig.Spec.Soak.Duration
	}
	started := r.now()
	if st.SoakStartedAt != nil {
		started = st.SoakStartedAt.Time
	}
	end := started.Add(soak)
	if left := end.Sub(r.now()); left > 0 && s.cluster.Status.Region != mig.Spec.TargetRegion {
		r.setPhase(s, kumov1.MigrationSoaking, kumov1.SoakingReason, fmt.Sprintf(
			"all nodes run in %s; the old nodes stay cordoned in %s until %s (roll back until then; `kumoctl migrate finish %s` ends the soak now)",
			mig.Spec.TargetRegion, st.SourceRegion, end.UTC().Format(time.RFC3339), mig.Name))
		return ctrl.Result{RequeueAfter: left}, nil
	}

	if err := r.patchCluster(ctx, s, func(c *kumov1.Cluster) { c.Status.Region = mig.Spec.TargetRegion }); err != nil {
		return ctrl.Result{}, err
	}
	if left, err := r.deleteAll(ctx, s, st.SourceRegion, s.source); err != nil || left > 0 {
		r.setPhase(s, kumov1.MigrationSoaking, kumov1.CompletingReason, fmt.Sprintf("deleting %d old nodes in %s", left, st.SourceRegion))
		return ctrl.Result{RequeueAfter: 2 * time.Second}, err
	}
	if err := r.patchCluster(ctx, s, func(c *kumov1.Cluster) { c.Status.MigratingTo = "" }); err != nil {
		return ctrl.Result{}, err
	}
	r.finish(s, kumov1.MigrationCompleted, kumov1.CompletedReason, fmt.Sprintf("all %d nodes run in %s; %s has none of the cluster's VMs left",
		s.cluster.DesiredReplicas(), mig.Spec.TargetRegion, st.SourceRegion))
	return finished()
}

// rollback puts the cluster back as it began: the old nodes back in
// service first (uncordoned, so the pods of the new ones have room), then
// the new Machines deleted, which drains them through the eviction API.
// The old nodes were never deleted, so they keep their names.
func (r *Reconciler) rollback(ctx context.Context, s *scope) (ctrl.Result, error) {
	mig, st := s.mig, &s.mig.Status
	if st.Phase != kumov1.MigrationRollingBack {
		now := metav1.NewTime(r.now())
		st.StepStartedAt, st.DrainStartedAt = &now, nil
		// A blocked drain of the step no longer matters: its nodes go back in service.
		meta.RemoveStatusCondition(&st.Conditions, kumov1.DrainBlockedCondition)
	}
	back := 0
	for _, m := range s.source {
		if _, ok := m.Labels[kumov1.MigrationDrainLabel]; !ok {
			continue
		}
		if err := r.Nodes.Uncordon(ctx, s.cluster, m.Name); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.label(ctx, m, ""); err != nil {
			return ctrl.Result{}, err
		}
		back++
	}
	if back > 0 {
		r.event(s, corev1.EventTypeNormal, "MigrationUncordoned", "Put %d old nodes in %s back in service", back, st.SourceRegion)
	}
	left, err := r.deleteAll(ctx, s, mig.Spec.TargetRegion, s.target)
	if err != nil || left > 0 {
		r.setPhase(s, kumov1.MigrationRollingBack, kumov1.RollingBackReason, fmt.Sprintf(
			"every old node in %s is back in service; draining and deleting %d new nodes in %s", st.SourceRegion, left, mig.Spec.TargetRegion))
		return ctrl.Result{RequeueAfter: 2 * time.Second}, err
	}
	if err := r.patchCluster(ctx, s, func(c *kumov1.Cluster) { c.Status.MigratingTo = "" }); err != nil {
		return ctrl.Result{}, err
	}
	if st.StepStartedAt != nil {
		stepDuration.WithLabelValues("rollback").Observe(r.now().Sub(st.StepStartedAt.Time).Seconds())
	}
	r.finish(s, kumov1.MigrationRolledBack, kumov1.RolledBackReason, fmt.Sprintf("all %d nodes run in %s again; %s has none of the cluster's VMs",
		s.cluster.DesiredReplicas(), st.SourceRegion, mig.Spec.TargetRegion))
	return finished()
}

// deleteAll deletes the live Machines ms and returns how many Machines of
// the cluster remain in region (deleting ones included): the machine
// controller drains each and deletes its VM before the Machine goes.
func (r *Reconciler) deleteAll(ctx context.Context, s *scope, region string, ms []*kumov1.Machine) (int, error) {
	if len(ms) > 0 {
		r.event(s, corev1.EventTypeNormal, "MigrationDeletingNodes", "Deleting %d nodes in %s", len(ms), region)
	}
	for _, m := range ms {
		if err := r.Client.Delete(ctx, m); client.IgnoreNotFound(err) != nil {
			return 0, fmt.Errorf("deleting machine %s: %w", m.Name, err)
		}
	}
	left := 0
	for i := range s.all {
		if s.all[i].Spec.Region == region {
			left++
		}
	}
	return left, nil
}
