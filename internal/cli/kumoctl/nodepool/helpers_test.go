package nodepool

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: cmdtest.Namespace, Name: cluster}, &cl); err != nil {
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
