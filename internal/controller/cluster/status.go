package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// updateStatus computes the status from the scope; it runs after every
// reconcile, whatever the phases did.
func (r *Reconciler) updateStatus(s *scope) {
	c := s.cluster
	// The Ready condition as the last reconcile left it (a copy: the
	// conditions are rewritten below).
	var readyBefore *metav1.Condition
	if cond := meta.FindStatusCondition(c.Status.Conditions, kumov1.ReadyCondition); cond != nil {
		readyBefore = cond.DeepCopy()
	}
	pools := map[string]*kumov1.NodePoolStatus{}
	var ready, existing int32
	for _, p := range c.Spec.NodePools {
		pools[p.Name] = &kumov1.NodePoolStatus{Name: p.Name}
	}
	for i := range s.machines {
		m := &s.machines[i]
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		ps := pools[m.Spec.Pool]
		if ps == nil {
			continue
		}
		ps.Replicas++
		existing++
		if meta.IsStatusConditionTrue(m.Status.Conditions, kumov1.ReadyCondition) {
			ps.ReadyReplicas++
			ready++
		}
	}
	c.Status.NodePools = nil
	for _, p := range c.Spec.NodePools {
		c.Status.NodePools = append(c.Status.NodePools, *pools[p.Name])
	}
	desired := c.DesiredReplicas()
	c.Status.ReadyNodes, c.Status.DesiredNodes = ready, desired
	c.Status.Nodes = fmt.Sprintf("%d/%d", ready, desired)
	c.Status.ObservedGeneration = c.Generation

	deleting := len(s.machines) - int(existing)
	switch {
	case !c.DeletionTimestamp.IsZero():
	case ready == desired && existing == desired && deleting == 0:
		setCondition(c, kumov1.NodesReadyCondition, true, kumov1.ReadyReason, fmt.Sprintf("%d/%d nodes ready", ready, desired))
	case existing > desired || deleting > 0:
		setCondition(c, kumov1.NodesReadyCondition, false, kumov1.ScalingReason,
			fmt.Sprintf("%d/%d nodes ready, draining and removing %d", ready, desired, int(existing)-int(desired)+deleting))
	default:
		setCondition(c, kumov1.NodesReadyCondition, false, kumov1.NodesNotReadyReason, fmt.Sprintf("%d/%d nodes ready", ready, desired))
	}

	cp := meta.FindStatusCondition(c.Status.Conditions, kumov1.ControlPlaneReadyCondition)
	nodes := meta.FindStatusCondition(c.Status.Conditions, kumov1.NodesReadyCondition)
	wasReady := c.Status.Phase == kumov1.ClusterReady || c.Status.Phase == kumov1.ClusterScaling ||
		c.Status.Phase == kumov1.ClusterStarting || c.Status.Phase == kumov1.ClusterDegraded
	switch {
	case !c.DeletionTimestamp.IsZero():
		c.Status.Phase = kumov1.ClusterDeleting
		setCondition(c, kumov1.ReadyCondition, false, kumov1.DeletingReason, "cluster is being deleted")
	case s.blocked != "":
		c.Status.Phase = kumov1.ClusterFailed
		setCondition(c, kumov1.ReadyCondition, false, s.blocked, cp.Message)
	case cp == nil || cp.Status != "True":
		// Nothing can be changed until the control plane answers; a cluster
		// that was Ready is Starting again, a new one still Provisioning,
		// or Pending while the platform has no room to start it.
		c.Status.Phase = kumov1.ClusterProvisioning
		reason := kumov1.WaitingForControlPlaneReason
		if cp != nil && cp.Reason == kumov1.InsufficientHostMemoryReason {
			c.Status.Phase, reason = kumov1.ClusterPending, cp.Reason
		}
		if wasReady {
			c.Status.Phase = kumov1.ClusterStarting
		}
		// A component failed: the cluster says which, and one that was
		// Ready is degraded.
		if cp != nil && cp.Reason == kumov1.ControlPlaneUnhealthyReason {
			reason = cp.Reason
			if wasReady {
				c.Status.Phase = kumov1.ClusterDegraded
			}
		}
		msg := "control plane is starting"
		if cp != nil && cp.Message != "" {
			msg = cp.Message
		}
		setCondition(c, kumov1.ReadyCondition, false, reason, msg)
	case c.Status.MigratingTo != "":
		// Nodes of both regions come and go; the migration reports them.
		c.Status.Phase = kumov1.ClusterMigrating
		ok := ready >= desired
		reason := kumov1.ReadyReason
		if !ok {
			reason = nodes.Reason
		}
		setCondition(c, kumov1.ReadyCondition, ok, reason,
			fmt.Sprintf("migrating to %s: %d ready nodes for %d desired", c.Status.MigratingTo, ready, desired))
	case nodes != nil && nodes.Status == "True":
		c.Status.Phase = kumov1.ClusterReady
		setCondition(c, kumov1.ReadyCondition, true, kumov1.ReadyReason, nodes.Message)
	default:
		// Nodes come and go on a cluster that was Ready: it scales when its
		// spec changed since it was Ready (or it was scaling already); when
		// not, nodes were lost and it is Degraded, with the nodes' reason.
		// On a cluster being created, they are part of provisioning it.
		reason := nodes.Reason
		c.Status.Phase = kumov1.ClusterProvisioning
		if wasReady {
			c.Status.Phase = kumov1.ClusterDegraded
			if prev := readyBefore; prev == nil || prev.ObservedGeneration < c.Generation || prev.Reason == kumov1.ScalingReason {
				c.Status.Phase, reason = kumov1.ClusterScaling, kumov1.ScalingReason
			}
		}
		setCondition(c, kumov1.ReadyCondition, false, reason, nodes.Message)
	}
}
