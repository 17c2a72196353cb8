package migration

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// admit checks a new migration before anything is created and either
// refuses it (phase Failed, Accepted false with the reason and what to do)
// or accepts it: the Cluster records it (status.migratingTo, which freezes
// its pools and hands its Machines over), then the migration starts.
func (r *Reconciler) admit(ctx context.Context, s *scope) (ctrl.Result, error) {
	mig, c := s.mig, s.cluster
	if reason, msg := r.check(ctx, s); reason != "" {
		r.refuse(s, reason, msg)
		return finished()
	}
	if err := r.markCluster(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	// The cluster owns its migration: deleting the cluster deletes it.
	if !metav1.IsControlledBy(mig, c) && len(mig.OwnerReferences) == 0 {
		if err := controllerutil.SetOwnerReference(c, mig, r.Client.Scheme()); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.Client.Update(ctx, mig); err != nil {
			return ctrl.Result{}, fmt.Errorf("recording the cluster as owner: %w", err)
		}
	}
	now := metav1.NewTime(r.now())
	st := &mig.Status
	st.SourceRegion = c.EffectiveRegion()
	st.StartedAt, st.StepStartedAt = &now, &now
	r.setCondition(s, kumov1.AcceptedCondition, true, kumov1.AcceptedReason,
		fmt.Sprintf("moving %d nodes from %s to %s in steps of %s%%", c.DesiredReplicas(), st.SourceRegion, mig.Spec.TargetRegion, percents(mig.StepPercents())))
	r.event(s, corev1.EventTypeNormal, "MigrationStarted", "Migrating %d nodes from %s to %s in steps of %s%%",
		c.DesiredReplicas(), st.SourceRegion, mig.Spec.TargetRegion, percents(mig.StepPercents()))
	r.setPhase(s, kumov1.MigrationMigrating, kumov1.CreatingNodesReason, "step 1: creating nodes in "+mig.Spec.TargetRegion)
	return ctrl.Result{RequeueAfter: time.Millisecond}, nil
}

// check returns why the migration cannot start ("" when it can) and a
// message that says what to do about it.
func (r *Reconciler) check(ctx context.Context, s *scope) (reason, msg string) {
	mig, c := s.mig, s.cluster
	target := mig.Spec.TargetRegion
	// A crash between marking the cluster and starting the migration leaves
	// the cluster Migrating to this very target: that is no refusal.
	ours := c.Status.MigratingTo == target
	switch {
	case c.Status.MigratingTo != "" && !ours:
		return kumov1.MigrationActiveReason, fmt.Sprintf("cluster %s is migrating to %s already; one migration at a time (kumoctl migrate status %s)", c.Name, c.Status.MigratingTo, c.Name)
	case target == c.EffectiveRegion():
		return kumov1.SameRegionReason, fmt.Sprintf("cluster %s runs in %s already; name another region (kumoctl regions)", c.Name, target)
	case c.Status.Phase != kumov1.ClusterReady && !ours:
		return kumov1.ClusterNotReadyReason, fmt.Sprintf("cluster %s is %s, not Ready; migrate it once it is Ready (kumoctl cluster describe %s)", c.Name, orNone(string(c.Status.Phase)), c.Name)
	}
	var region kumov1.Region
	if err := r.Client.Get(ctx, client.ObjectKey{Name: target}, &region); err != nil {
		if apierrors.IsNotFound(err) {
			return kumov1.RegionNotFoundReason, fmt.Sprintf("region %s does not exist; list regions with `kumoctl regions`", target)
		}
		return kumov1.RegionNotFoundReason, fmt.Sprintf("reading region %s: %v", target, err)
	}
	if !meta.IsStatusConditionTrue(region.Status.Conditions, kumov1.ReadyCondition) {
		return kumov1.RegionNotFoundReason, fmt.Sprintf("region %s is not Ready; try again once it is, or pick another (kumoctl regions)", target)
	}
	return capacity(c, &region)
}

// capacity checks that the target region has room for the whole cluster
// at once: a migration holds both regions' nodes until its soak ends.
func capacity(c *kumov1.Cluster, region *kumov1.Region) (reason, msg string) {
	vcpus := map[string]int64{}
	for _, f := range region.Status.Flavors {
		vcpus[f.Name] = int64(f.VCPUs)
	}
	var need int64
	var parts []string
	for _, p := range c.Spec.NodePools {
		n, ok := vcpus[p.Flavor]
		if !ok && p.Replicas > 0 {
			return kumov1.InvalidFlavorReason, fmt.Sprintf("region %s does not offer flavor %s of pool %s; pick a region that does (kumoctl regions -o wide)", region.Name, p.Flavor, p.Name)
		}
		need += n * int64(p.Replicas)
		if p.Replicas > 0 {
			parts = append(parts, fmt.Sprintf("%d x %s (%d vCPUs)", p.Replicas, p.Flavor, n))
		}
	}
	free := region.Status.VCPUs - region.Status.UsedVCPUs
	if need > free {
		sort.Strings(parts)
		return kumov1.CapacityShortReason, fmt.Sprintf("region %s has %d vCPUs free, the cluster needs %d (%s); pick a region with room (kumoctl regions) or ask the platform team for capacity",
			region.Name, free, need, strings.Join(parts, ", "))
	}
	return "", ""
}

func percents(steps []int32) string {
	var out []string
	for _, p := range steps {
		out = append(out, fmt.Sprint(p))
	}
	return strings.Join(out, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
