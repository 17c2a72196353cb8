package cluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// TestClusterLifecycle takes one cluster through its life: created with
// three nodes, scaled out to five and in to two (draining a workload, held
// up by a PodDisruptionBudget), and deleted without leaving anything behind.
func TestClusterLifecycle(t *testing.T) {
	env, st, mgr := start(t)
	ns := env.Namespace(t, "lifecycle")
	region := env.CreateRegion(t, "lifecycle-1", ctrltest.SmallFleet(), 0)
	cluster := ctrltest.NewCluster(ns, "demo", region.Name, 3)
	phases := env.WatchPhases(t, cluster)
	NewWithT(t).Expect(env.Client.Create(context.Background(), cluster)).To(Succeed())

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"create", func(t *testing.T) { testCreate(t, env, mgr, cluster, phases) }},
		{"scale", func(t *testing.T) { testScale(t, env, mgr, cluster) }},
		{"delete", func(t *testing.T) { testDelete(t, env, st, mgr, cluster) }},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.Fatalf("step %s failed; the later steps depend on it", s.name)
		}
	}
}

// testCreate: a new cluster of 3 becomes Ready with a control plane, an
// admin kubeconfig that works, and 3 VMs registered as Ready Nodes. While
// its nodes come up it is Provisioning, not Scaling.
func testCreate(t *testing.T, env *ctrltest.Env, mgr *ctrltest.Manager, cluster *kumov1.Cluster, phases func() []kumov1.ClusterPhase) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()

	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
		g.Expect(cluster.Status.Nodes).To(Equal("3/3"))
	}).Should(Succeed())
	g.Expect(cluster.Status.Conditions).To(And(
		ctrltest.HaveCondition(kumov1.ControlPlaneReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason),
		ctrltest.HaveCondition(kumov1.NodesReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason),
		ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason),
	))
	// The watch may get the Ready the GET saw a little later.
	g.Eventually(phases).Should(Equal([]kumov1.ClusterPhase{"", kumov1.ClusterProvisioning, kumov1.ClusterReady}))
	g.Expect(cluster.Status.Version).To(Equal(toolchain.PlatformVersion()), "the newest patch of the minor asked for")
	g.Expect(cluster.Status.ReadyNodes).To(BeEquivalentTo(3))
	g.Expect(cluster.Status.DesiredNodes).To(BeEquivalentTo(3))
	g.Expect(cluster.Status.NodePools).To(ConsistOf(kumov1.NodePoolStatus{Name: "default", Replicas: 3, ReadyReplicas: 3}))
	g.Expect(cluster.Status.ObservedGeneration).To(Equal(cluster.Generation))
	g.Expect(cluster.Spec.ControlPlane.Endpoint).NotTo(BeNil())
	g.Expect(cluster.Spec.ControlPlane.Endpoint.Host).To(Equal("127.0.0.1"))
	g.Expect(cluster.Spec.ControlPlane.Endpoint.Port).To(BeNumerically(">", 0))

	var kubeconfig corev1.Secret
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: cluster.Namespace, Name: cluster.Name + "-kubeconfig"}, &kubeconfig)).To(Succeed())
	g.Expect(kubeconfig.Data).To(HaveKeyWithValue("value", Not(BeEmpty())))
	g.Expect(cluster.Status.KubeconfigSecret).To(Equal(kubeconfig.Name))

	machines := env.Machines(g, cluster)
	g.Expect(names(machines)).To(ConsistOf("demo-default-0", "demo-default-1", "demo-default-2"))
	providerIDs := sets.New[string]()
	for _, m := range machines {
		g.Expect(m.Status.Phase).To(Equal(kumov1.MachineRunning), "machine %s", m.Name)
		g.Expect(m.Spec.ProviderID).To(HavePrefix("sim://lifecycle-1/"))
		providerIDs.Insert(m.Spec.ProviderID)
	}
	g.Expect(providerIDs.Len()).To(Equal(3), "each machine has its own VM")
	g.Expect(serverIDs(ctrltest.Servers(g, mgr.Sim, cluster.Spec.Region, cluster))).
		To(ConsistOf(idsOf(providerIDs)), "exactly the machines' VMs are tagged with the cluster")

	tenant := env.TenantClient(g, cluster)
	g.Eventually(func(g Gomega) {
		nodes, err := tenant.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(nodes.Items).To(HaveLen(3))
		for _, n := range nodes.Items {
			g.Expect(n.Labels).To(HaveKeyWithValue(kumov1.PoolNameLabel, "default"), "node %s", n.Name)
			g.Expect(n.Spec.ProviderID).To(HavePrefix("sim://"), "node %s", n.Name)
			g.Expect(providerIDs.Has(n.Spec.ProviderID)).To(BeTrue(), "node %s has the providerID of a machine", n.Name)
			g.Expect(nodeReady(&n)).To(BeTrue(), "node %s is Ready", n.Name)
		}
	}).Should(Succeed())

	// Kumo watches tenant Nodes rather than polling them (every 30 s
	// before): a Node deleted behind its back is registered again at once.
	g.Expect(tenant.CoreV1().Nodes().Delete(ctx, "demo-default-1", metav1.DeleteOptions{})).To(Succeed())
	g.Eventually(func(g Gomega) {
		n, err := tenant.CoreV1().Nodes().Get(ctx, "demo-default-1", metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(n.Labels).To(HaveKeyWithValue(kumov1.PoolNameLabel, "default"))
	}).WithTimeout(20 * time.Second).Should(Succeed())
}

// testScale: scaling out adds Machines and VMs; scaling in drains the
// surplus nodes through the eviction API — waiting while a
// PodDisruptionBudget forbids it — so that the workload ends up on the
// remaining nodes before their VMs are deleted. Either way the cluster is
// Scaling until it is Ready again, and its events tell which nodes were
// drained and which VMs deleted after their Machines are gone.
func testScale(t *testing.T, env *ctrltest.Env, mgr *ctrltest.Manager, cluster *kumov1.Cluster) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	tenant := env.TenantClient(g, cluster)
	phases := env.WatchPhases(t, cluster)

	setReplicas(g, env, cluster, 5)
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
		g.Expect(cluster.Status.Nodes).To(Equal("5/5"))
		g.Expect(cluster.Status.ObservedGeneration).To(Equal(cluster.Generation))
	}).Should(Succeed())
	g.Eventually(phases).Should(Equal([]kumov1.ClusterPhase{kumov1.ClusterReady, kumov1.ClusterScaling, kumov1.ClusterReady}))
	g.Expect(env.Machines(g, cluster)).To(HaveLen(5))
	g.Expect(ctrltest.Servers(g, mgr.Sim, cluster.Spec.Region, cluster)).To(HaveLen(5))

	// A workload on every node, and a budget that allows no disruption.
	web := ctrltest.WebDeployment(6)
	_, err := tenant.AppsV1().Deployments(web.Namespace).Create(ctx, web, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	var before []corev1.Pod
	g.Eventually(func(g Gomega) {
		before = ctrltest.RunningPods(g, tenant, web)
		g.Expect(before).To(HaveLen(6))
	}).Should(Succeed())
	// Scale-in removes the newest machines; the test needs a pod on one.
	victims := sets.New("demo-default-2", "demo-default-3", "demo-default-4")
	victimVMs := map[string]kumov1.Machine{}
	for _, m := range env.Machines(g, cluster) {
		if victims.Has(m.Name) {
			victimVMs[m.Name] = m
		}
	}
	blocked := sets.New[string]()
	for _, p := range before {
		if victims.Has(p.Spec.NodeName) {
			blocked.Insert(p.Spec.NodeName)
		}
	}
	g.Expect(blocked.Len()).To(BeNumerically(">", 0), "the scheduler put no pod on %v", sets.List(victims))

	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: web.Namespace, Name: "web"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: ptr.To(intstr.FromInt32(6)),
			Selector:     web.Spec.Selector,
		},
	}
	_, err = tenant.PolicyV1().PodDisruptionBudgets(pdb.Namespace).Create(ctx, pdb, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		got, err := tenant.PolicyV1().PodDisruptionBudgets(pdb.Namespace).Get(ctx, pdb.Name, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		g.Expect(got.Status.CurrentHealthy).To(BeEquivalentTo(6))
		g.Expect(got.Status.DisruptionsAllowed).To(BeZero())
	}).Should(Succeed())

	setReplicas(g, env, cluster, 2)
	g.Eventually(func(g Gomega) {
		byName := map[string]kumov1.Machine{}
		for _, m := range env.Machines(g, cluster) {
			byName[m.Name] = m
		}
		for _, name := range sets.List(blocked) {
			m, ok := byName[name]
			g.Expect(ok).To(BeTrue(), "machine %s is gone despite the PodDisruptionBudget", name)
			g.Expect(m.Status.Phase).To(Equal(kumov1.MachineDeleting))
			cond := meta.FindStatusCondition(m.Status.Conditions, kumov1.NodeReadyCondition)
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Reason).To(Equal(kumov1.DrainingReason))
			g.Expect(cond.Message).To(ContainSubstring("PodDisruptionBudget"))
		}
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterScaling))
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionFalse, kumov1.ScalingReason))
	}).Should(Succeed())
	// While the budget stands, the blocked machines keep their VMs and the
	// pods stay where they are.
	blockedIDs := sets.New[string]()
	for _, m := range env.Machines(g, cluster) {
		if blocked.Has(m.Name) {
			blockedIDs.Insert(serverID(m.Spec.ProviderID))
		}
	}
	g.Expect(blockedIDs.Len()).To(Equal(blocked.Len()))
	g.Consistently(func(g Gomega) {
		g.Expect(names(env.Machines(g, cluster))).To(ContainElements(sets.List(blocked)))
		g.Expect(serverIDs(ctrltest.Servers(g, mgr.Sim, cluster.Spec.Region, cluster))).To(ContainElements(sets.List(blockedIDs)))
		g.Expect(names(ctrltest.RunningPods(g, tenant, web))).To(ConsistOf(names(before)))
	}).WithTimeout(5 * time.Second).Should(Succeed())

	g.Expect(tenant.PolicyV1().PodDisruptionBudgets(pdb.Namespace).Delete(ctx, pdb.Name, metav1.DeleteOptions{})).To(Succeed())
	remaining := []string{"demo-default-0", "demo-default-1"}
	g.Eventually(func(g Gomega) {
		machines := env.Machines(g, cluster)
		g.Expect(names(machines)).To(ConsistOf(remaining))
		ids := sets.New[string]()
		for _, m := range machines {
			ids.Insert(serverID(m.Spec.ProviderID))
		}
		g.Expect(serverIDs(ctrltest.Servers(g, mgr.Sim, cluster.Spec.Region, cluster))).To(ConsistOf(sets.List(ids)))

		nodes, err := tenant.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(names(nodes.Items)).To(ConsistOf(remaining))

		all, err := tenant.CoreV1().Pods(web.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		g.Expect(err).NotTo(HaveOccurred())
		for _, p := range all.Items {
			g.Expect(remaining).To(ContainElement(p.Spec.NodeName), "pod %s", p.Name)
		}
		g.Expect(ctrltest.RunningPods(g, tenant, web)).To(HaveLen(6))

		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
		g.Expect(cluster.Status.Nodes).To(Equal("2/2"))
	}).Should(Succeed())
	g.Eventually(phases).Should(Equal([]kumov1.ClusterPhase{
		kumov1.ClusterReady, kumov1.ClusterScaling, kumov1.ClusterReady, kumov1.ClusterScaling, kumov1.ClusterReady,
	}))

	// Each removed machine's cordon, drain and VM deletion is an event of
	// the cluster, once, though the drain waited through many requeues.
	g.Eventually(func(g Gomega) {
		events := removalEvents(g, env, cluster)
		for _, name := range sets.List(victims) {
			m := victimVMs[name]
			g.Expect(events).To(HaveKeyWithValue("Cordoned "+name, ContainSubstring("Cordoned node "+name)))
			g.Expect(events).To(HaveKeyWithValue("Drained "+name, ContainSubstring("Drained and removed node "+name)))
			g.Expect(events).To(HaveKeyWithValue("VMDeleted "+name, And(
				ContainSubstring(serverID(m.Spec.ProviderID)), ContainSubstring(m.Status.Hypervisor))))
		}
	}).Should(Succeed())
	removedOnce(g, env, cluster)
}

// removedOnce checks for a few seconds that no removal event of the
// cluster is recorded again. The Eventually that found them passes on its
// first look; a duplicate would come with a later reconcile.
func removedOnce(g *WithT, env *ctrltest.Env, cluster *kumov1.Cluster) {
	g.Consistently(func(g Gomega) { removalEvents(g, env, cluster) }).WithTimeout(3 * time.Second).Should(Succeed())
}

// removalEvents maps "<reason> <machine>" to the note of each event of
// the cluster related to one of its machines, and fails on an event
// recorded more than once.
func removalEvents(g Gomega, env *ctrltest.Env, cluster *kumov1.Cluster) map[string]string {
	out := map[string]string{}
	for _, ev := range env.Events(g, cluster) {
		if ev.Related == nil || ev.Related.Kind != "Machine" {
			continue
		}
		key := ev.Reason + " " + ev.Related.Name
		g.Expect(out).NotTo(HaveKey(key), "one event %s", key)
		g.Expect(ev.Series).To(BeNil(), "event %s recorded once: %s", key, ev.Note)
		out[key] = ev.Note
	}
	return out
}

// reasons counts the events regarding the cluster by reason.
func reasons(g Gomega, env *ctrltest.Env, cluster *kumov1.Cluster) map[string]int {
	out := map[string]int{}
	for _, ev := range env.Events(g, cluster) {
		n := int32(1)
		if ev.Series != nil {
			n = ev.Series.Count
		}
		out[ev.Reason] += int(n)
	}
	return out
}

// testDelete: deleting a cluster removes its machines, VMs, secrets, control
// plane processes, files and etcd keys before the Cluster itself goes, and
// records each step as an event of the cluster.
func testDelete(t *testing.T, env *ctrltest.Env, st ctrltest.State, mgr *ctrltest.Manager, cluster *kumov1.Cluster) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	env.Get(g, cluster)
	uid := cluster.UID
	last := env.Machines(g, cluster)
	g.Expect(names(last)).To(ConsistOf("demo-default-0", "demo-default-1"))
	clusterSecrets := func(g Gomega) []corev1.Secret {
		var list corev1.SecretList
		g.Expect(env.Client.List(ctx, &list, client.InNamespace(cluster.Namespace),
			client.MatchingLabels{kumov1.ClusterNameLabel: cluster.Name})).To(Succeed())
		return list.Items
	}
	// What must go is there to begin with.
	g.Expect(clusterSecrets(g)).To(HaveLen(3), "CA, service-account key and kubeconfig")
	g.Expect(mgr.Runtime.Running(uid)).NotTo(BeEmpty())
	g.Expect(env.EtcdKeys(g, uid)).To(BeNumerically(">", 0))
	g.Expect(filepath.Join(st.RuntimeDir, string(uid))).To(BeADirectory())

	g.Expect(env.Client.Delete(ctx, cluster)).To(Succeed())
	g.Eventually(func() error {
		return env.Client.Get(ctx, client.ObjectKeyFromObject(cluster), &kumov1.Cluster{})
	}).Should(Satisfy(apierrors.IsNotFound))

	// The finalizer goes last, so everything else is gone already.
	var machines kumov1.MachineList
	g.Expect(env.Client.List(ctx, &machines, client.InNamespace(cluster.Namespace))).To(Succeed())
	g.Expect(machines.Items).To(BeEmpty())
	g.Expect(clusterSecrets(g)).To(BeEmpty())
	all, err := mgr.Sim.ListServers(ctx, cluster.Spec.Region, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(all).To(BeEmpty())
	g.Expect(mgr.Runtime.Running(uid)).To(BeNil())
	g.Expect(env.EtcdKeys(g, uid)).To(BeZero())
	_, err = os.Stat(filepath.Join(st.RuntimeDir, string(uid)))
	g.Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue(), "the control plane's files are removed: %v", err)

	g.Eventually(func(g Gomega) {
		g.Expect(reasons(g, env, cluster)).To(And(
			HaveKeyWithValue("Deleting", 1),
			HaveKeyWithValue("DeletingMachines", 1),
			HaveKeyWithValue("ControlPlaneDeleted", 1),
		))
		events := removalEvents(g, env, cluster)
		for _, m := range last {
			g.Expect(events).To(HaveKeyWithValue("VMDeleted "+m.Name, And(
				ContainSubstring(serverID(m.Spec.ProviderID)), ContainSubstring(m.Status.Hypervisor))))
			g.Expect(events).NotTo(HaveKey("Drained "+m.Name), "a cluster being deleted drains nothing")
		}
	}).Should(Succeed())
	removedOnce(g, env, cluster)
}

// webDeployment is a Deployment of pause pods, which kwok "runs".
func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// serverID takes the server ID from "sim://<region>/<id>".
func serverID(providerID string) string {
	return providerID[strings.LastIndexByte(providerID, '/')+1:]
}

func idsOf(providerIDs sets.Set[string]) []string {
	var out []string
	for _, p := range sets.List(providerIDs) {
		out = append(out, serverID(p))
	}
	return out
}

func serverIDs(servers []cloud.Server) []string {
	out := make([]string, 0, len(servers))
	for _, s := range servers {
		out = append(out, s.ID)
	}
	return out
}
