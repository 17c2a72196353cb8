package nodepool

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// defaultWait is what --wait and --timeout give when not set.
var defaultWait = waitFor(false, 10*time.Minute)

func waitFor(wait bool, timeout time.Duration) cmdutil.WaitOptions {
	return cmdutil.WaitOptions{Wait: wait, Timeout: timeout}
}

// pools reads the node pools of a cluster of team-a.
func pools(t *testing.T, env *cmdtest.Env, cluster string) []kumov1.NodePool {
	t.Helper()
	var cl kumov1.Cluster
	if err := env.Client().Get(context.Background(), client.ObjectKey{Namespace: cmdtest.Namespace, Name: cluster}, &cl); err != nil {
		t.Fatal(err)
	}
	return cl.Spec.NodePools
}

// stuckMachine is a machine of demo's gpu pool whose VM the region cannot place.
func stuckMachine() *kumov1.Machine {
	return &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: "demo-gpu-zz9xx", Labels: map[string]string{kumov1.ClusterNameLabel: "demo"}},
		Spec:       kumov1.MachineSpec{ClusterName: "demo", Pool: "gpu", Region: "tokyo-1", Flavor: "g1.large"},
		Status: kumov1.MachineStatus{Conditions: []metav1.Condition{{
			Type: kumov1.VMReadyCondition, Status: metav1.ConditionFalse, Reason: kumov1.CapacityExhaustedReason,
			Message: "no hypervisor has 4 vCPUs free", LastTransitionTime: metav1.NewTime(cmdtest.Now),
		}}},
	}
}

// world is cmdtest.World plus extra objects.
func world(extra ...client.Object) []client.Object { return append(cmdtest.World(), extra...) }

// reportApplied writes, once ready says so, the status the platform
// reports when it has applied a change of the spec of a cluster of team-a:
// the new generation observed, every node of every pool Ready. The channel
// yields the outcome, early if ctx ends.
func reportApplied(ctx context.Context, t *testing.T, env *cmdtest.Env, cluster string, ready func() bool) <-chan error {
	t.Helper()
	c := env.Client() // prepares the API on the test's goroutine
	done := make(chan error, 1)
	go func() {
		done <- wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			if !ready() {
				return false, nil
			}
			var cl kumov1.Cluster
			if err := c.Get(ctx, client.ObjectKey{Namespace: cmdtest.Namespace, Name: cluster}, &cl); err != nil {
				return false, err
			}
			if cl.Generation == cl.Status.ObservedGeneration {
				return false, fmt.Errorf("the spec of %s did not change", cluster)
			}
			cl.Status.ObservedGeneration = cl.Generation
			cl.Status.NodePools = nil
			for _, p := range cl.Spec.NodePools {
				cl.Status.NodePools = append(cl.Status.NodePools, kumov1.NodePoolStatus{Name: p.Name, Replicas: p.Replicas, ReadyReplicas: p.Replicas})
			}
			n := cl.DesiredReplicas()
			cl.Status.ReadyNodes, cl.Status.DesiredNodes, cl.Status.Nodes = n, n, fmt.Sprintf("%d/%d", n, n)
			if err := c.Status().Update(ctx, &cl); err != nil {
				return false, fmt.Errorf("reporting the change of %s: %w", cluster, err)
			}
			return true, nil
		})
	}()
	return done
}

// lockedWriter lets a test read what a command writes while it runs.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
