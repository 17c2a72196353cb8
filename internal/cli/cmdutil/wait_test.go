package cmdutil_test

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// cluster is web at generation 2 with its pool "default" at replicas,
// whose status describes observed, in phase, Ready or not.
func cluster(replicas int32, observed int64, phase kumov1.ClusterPhase) *kumov1.Cluster {
	c := &kumov1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web", Generation: 2},
		Spec:       kumov1.ClusterSpec{NodePools: []kumov1.NodePool{{Name: "default", Replicas: replicas}}},
		Status:     kumov1.ClusterStatus{Phase: phase, ObservedGeneration: observed},
	}
	ready := metav1.ConditionFalse
	if phase == kumov1.ClusterReady {
		ready = metav1.ConditionTrue
	}
	c.Status.Conditions = []metav1.Condition{{Type: kumov1.ReadyCondition, Status: ready, Reason: string(phase)}}
	return c
}

// rescaled is c with a spec changed after the one of generation 2.
func rescaled(c *kumov1.Cluster) *kumov1.Cluster {
	c.Generation = 3
	return c
}

// withoutPools is c with its pools removed.
func withoutPools(c *kumov1.Cluster) *kumov1.Cluster {
	c.Spec.NodePools = nil
	return c
}

// machines are n machines of a pool, the first ready of them Ready and
// the last leaving of them being deleted.
func machines(pool string, n, ready, leaving int) []kumov1.Machine {
	var out []kumov1.Machine
	for i := range n {
		m := kumov1.Machine{Spec: kumov1.MachineSpec{Pool: pool}}
		m.Name = pool + "-" + string(rune('a'+i))
		if i < ready {
			m.Status.Conditions = []metav1.Condition{{Type: kumov1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready"}}
		}
		if i >= n-leaving {
			now := metav1.Now()
			m.DeletionTimestamp = &now
		}
		out = append(out, m)
	}
	return out
}

func TestPoolScaled(t *testing.T) {
	tests := map[string]struct {
		from, to int32            // the pool's size before and after
		cluster  *kumov1.Cluster  // as the wait reads it
		machines []kumov1.Machine // the cluster's machines
		outcome  cmdutil.Outcome  // what the wait decides
		detail   string           // the progress line
	}{
		"scale-in, not yet seen: the old Ready status is not trusted": {
			from: 5, to: 2, cluster: cluster(2, 1, kumov1.ClusterReady), machines: machines("default", 5, 5, 0),
			outcome: cmdutil.Pending, detail: "scaling 5 -> 2: draining 3 nodes",
		},
		"scale-in under way": {
			from: 5, to: 2, cluster: cluster(2, 2, kumov1.ClusterScaling), machines: machines("default", 5, 5, 3),
			outcome: cmdutil.Pending, detail: "scaling 5 -> 2: draining 3 nodes",
		},
		"scale-in, one node left to drain": {
			from: 5, to: 2, cluster: cluster(2, 2, kumov1.ClusterScaling), machines: machines("default", 3, 3, 1),
			outcome: cmdutil.Pending, detail: "scaling 5 -> 2: draining 1 node",
		},
		"scale-in done": {
			from: 5, to: 2, cluster: cluster(2, 2, kumov1.ClusterReady), machines: machines("default", 2, 2, 0),
			outcome: cmdutil.Done, detail: "scaled 5 -> 2: 2/2 nodes ready",
		},
		"scale-out, not yet seen": {
			from: 3, to: 5, cluster: cluster(5, 1, kumov1.ClusterReady), machines: machines("default", 3, 3, 0),
			outcome: cmdutil.Pending, detail: "scaling 3 -> 5: 3/5 nodes ready",
		},
		"scale-out under way": {
			from: 3, to: 5, cluster: cluster(5, 2, kumov1.ClusterScaling), machines: machines("default", 5, 4, 0),
			outcome: cmdutil.Pending, detail: "scaling 3 -> 5: 4/5 nodes ready",
		},
		"scale-out, every node ready but the status is of the old spec": {
			from: 3, to: 5, cluster: cluster(5, 1, kumov1.ClusterReady), machines: machines("default", 5, 5, 0),
			outcome: cmdutil.Pending, detail: "scaling 3 -> 5: 5/5 nodes ready",
		},
		"scale-out done": {
			from: 3, to: 5, cluster: cluster(5, 2, kumov1.ClusterReady), machines: machines("default", 5, 5, 0),
			outcome: cmdutil.Done, detail: "scaled 3 -> 5: 5/5 nodes ready",
		},
		"other pools do not count": {
			from: 1, to: 2, cluster: cluster(2, 2, kumov1.ClusterScaling), machines: append(machines("default", 1, 1, 0), machines("gpu", 3, 3, 1)...),
			outcome: cmdutil.Pending, detail: "scaling 1 -> 2: 1/2 nodes ready",
		},
		"unchanged": {
			from: 3, to: 3, cluster: cluster(3, 2, kumov1.ClusterReady), machines: machines("default", 3, 3, 0),
			outcome: cmdutil.Done, detail: "3/3 nodes ready",
		},
		"rescaled by another meanwhile: Ready with their size": {
			from: 3, to: 5, cluster: rescaled(cluster(7, 3, kumov1.ClusterReady)), machines: machines("default", 7, 7, 0),
			outcome: cmdutil.Done, detail: "the spec changed again: pool default wants 7 nodes now; Ready, 7/7 nodes ready",
		},
		"rescaled by another meanwhile, under way": {
			from: 3, to: 5, cluster: rescaled(cluster(2, 3, kumov1.ClusterScaling)), machines: machines("default", 5, 5, 2),
			outcome: cmdutil.Pending, detail: "the spec changed again: pool default wants 2 nodes now; draining 3 nodes",
		},
		"rescaled by another, not yet seen": {
			from: 3, to: 5, cluster: rescaled(cluster(7, 2, kumov1.ClusterReady)), machines: machines("default", 5, 5, 0),
			outcome: cmdutil.Pending, detail: "scaling 3 -> 5: 5/5 nodes ready",
		},
		"the pool removed by another meanwhile": {
			from: 3, to: 5, cluster: withoutPools(rescaled(cluster(5, 3, kumov1.ClusterReady))),
			outcome: cmdutil.Done, detail: "the spec changed again: pool default is gone; Ready, 0/0 nodes ready",
		},
		"changed otherwise meanwhile": {
			from: 3, to: 5, cluster: rescaled(cluster(5, 3, kumov1.ClusterReady)), machines: machines("default", 5, 5, 0),
			outcome: cmdutil.Done, detail: "scaled 3 -> 5: 5/5 nodes ready",
		},
		"deleted meanwhile": {
			from: 3, to: 5, outcome: cmdutil.Failed, detail: "the cluster was deleted",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			outcome, detail := cmdutil.PoolScaled("default", tc.from, tc.to, 2)(tc.cluster, tc.machines)
			g.Expect(detail).To(Equal(tc.detail))
			g.Expect(outcome).To(Equal(tc.outcome))
		})
	}
}

// TestClusterReadyDistrustsAnOlderStatus: a Ready status of an older spec
// is shown as Pending, not as Ready with the new spec's node count.
func TestClusterReadyDistrustsAnOlderStatus(t *testing.T) {
	g := NewWithT(t)
	c := cluster(2, 1, kumov1.ClusterReady)
	c.Status.ReadyNodes = 5
	outcome, detail := cmdutil.ClusterReady(c, nil)
	g.Expect(outcome).To(Equal(cmdutil.Pending))
	g.Expect(detail).To(Equal("waiting for the platform to pick up the change"))

	c.Status.ObservedGeneration, c.Status.ReadyNodes = 2, 2
	outcome, detail = cmdutil.ClusterReady(c, nil)
	g.Expect(outcome).To(Equal(cmdutil.Done))
	g.Expect(detail).To(Equal("Ready, nodes 2/2 ready"))
}

// TestClusterReadyWaitsForHostMemory: a cluster Pending for host memory is
// waited for (memory may be freed), and the wait says why it takes long.
func TestClusterReadyWaitsForHostMemory(t *testing.T) {
	g := NewWithT(t)
	c := cluster(2, 2, kumov1.ClusterPending)
	c.Status.Conditions = []metav1.Condition{{Type: kumov1.ControlPlaneReadyCondition, Status: metav1.ConditionFalse,
		Reason: kumov1.InsufficientHostMemoryReason, Message: "not enough memory on the host to start the control plane"}}
	outcome, detail := cmdutil.ClusterReady(c, nil)
	g.Expect(outcome).To(Equal(cmdutil.Pending))
	g.Expect(detail).To(Equal("Pending, nodes 0/2 ready: not enough memory on the host to start the control plane"))
}
