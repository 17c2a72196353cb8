package evacuation_test

// The evacuation controller runs here with the other controllers in a real
// manager against a real kube-apiserver and etcd (envtest), real tenant
// control planes with kwok nodes, and the sim cloud's CPU model: load set
// the way `kumo sim load --hypervisor` sets it (the ConfigMap the simload
// controller applies) makes one hypervisor noisy.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/controller/simload"
	"github.com/kumo-dev/kumo/internal/manager"
)

func fastEvacuation(o *manager.Options) { o.EvacuationInterval = 500 * time.Millisecond }

// start runs the management API server, a Kumo manager that reads steal
// every half second, and a sim region of four hypervisors.
func start(t *testing.T) (*ctrltest.Env, ctrltest.State, *kumov1.Region, *ctrltest.Manager) {
	t.Helper()
	env := ctrltest.Start(t)
	st := ctrltest.NewState(t)
	region := env.CreateRegion(t, "tokyo-1", ctrltest.SmallFleet(), 0)
	return env, st, region, env.StartManager(t, st, fastEvacuation)
}

// TestEvacuation: a hypervisor shared by a node of each of two clusters
// gets busy; the node of the cluster that did not opt out moves to another
// hypervisor (replacement Ready first, pods kept by their PDB), through a
// restart of Kumo in the middle, after a dry run that moved nothing; the
// opted-out cluster is told and keeps its node.
func TestEvacuation(t *testing.T) {
	ctx := context.Background()
	g := ctrltest.NewWithT(t)
	env, st, region, mgr := start(t)
	ns := env.Namespace(t, "evac")

	web := ctrltest.NewCluster(ns, "web", "tokyo-1", 2)
	// Four nodes spread over the four hypervisors: one shares the noisy one.
	keep := ctrltest.NewCluster(ns, "keep", "tokyo-1", 4)
	keep.Spec.Evacuation = &kumov1.ClusterEvacuation{Enabled: ptr.To(false)}
	for _, c := range []*kumov1.Cluster{web, keep} {
		g.Expect(env.Client.Create(ctx, c)).To(Succeed())
	}
	running := func(g Gomega, c *kumov1.Cluster, n int) map[string]string {
		hv := map[string]string{}
		for _, m := range env.Machines(g, c) {
			g.Expect(m.Status.Phase).To(Equal(kumov1.MachineRunning), m.Name)
			g.Expect(m.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, ""), m.Name)
			hv[m.Name] = m.Status.Hypervisor
		}
		g.Expect(hv).To(HaveLen(n))
		return hv
	}
	var webHV, keepHV map[string]string
	g.Eventually(func(g Gomega) {
		env.Get(g, web)
		env.Get(g, keep)
		g.Expect(web.Status.Phase).To(Equal(kumov1.ClusterReady))
		g.Expect(keep.Status.Phase).To(Equal(kumov1.ClusterReady))
		webHV, keepHV = running(g, web, 2), running(g, keep, 4)
	}).Should(Succeed())

	// The web pods may lose one at a time: the drain goes through the eviction API.
	tenant := env.TenantClient(g, web)
	dep := ctrltest.WebDeployment(4)
	_, err := tenant.AppsV1().Deployments(dep.Namespace).Create(ctx, dep, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: dep.Namespace, Name: "web"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromInt32(1)), Selector: dep.Spec.Selector},
	}
	_, err = tenant.PolicyV1().PodDisruptionBudgets(dep.Namespace).Create(ctx, pdb, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) { g.Expect(ctrltest.RunningPods(g, tenant, dep)).To(HaveLen(4)) }).Should(Succeed())

	victim := web.Name + "-default-0"
	noisy := webHV[victim]
	var keepVictim string
	for m, hv := range keepHV {
		if hv == noisy {
			keepVictim = m
		}
	}
	g.Expect(keepVictim).NotTo(BeEmpty(), "a node of keep on %s: %v", noisy, keepHV)

	// A dry run first: it reports the decision and moves nothing.
	patch := client.MergeFrom(region.DeepCopy())
	region.Spec.Evacuation = &kumov1.EvacuationPolicy{
		// The default profile keeps a VM 20% busy, so it can lose at most about that much.
		Enabled: true, StealPercent: 5, For: &metav1.Duration{Duration: 2 * time.Second},
		Cooldown: &metav1.Duration{Duration: time.Second}, MaxPerHour: 10, MaxConcurrentPerCluster: 1,
	}
	region.Spec.Evacuation.DryRun = true
	g.Expect(env.Client.Patch(ctx, region, patch)).To(Succeed())
	setLoad(g, env, simload.HypervisorLoad{Region: "tokyo-1", Hypervisor: noisy, CPU: 64})
	g.Eventually(func(g Gomega) {
		dry := eventNotes(g, env, web)["EvacuationDryRun"]
		g.Expect(dry).To(ContainSubstring(victim))
		g.Expect(dry).To(ContainSubstring(noisy))
	}).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(running(g, web, 2)).To(Equal(webHV))
		for _, m := range env.Machines(g, web) {
			g.Expect(m.Labels).NotTo(HaveKey(kumov1.EvacuationLabel))
		}
	}, 2*time.Second).Should(Succeed())

	patch = client.MergeFrom(region.DeepCopy())
	region.Spec.Evacuation.DryRun = false
	g.Expect(env.Client.Patch(ctx, region, patch)).To(Succeed())

	// Kumo is killed once the evacuation has started, and a new one carries on.
	g.Eventually(func(g Gomega) {
		m := &kumov1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: victim}}
		env.Get(g, m)
		g.Expect(m.Labels).To(HaveKey(kumov1.EvacuationLabel))
	}).Should(Succeed())
	mgr.Stop(t)
	mgr = env.StartManager(t, st, fastEvacuation)

	g.Eventually(func(g Gomega) {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: victim}, &kumov1.Machine{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "old machine still there: %v", err)
		hv := running(g, web, 2)
		for m, h := range hv {
			g.Expect(h).NotTo(Equal(noisy), "%s runs on the noisy hypervisor", m)
		}
		for _, m := range env.Machines(g, web) {
			g.Expect(m.Labels).NotTo(HaveKey(kumov1.ReplacesLabel))
		}
		for _, s := range ctrltest.Servers(g, mgr.Sim, "tokyo-1", web) {
			g.Expect(s.Hypervisor).NotTo(Equal(noisy), "VM %s", s.Name)
		}
		g.Expect(ctrltest.RunningPods(g, tenant, dep)).To(HaveLen(4))
	}).Should(Succeed())

	g.Eventually(func(g Gomega) {
		reasons := eventNotes(g, env, web)
		g.Expect(reasons["EvacuationStarted"]).To(ContainSubstring(noisy))
		g.Expect(reasons["EvacuationStarted"]).To(MatchRegexp(`lost \d+% of its CPU`))
		g.Expect(reasons).To(HaveKey("EvacuationReplacing"))
		g.Expect(reasons["Evacuated"]).To(ContainSubstring(noisy))
		env.Get(g, web)
		recs := kumov1.EvacuationRecords(web.Annotations)
		g.Expect(recs).To(HaveLen(1))
		g.Expect(recs[0].Machine).To(Equal(victim))
		g.Expect(recs[0].Hypervisor).To(Equal(noisy))
	}).Should(Succeed())

	// The opted-out cluster is told, and keeps its node where it is.
	g.Eventually(func(g Gomega) {
		held := eventNotes(g, env, keep)["EvacuationHeldOptedOut"]
		g.Expect(held).To(ContainSubstring(keepVictim))
		g.Expect(held).To(ContainSubstring(noisy))
		g.Expect(held).To(ContainSubstring("opted out"))
	}).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(running(g, keep, 4)).To(Equal(keepHV))
	}, 3*time.Second).Should(Succeed())
}

// TestStorm: every hypervisor of the region gets busy at once; the
// region's hourly limit lets one node move, the others are held back and
// told so, oldest suffering first.
func TestStorm(t *testing.T) {
	ctx := context.Background()
	g := ctrltest.NewWithT(t)
	env, _, region, _ := start(t)
	ns := env.Namespace(t, "storm")
	c := ctrltest.NewCluster(ns, "web", "tokyo-1", 4)
	g.Expect(env.Client.Create(ctx, c)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, c)
		g.Expect(c.Status.Phase).To(Equal(kumov1.ClusterReady))
		g.Expect(env.Machines(g, c)).To(HaveEach(HaveField("Status.Phase", kumov1.MachineRunning)))
	}).Should(Succeed())

	patch := client.MergeFrom(region.DeepCopy())
	region.Spec.Evacuation = &kumov1.EvacuationPolicy{
		Enabled: true, StealPercent: 5, For: &metav1.Duration{Duration: time.Second},
		Cooldown: &metav1.Duration{Duration: time.Second}, MaxPerHour: 1, MaxConcurrentPerCluster: 4,
	}
	g.Expect(env.Client.Patch(ctx, region, patch)).To(Succeed())
	var loads []simload.HypervisorLoad
	for i := range 4 {
		loads = append(loads, simload.HypervisorLoad{Region: "tokyo-1", Hypervisor: fmt.Sprintf("tokyo-1-hv-%03d", i+1), CPU: 64})
	}
	setLoad(g, env, loads...)

	g.Eventually(func(g Gomega) {
		env.Get(g, c)
		g.Expect(kumov1.EvacuationRecords(c.Annotations)).To(HaveLen(1))
		var held int
		var notes []string
		for _, ev := range env.Events(g, c) {
			notes = append(notes, ev.Reason+": "+ev.Note)
			if ev.Reason == "EvacuationHeldRegionLimit" && strings.Contains(ev.Note, "maxPerHour 1") {
				held++
			}
		}
		g.Expect(held).To(BeNumerically(">=", 3), "%s", strings.Join(notes, "\n"))
	}).Should(Succeed())
	g.Consistently(func(g Gomega) {
		env.Get(g, c)
		g.Expect(kumov1.EvacuationRecords(c.Annotations)).To(HaveLen(1))
		var moving int
		for _, m := range env.Machines(g, c) {
			if _, ok := m.Labels[kumov1.EvacuationLabel]; ok {
				moving++
			}
		}
		g.Expect(moving).To(BeNumerically("<=", 1))
	}, 3*time.Second).Should(Succeed())
}

// setLoad records load as `kumo sim load` does; the simload controller
// applies it to the manager's sim.
func setLoad(g Gomega, env *ctrltest.Env, loads ...simload.HypervisorLoad) {
	var spec simload.Spec
	for _, h := range loads {
		spec.SetHypervisor(h)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: simload.Namespace, Name: simload.ConfigMapName}}
	g.Expect(spec.Store(cm)).To(Succeed())
	g.Expect(env.Client.Create(context.Background(), cm)).To(Succeed())
}

// eventNotes maps each event reason on obj to the latest note.
func eventNotes(g Gomega, env *ctrltest.Env, obj client.Object) map[string]string {
	out := map[string]string{}
	for _, ev := range env.Events(g, obj) {
		out[ev.Reason] = strings.TrimSpace(ev.Note)
	}
	return out
}
