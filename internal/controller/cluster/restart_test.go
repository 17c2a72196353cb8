package cluster_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/controller/machine"
)

// TestClusterSurvivesManagerRestart: Kumo stops in the middle of creating a
// cluster — its control plane processes die with it — and a new Kumo on the
// same state (API objects, sim cloud file, control plane directory)
// finishes the job with exactly the VMs asked for: none booted twice, none
// left without a Machine.
func TestClusterSurvivesManagerRestart(t *testing.T) {
	env := ctrltest.Start(t)
	st := ctrltest.NewState(t)
	first := env.StartManager(t, st)
	g := ctrltest.NewWithT(t)
	ctx := context.Background()

	ns := env.Namespace(t, "restart")
	region := env.CreateRegion(t, "restart-1", ctrltest.SmallFleet(), 0)
	cluster := ctrltest.NewCluster(ns, "phoenix", region.Name, 3)
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())

	g.Eventually(func(g Gomega) {
		g.Expect(env.Machines(g, cluster)).NotTo(BeEmpty())
	}).WithPolling(20 * time.Millisecond).Should(Succeed())
	first.Stop(t)
	env.Get(g, cluster)
	g.Expect(cluster.Status.Phase).NotTo(Equal(kumov1.ClusterReady), "the crash came too late to test anything")
	g.Expect(first.Runtime.Running(cluster.UID)).To(BeNil(), "the first control plane is stopped")
	atCrash := env.Machines(g, cluster)
	recorded := 0
	for _, m := range atCrash {
		if m.Spec.ProviderID != "" {
			recorded++
		}
	}
	t.Logf("Stopped with %d machines, %d VMs, %d of them recorded on their machine",
		len(atCrash), len(ctrltest.Servers(g, first.Sim, region.Name, cluster)), recorded)
	// The worst moment to crash: a VM booted, its ID not yet recorded on the
	// Machine. The crash may have hit it already; play it out for a machine
	// without a VM. The new Kumo must adopt that VM (it carries the
	// Machine's UID) rather than boot another.
	var adopted *cloud.Server
	for _, m := range atCrash {
		booted, err := first.Sim.ListServers(ctx, region.Name, map[string]string{machine.TagMachineUID: string(m.UID)})
		g.Expect(err).NotTo(HaveOccurred())
		if m.Spec.ProviderID != "" || len(booted) > 0 {
			continue
		}
		adopted, err = first.Sim.CreateServer(ctx, region.Name, cloud.CreateRequest{
			Name: m.Name, Flavor: m.Spec.Flavor, SpreadKey: string(cluster.UID),
			Tags: map[string]string{
				machine.TagMachineUID: string(m.UID), machine.TagMachine: m.Name,
				machine.TagCluster: cluster.Name, machine.TagNamespace: cluster.Namespace,
			},
		})
		g.Expect(err).NotTo(HaveOccurred())
		break
	}
	if adopted == nil {
		t.Log("Every machine had its VM recorded at the crash; not testing adoption")
	}

	second := env.StartManager(t, st)
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
		g.Expect(cluster.Status.Nodes).To(Equal("3/3"))
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason))
	}).Should(Succeed())
	g.Expect(second.Runtime.Running(cluster.UID)).NotTo(BeEmpty(), "the new Kumo runs the control plane")

	machines := env.Machines(g, cluster)
	g.Expect(names(machines)).To(ConsistOf("phoenix-default-0", "phoenix-default-1", "phoenix-default-2"))
	// Every VM in the region belongs to one of the machines, one each.
	all, err := second.Sim.ListServers(ctx, region.Name, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(all).To(HaveLen(3))
	uids, ids := sets.New[string](), sets.New[string]()
	for _, m := range machines {
		uids.Insert(string(m.UID))
		ids.Insert(serverID(m.Spec.ProviderID))
	}
	owners := sets.New[string]()
	for _, s := range all {
		g.Expect(ids.Has(s.ID)).To(BeTrue(), "VM %s is some machine's", s.ID)
		g.Expect(uids.Has(s.Tags[machine.TagMachineUID])).To(BeTrue(), "VM %s is tagged with a machine", s.ID)
		owners.Insert(s.Tags[machine.TagMachineUID])
	}
	g.Expect(owners.Len()).To(Equal(3), "no machine has two VMs")
	if adopted != nil {
		g.Expect(ids.Has(adopted.ID)).To(BeTrue(), "the VM booted before the crash is adopted")
	}

	tenant := env.TenantClient(g, cluster)
	g.Eventually(func(g Gomega) {
		nodes, err := tenant.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(names(nodes.Items)).To(ConsistOf(names(machines)))
	}).Should(Succeed())
}
