package region_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/manager"
)

// TestRegionReportsSimCapacity: a sim Region is configured in the sim cloud
// from its spec, and its status follows what the cloud reports — the fleet
// it was given, and the vCPUs, memory and servers in use, even for servers
// Kumo did not create.
func TestRegionReportsSimCapacity(t *testing.T) {
	env, mgr := start(t)
	g := ctrltest.NewWithT(t)
	ctx := context.Background()

	// 4 hypervisors x 8 cores at 4x overcommit, 32 GiB each.
	region := env.CreateRegion(t, "capacity-1", ctrltest.SmallFleet(), 4)
	g.Eventually(func(g Gomega) {
		env.Get(g, region)
		g.Expect(region.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason))
		g.Expect(region.Status).To(And(
			HaveField("Hypervisors", BeEquivalentTo(4)),
			HaveField("VCPUs", BeEquivalentTo(4*8*4)),
			HaveField("MemoryGiB", BeEquivalentTo(4*32)),
			HaveField("UsedVCPUs", BeZero()),
			HaveField("Servers", BeZero()),
			HaveField("ObservedGeneration", Equal(region.Generation)),
		))
	}).Should(Succeed())
	hvs, err := mgr.Sim.Hypervisors(region.Name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hvs).To(HaveLen(4))

	// Servers booted straight in the cloud (say, by another tool) count too.
	for _, flavor := range []string{"m1.large", "m1.large", "m1.small"} {
		_, err := mgr.Sim.CreateServer(ctx, region.Name, cloud.CreateRequest{Name: "outside-" + flavor, Flavor: flavor})
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Eventually(func(g Gomega) {
		env.Get(g, region)
		g.Expect(region.Status).To(And(
			HaveField("UsedVCPUs", BeEquivalentTo(4+4+1)),
			HaveField("UsedMemoryGiB", BeEquivalentTo(8+8+2)),
			HaveField("Servers", BeEquivalentTo(3)),
		))
	}).Should(Succeed())

	// Growing the fleet in the spec grows the sim region.
	patch := client.MergeFrom(region.DeepCopy())
	region.Spec.Hypervisors.Count = 6
	g.Expect(env.Client.Patch(ctx, region, patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, region)
		g.Expect(region.Status.ObservedGeneration).To(Equal(region.Generation))
		g.Expect(region.Status.Hypervisors).To(BeEquivalentTo(6))
		g.Expect(region.Status.VCPUs).To(BeEquivalentTo(6 * 8 * 4))
		g.Expect(region.Status.UsedVCPUs).To(BeEquivalentTo(9))
	}).Should(Succeed())
	hvs, err = mgr.Sim.Hypervisors(region.Name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hvs).To(HaveLen(6))
}

// TestRegionFollowsKumoVMs: the status follows a Machine's VM being created
// and deleted. The resync that catches changes made outside Kumo is an
// hour here, so only the Machine watch can explain a pass.
func TestRegionFollowsKumoVMs(t *testing.T) {
	env := ctrltest.Start(t)
	env.StartManager(t, ctrltest.NewState(t), func(o *manager.Options) { o.RegionResyncPeriod = time.Hour })
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	region := env.CreateRegion(t, "follow-1", ctrltest.SmallFleet(), 4)
	g.Eventually(func(g Gomega) {
		env.Get(g, region)
		g.Expect(region.Status.VCPUs).To(BeNumerically(">", 0))
	}).Should(Succeed())

	// A cluster on a version Kumo cannot run stays blocked, so it starts no
	// control plane; the Machine still gets its VM.
	ns := env.Namespace(t, "follow")
	cluster := ctrltest.NewCluster(ns, "c", region.Name, 0)
	cluster.Spec.Version = "1.99"
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	m := &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "c-default-0",
			Labels: map[string]string{kumov1.ClusterNameLabel: "c", kumov1.PoolNameLabel: "default"}},
		Spec: kumov1.MachineSpec{ClusterName: "c", Pool: "default", Region: region.Name, Flavor: "m1.large"},
	}
	g.Expect(env.Client.Create(ctx, m)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, region)
		g.Expect(region.Status.Servers).To(BeEquivalentTo(1))
		g.Expect(region.Status.UsedVCPUs).To(BeEquivalentTo(4))
	}).Should(Succeed())

	g.Expect(env.Client.Delete(ctx, m)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, region)
		g.Expect(region.Status.Servers).To(BeZero())
		g.Expect(region.Status.UsedVCPUs).To(BeZero())
	}).Should(Succeed())
}
