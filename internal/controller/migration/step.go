package migration

import (
	"context"
	"fmt"
	"sort"
	"strconv"
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

// Values of kumov1.MigrationDrainLabel on an old Machine.
const (
	drainingValue = "draining"
	drainedValue  = "drained"
)

// reconcileStep runs the current step: surge first (every pool's share of
// new Machines in the target region, Ready), then cordon and drain as many
// old nodes. Both are decided from what exists (Machines in the target
// region, labels on old Machines), so a repeat after a crash creates and
// drains nothing twice.
func (r *Reconciler) reconcileStep(ctx context.Context, s *scope) (ctrl.Result, error) {
	mig := s.mig
	st := &mig.Status
	steps := mig.StepPercents()
	i := int(st.Step)
	pct := steps[i]
	name := fmt.Sprintf("step %d of %d (%d%%)", i+1, len(steps), pct)
	if i > 0 && mig.Spec.Approval == kumov1.ApprovalManual && mig.Spec.ApprovedSteps < int32(i+1) {
		r.setPhase(s, kumov1.MigrationWaitingForApproval, kumov1.WaitingForApprovalReason,
			fmt.Sprintf("step %d of %d (%d%%) is done; start %s with `kumoctl migrate next %s`", i, len(steps), steps[i-1], name, mig.Name))
		return ctrl.Result{}, nil
	}
	if st.Phase != kumov1.MigrationMigrating {
		// Resumed or approved: the step starts now.
		now := metav1.NewTime(r.now())
		st.StepStartedAt = &now
		r.event(s, corev1.EventTypeNormal, "MigrationStepStarted", "Starting %s", name)
		st.Phase = kumov1.MigrationMigrating
	}

	waiting, err := r.surge(ctx, s, pct)
	if err != nil || waiting != "" {
		if waiting != "" {
			r.setPhase(s, kumov1.MigrationMigrating, kumov1.CreatingNodesReason, name+": "+waiting)
		}
		return ctrl.Result{RequeueAfter: 5 * time.Second}, err
	}
	draining, err := r.drain(ctx, s, pct)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(draining) > 0 {
		msg := fmt.Sprintf("%s: draining %d old nodes in %s: %s", name, len(draining), st.SourceRegion, strings.Join(draining, "; "))
		r.setPhase(s, kumov1.MigrationMigrating, kumov1.DrainingNodesReason, msg)
		r.checkDrainTimeout(s, msg)
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}

	now := r.now()
	if st.StepStartedAt != nil {
		stepDuration.WithLabelValues("step").Observe(now.Sub(st.StepStartedAt.Time).Seconds())
	}
	moved := 0
	for _, p := range s.cluster.Spec.NodePools {
		moved += int(kumov1.Moved(p.Replicas, pct))
	}
	st.Step++
	t := metav1.NewTime(now)
	st.StepStartedAt, st.DrainStartedAt = &t, nil
	meta.RemoveStatusCondition(&st.Conditions, kumov1.DrainBlockedCondition)
	r.event(s, corev1.EventTypeNormal, "MigrationStepCompleted", "Completed %s: %d nodes run in %s, %d old nodes drained and cordoned in %s",
		name, moved, mig.Spec.TargetRegion, moved, st.SourceRegion)
	if int(st.Step) == len(steps) {
		st.SoakStartedAt = &t
	}
	r.setPhase(s, kumov1.MigrationMigrating, kumov1.CreatingNodesReason, name+" is complete")
	return ctrl.Result{RequeueAfter: time.Millisecond}, nil
}

// surge creates each pool's share of new Machines in the target region and
// says what it waits for ("" once they are all Ready).
func (r *Reconciler) surge(ctx context.Context, s *scope, pct int32) (string, error) {
	taken := map[string]bool{}
	for i := range s.all {
		taken[s.all[i].Name] = true
	}
	var want, readyCount, created int
	for _, pool := range s.cluster.Spec.NodePools {
		n := int(kumov1.Moved(pool.Replicas, pct))
		want += n
		have := inPool(s.target, pool.Name)
		for _, m := range have {
			if ready(m) {
				readyCount++
			}
		}
		for idx := 0; len(have) < n; idx++ {
			name := fmt.Sprintf("%s-%s-%d", s.cluster.Name, pool.Name, idx)
			if taken[name] {
				continue
			}
			taken[name] = true
			m, err := r.createMachine(ctx, s, pool, name)
			if err != nil {
				return "", err
			}
			if m != nil {
				have = append(have, m)
				s.target = append(s.target, m)
				created++
			}
		}
	}
	if created > 0 {
		r.event(s, corev1.EventTypeNormal, "MigrationCreatingNodes", "Creating %d nodes in %s", created, s.mig.Spec.TargetRegion)
	}
	if readyCount < want {
		return fmt.Sprintf("%d of %d nodes in %s are Ready", readyCount, want, s.mig.Spec.TargetRegion), nil
	}
	return "", nil
}

// createMachine creates a new Machine in the target region, labelled with
// the migration and owned by the cluster like the cluster controller's
// own; nil if the name is taken by another cluster's Machine (the next
// index is tried).
func (r *Reconciler) createMachine(ctx context.Context, s *scope, pool kumov1.NodePool, name string) (*kumov1.Machine, error) {
	c := s.cluster
	m := &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: c.Namespace,
			Name:      name,
			Labels: map[string]string{
				kumov1.ClusterNameLabel: c.Name, kumov1.PoolNameLabel: pool.Name, kumov1.MigrationLabel: s.mig.Name,
			},
			Finalizers: []string{kumov1.MachineFinalizer},
		},
		Spec: kumov1.MachineSpec{ClusterName: c.Name, Pool: pool.Name, Region: s.mig.Spec.TargetRegion, Flavor: pool.Flavor},
	}
	if err := controllerutil.SetControllerReference(c, m, r.Client.Scheme()); err != nil {
		return nil, err
	}
	err := r.Client.Create(ctx, m)
	if apierrors.IsAlreadyExists(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("creating machine %s: %w", name, err)
	}
	return m, nil
}

// drain chooses each pool's share of old Machines (marking them with the
// drain label before touching their Nodes), cordons and evicts their pods,
// and returns what is still draining.
func (r *Reconciler) drain(ctx context.Context, s *scope, pct int32) ([]string, error) {
	var draining []string
	for _, pool := range s.cluster.Spec.NodePools {
		want := int(kumov1.Moved(pool.Replicas, pct))
		var chosen, rest []*kumov1.Machine
		for _, m := range inPool(s.source, pool.Name) {
			if _, ok := m.Labels[kumov1.MigrationDrainLabel]; ok {
				chosen = append(chosen, m)
			} else {
				rest = append(rest, m)
			}
		}
		for _, m := range drainOrder(rest) {
			if len(chosen) >= want {
				break
			}
			if err := r.label(ctx, m, drainingValue); err != nil {
				return nil, err
			}
			chosen = append(chosen, m)
		}
		for _, m := range chosen {
			if drained(m) {
				continue
			}
			d, err := r.Nodes.Evict(ctx, s.cluster, m.Name)
			if err != nil {
				return nil, fmt.Errorf("draining node %s: %w", m.Name, err)
			}
			if d.Cordoned {
				r.event(s, corev1.EventTypeNormal, "MigrationCordoned", "Cordoned old node %s in %s to drain it", m.Name, s.mig.Status.SourceRegion)
			}
			if !d.Done {
				draining = append(draining, d.Message)
				continue
			}
			if err := r.label(ctx, m, drainedValue); err != nil {
				return nil, err
			}
			r.event(s, corev1.EventTypeNormal, "MigrationDrained", "Drained old node %s; it stays cordoned until the migration completes", m.Name)
		}
	}
	return draining, nil
}

// checkDrainTimeout starts the drain clock and, once the drain outlasts the
// timeout, says so in DrainBlocked (with a Warning event the first time).
func (r *Reconciler) checkDrainTimeout(s *scope, msg string) {
	st := &s.mig.Status
	now := r.now()
	if st.DrainStartedAt == nil {
		t := metav1.NewTime(now)
		st.DrainStartedAt = &t
	}
	timeout := r.DrainTimeout
	if timeout == 0 {
		timeout = DefaultDrainTimeout
	}
	if now.Sub(st.DrainStartedAt.Time) < timeout {
		r.setCondition(s, kumov1.DrainBlockedCondition, false, kumov1.DrainingInTimeReason, "draining for less than "+timeout.String())
		return
	}
	reason := kumov1.DrainingNodesReason
	if strings.Contains(msg, "PodDisruptionBudget") {
		reason = kumov1.PDBBlocksReason
	}
	blocked := fmt.Sprintf("the drain has lasted more than %s and the migration waits in this step (no pod is ever deleted by force): %s; "+
		"relax the budget or scale the workload, or roll back with `kumoctl migrate rollback %s`", timeout, msg, s.mig.Name)
	if !meta.IsStatusConditionTrue(st.Conditions, kumov1.DrainBlockedCondition) {
		r.event(s, corev1.EventTypeWarning, "MigrationDrainBlocked", "%s", capitalize(blocked))
	}
	r.setCondition(s, kumov1.DrainBlockedCondition, true, reason, blocked)
}

// label sets the drain label of an old Machine.
func (r *Reconciler) label(ctx context.Context, m *kumov1.Machine, value string) error {
	patch := client.MergeFrom(m.DeepCopy())
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	if value == "" {
		delete(m.Labels, kumov1.MigrationDrainLabel)
	} else {
		m.Labels[kumov1.MigrationDrainLabel] = value
	}
	if err := r.Client.Patch(ctx, m, patch); err != nil {
		return fmt.Errorf("labelling machine %s: %w", m.Name, err)
	}
	return nil
}

func inPool(ms []*kumov1.Machine, pool string) []*kumov1.Machine {
	var out []*kumov1.Machine
	for _, m := range ms {
		if m.Spec.Pool == pool {
			out = append(out, m)
		}
	}
	return out
}

// drainOrder puts the old Machines to drain first in front: not Ready
// (they serve nothing), then the newest (highest index).
func drainOrder(ms []*kumov1.Machine) []*kumov1.Machine {
	out := append([]*kumov1.Machine(nil), ms...)
	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := ready(out[i]), ready(out[j]); ri != rj {
			return !ri
		}
		return index(out[i].Name) > index(out[j].Name)
	})
	return out
}

func index(name string) int {
	n, _ := strconv.Atoi(name[strings.LastIndexByte(name, '-')+1:])
	return n
}
