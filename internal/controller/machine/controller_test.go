package machine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/controller/machine"
)

func TestMachine(t *testing.T) {
	f := start(t)
	t.Run("capacity exhausted", f.testCapacityExhausted)
	t.Run("create retried", f.testCreateRetried)
	t.Run("cloud rate limited", f.testRateLimited)
}

// testCapacityExhausted: a Machine that fits on no hypervisor waits as
// Pending and says why, boots nothing, and can still be deleted.
func (f *fixture) testCapacityExhausted(t *testing.T) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	// One hypervisor of one core, not overcommitted: 1 vCPU, and m1.medium needs 2.
	f.env.CreateRegion(t, "full-1", kumov1.HypervisorFleet{Count: 1, Cores: 1, MemoryGiB: 32}, 1)
	g.Eventually(func(g Gomega) {
		var r kumov1.Region
		g.Expect(f.env.Client.Get(ctx, client.ObjectKey{Name: "full-1"}, &r)).To(Succeed())
		g.Expect(r.Status.VCPUs).To(BeEquivalentTo(1))
	}).Should(Succeed())

	m := f.newMachine("too-big", "full-1", "m1.medium")
	g.Expect(f.env.Client.Create(ctx, m)).To(Succeed())
	g.Eventually(func(g Gomega) {
		f.env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MachinePending))
		for _, typ := range []string{kumov1.VMReadyCondition, kumov1.ReadyCondition} {
			cond := meta.FindStatusCondition(m.Status.Conditions, typ)
			g.Expect(cond).NotTo(BeNil(), "condition %s", typ)
			g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(cond.Reason).To(Equal(kumov1.CapacityExhaustedReason))
			g.Expect(cond.Message).To(ContainSubstring("is full"))
		}
	}).Should(Succeed())
	g.Expect(m.Spec.ProviderID).To(BeEmpty())

	// Retries that fail the same way add no events: two more reconciles,
	// woken by annotations, and still one CapacityExhausted warning.
	for i := range 2 {
		patch := client.MergeFrom(m.DeepCopy())
		m.Annotations = map[string]string{"test.kumo.dev/poke": fmt.Sprint(i)}
		g.Expect(f.env.Client.Patch(ctx, m, patch)).To(Succeed())
	}
	warnings := func(g Gomega) []eventsv1.Event {
		var list eventsv1.EventList
		g.Expect(f.env.Client.List(ctx, &list, client.InNamespace(m.Namespace))).To(Succeed())
		var out []eventsv1.Event
		for _, e := range list.Items {
			if e.Regarding.UID == m.UID && e.Reason == kumov1.CapacityExhaustedReason {
				out = append(out, e)
			}
		}
		return out
	}
	g.Consistently(func(g Gomega) {
		ws := warnings(g)
		g.Expect(ws).To(HaveLen(1))
		g.Expect(ws[0].Series).To(BeNil(), "the warning was recorded again")
	}, 3*time.Second, 200*time.Millisecond).Should(Succeed())
	servers, err := f.mgr.Sim.ListServers(ctx, "full-1", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(servers).To(BeEmpty())

	g.Expect(f.env.Client.Delete(ctx, m)).To(Succeed())
	g.Eventually(func() error {
		return f.env.Client.Get(ctx, client.ObjectKeyFromObject(m), &kumov1.Machine{})
	}).Should(Satisfy(apierrors.IsNotFound))
}

// testCreateRetried: failed creates are retried until the VM boots, and
// the retries leave exactly one VM, which becomes a Ready Node.
func (f *fixture) testCreateRetried(t *testing.T) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	f.mgr.Sim.FailNext(sim.OpCreate, 2, errors.New("sim: the compute API is having a bad day"))
	t.Cleanup(func() { f.mgr.Sim.FailNext(sim.OpCreate, 0, nil) })

	m := f.newMachine("flaky", "machines-1", "m1.small")
	g.Expect(f.env.Client.Create(ctx, m)).To(Succeed())
	g.Eventually(func(g Gomega) {
		f.env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MachineRunning))
	}).Should(Succeed())
	g.Expect(m.Status.Conditions).To(And(
		ctrltest.HaveCondition(kumov1.VMReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason),
		ctrltest.HaveCondition(kumov1.NodeReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason),
		ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason),
	))

	servers, err := f.mgr.Sim.ListServers(ctx, "machines-1", map[string]string{machine.TagMachineUID: string(m.UID)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(servers).To(HaveLen(1))
	srv := servers[0]
	g.Expect(m.Spec.ProviderID).To(Equal(cloud.ProviderID("sim", "machines-1", srv.ID)))
	g.Expect(srv.Tags).To(And(
		HaveKeyWithValue(machine.TagMachine, m.Name),
		HaveKeyWithValue(machine.TagCluster, f.cluster.Name),
		HaveKeyWithValue(machine.TagNamespace, f.cluster.Namespace),
	))
	g.Expect(m.Status.Hypervisor).To(Equal(srv.Hypervisor))
	g.Expect(m.Status.Address).To(Equal(srv.Address))
	g.Expect(m.Status.NodeName).To(Equal(m.Name))
	// Both injected failures were used up by retries, not skipped.
	probe, err := f.mgr.Sim.CreateServer(ctx, "machines-1", cloud.CreateRequest{Name: "probe", Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.mgr.Sim.DeleteServer(ctx, "machines-1", probe.ID)).To(Succeed())

	node, err := f.env.TenantClient(g, f.cluster).CoreV1().Nodes().Get(ctx, m.Name, metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(node.Spec.ProviderID).To(Equal(m.Spec.ProviderID))
	g.Expect(node.Labels).To(And(
		HaveKeyWithValue(kumov1.PoolNameLabel, "manual"),
		HaveKeyWithValue(kumov1.RegionLabel, "machines-1"),
		HaveKeyWithValue(kumov1.HypervisorLabel, srv.Hypervisor),
	))
}

// testRateLimited: a cloud that takes 2 calls a second refuses much of a
// burst of Machines' calls, yet every Machine comes to Running with one VM.
// The refusals are waits: no reconcile returns an error, and no Warning.
func (f *fixture) testRateLimited(t *testing.T) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	f.mgr.Sim.SetRateLimit(sim.RateLimit{QPS: 2, Burst: 1})
	t.Cleanup(func() { f.mgr.Sim.SetRateLimit(sim.RateLimit{}) })
	refused, errs := f.mgr.Sim.RateLimited(), reconcileErrors(g)

	var machines []*kumov1.Machine
	for i := range 4 {
		m := f.newMachine(fmt.Sprintf("paced-%d", i), "machines-1", "m1.small")
		g.Expect(f.env.Client.Create(ctx, m)).To(Succeed())
		machines = append(machines, m)
	}
	for _, m := range machines {
		g.Eventually(func(g Gomega) {
			f.env.Get(g, m)
			g.Expect(m.Status.Phase).To(Equal(kumov1.MachineRunning), "%+v", m.Status.Conditions)
		}).Should(Succeed())
	}
	t.Logf("the cloud refused %d calls", f.mgr.Sim.RateLimited()-refused)
	g.Expect(f.mgr.Sim.RateLimited()).To(BeNumerically(">", refused), "the cloud refused calls")
	g.Expect(reconcileErrors(g)).To(Equal(errs), "a refused call is not a reconcile error")

	f.mgr.Sim.SetRateLimit(sim.RateLimit{}) // the test's own calls
	for _, m := range machines {
		servers, err := f.mgr.Sim.ListServers(ctx, "machines-1", map[string]string{machine.TagMachineUID: string(m.UID)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(servers).To(HaveLen(1), "machine %s", m.Name)
		g.Expect(m.Spec.ProviderID).To(Equal(cloud.ProviderID("sim", "machines-1", servers[0].ID)))
		for _, e := range f.env.Events(g, m) {
			g.Expect(e.Type).NotTo(Equal(corev1.EventTypeWarning), "machine %s: %s %s", m.Name, e.Reason, e.Note)
		}
	}
}

// reconcileErrors is controller-runtime's count of the machine
// controller's reconciles that returned an error.
func reconcileErrors(g Gomega) float64 {
	families, err := metrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if mf.GetName() == "controller_runtime_reconcile_errors_total" && l.GetName() == "controller" && l.GetValue() == "machine" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	g.Expect("controller_runtime_reconcile_errors_total").To(BeEmpty(), "no count for the machine controller")
	return 0
}
