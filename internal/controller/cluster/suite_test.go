package cluster_test

// The Cluster controller runs here with the other controllers in a real
// manager (manager.New) against a real kube-apiserver and etcd (envtest).
// Clusters get real control planes — kube-apiserver, controller-manager,
// scheduler and kwok processes from the process runtime, keeping their state
// in envtest's etcd — and VMs from the sim cloud. A control plane takes
// seconds to start, so each test makes few clusters and takes them through
// several steps.

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// start runs the management API server and a Kumo manager for one test.
func start(t *testing.T) (*ctrltest.Env, ctrltest.State, *ctrltest.Manager) {
	t.Helper()
	env := ctrltest.Start(t)
	st := ctrltest.NewState(t)
	return env, st, env.StartManager(t, st)
}

// setReplicas changes the size of the cluster's only pool.
func setReplicas(g Gomega, env *ctrltest.Env, c *kumov1.Cluster, n int32) {
	env.Get(g, c)
	patch := client.MergeFrom(c.DeepCopy())
	c.Spec.NodePools[0].Replicas = n
	g.Expect(env.Client.Patch(context.Background(), c, patch)).To(Succeed())
}

// names returns the names of objects, for matching with ConsistOf.
func names[T any, PT interface {
	*T
	client.Object
}](items []T) []string {
	out := make([]string, 0, len(items))
	for i := range items {
		out = append(out, PT(&items[i]).GetName())
	}
	return out
}
