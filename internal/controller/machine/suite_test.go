package machine_test

// The Machine controller runs here with the other controllers in a real
// manager (manager.New) against a real kube-apiserver and etcd (envtest),
// booting VMs in the sim cloud and registering them as Nodes of a tenant
// cluster with a real control plane from the process runtime.

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// fixture is a running manager and a Ready cluster without node pools, to
// which tests add Machines of their own.
type fixture struct {
	env     *ctrltest.Env
	mgr     *ctrltest.Manager
	cluster *kumov1.Cluster
}

// start runs the management API server, a Kumo manager, a sim region
// "machines-1" and a cluster in it, and waits for the cluster's control plane.
func start(t *testing.T) *fixture {
	t.Helper()
	env := ctrltest.Start(t)
	mgr := env.StartManager(t, ctrltest.NewState(t))
	env.CreateRegion(t, "machines-1", ctrltest.SmallFleet(), 0)
	cluster := ctrltest.NewCluster(env.Namespace(t, "machines"), "host", "machines-1", -1)
	g := ctrltest.NewWithT(t)
	g.Expect(env.Client.Create(context.Background(), cluster)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason))
	}).Should(Succeed())
	return &fixture{env: env, mgr: mgr, cluster: cluster}
}

// newMachine is a Machine of the fixture's cluster. It has no cluster
// label, so the Cluster controller, which owns the labelled ones, leaves it
// alone.
func (f *fixture) newMachine(name, region, flavor string) *kumov1.Machine {
	return &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.cluster.Namespace, Name: name},
		Spec:       kumov1.MachineSpec{ClusterName: f.cluster.Name, Pool: "manual", Region: region, Flavor: flavor},
	}
}
