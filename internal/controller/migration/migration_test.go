package migration_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/controller/internal/machines"
)

// TestMigration takes one 4-node cluster, running 8 pods under a
// PodDisruptionBudget, through refused migrations, a manual one held up by
// the budget and rolled back, an automatic one that completes, one during
// which the manager restarts, and one cut short by deleting the cluster.
func TestMigration(t *testing.T) {
	env, st, mgr := start(t)
	ns := env.Namespace(t, "migration")
	cluster := readyCluster(t, env, ns, "demo", 4)
	g := ctrltest.NewWithT(t)
	original := byRegion(g, env, cluster)["tokyo-1"]
	g.Expect(original).To(HaveLen(4))

	tenant := env.TenantClient(g, cluster)
	web := ctrltest.WebDeployment(8)
	_, err := tenant.AppsV1().Deployments(web.Namespace).Create(context.Background(), web, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) { g.Expect(ctrltest.RunningPods(g, tenant, web)).To(HaveLen(8)) }).Should(Succeed())

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"refused", func(t *testing.T) { testRefused(t, env, cluster) }},
		{"manual, blocked, rolled back", func(t *testing.T) { testRollback(t, env, mgr, cluster, original) }},
		{"complete", func(t *testing.T) { testComplete(t, env, mgr, cluster) }},
		// The managers it starts outlive the subtest: they are bound to t.
		{"restarts", func(sub *testing.T) { mgr = testRestarts(sub, t, env, st, mgr, cluster) }},
		{"cluster deleted", func(t *testing.T) { testClusterDeleted(t, env, mgr, cluster) }},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			t.Fatalf("step %s failed; the later steps depend on it", s.name)
		}
	}
}

// testRefused: a migration that cannot work is refused before anything is
// created, saying why and what to do.
func testRefused(t *testing.T, env *ctrltest.Env, cluster *kumov1.Cluster) {
	tiny := env.CreateRegion(t, "tiny-1", kumov1.HypervisorFleet{Count: 1, Cores: 1, MemoryGiB: 8}, 1)
	ctrltest.NewWithT(t).Eventually(func(g Gomega) {
		env.Get(g, tiny)
		g.Expect(tiny.Status.Flavors).NotTo(BeEmpty(), "the capacity check reads the region's flavors")
	}).Should(Succeed())
	broken := ctrltest.NewCluster(cluster.Namespace, "broken", "nowhere-1", 1)
	NewWithT(t).Expect(env.Client.Create(context.Background(), broken)).To(Succeed())
	ghost := ctrltest.NewCluster(cluster.Namespace, "ghost", "tokyo-1", 1)

	cases := map[string]struct {
		// cluster and target are what the migration asks for.
		cluster *kumov1.Cluster
		target  string
		// wantReason and wantMsg are the Accepted condition's.
		wantReason, wantMsg string
	}{
		"unknown region": {cluster: cluster, target: "nowhere-1", wantReason: kumov1.RegionNotFoundReason,
			wantMsg: "region nowhere-1 does not exist; list regions with `kumoctl regions`"},
		"own region": {cluster: cluster, target: "tokyo-1", wantReason: kumov1.SameRegionReason,
			wantMsg: "cluster demo runs in tokyo-1 already"},
		"region too small": {cluster: cluster, target: "tiny-1", wantReason: kumov1.CapacityShortReason,
			wantMsg: "region tiny-1 has 1 vCPUs free, the cluster needs 8 (4 x m1.medium (2 vCPUs))"},
		"cluster not ready": {cluster: broken, target: "osaka-1", wantReason: kumov1.ClusterNotReadyReason,
			wantMsg: "cluster broken is Failed, not Ready"},
		"no such cluster": {cluster: ghost, target: "osaka-1", wantReason: kumov1.ClusterNotFoundReason,
			wantMsg: "cluster ghost does not exist"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			g := ctrltest.NewWithT(t)
			if tc.cluster == broken {
				g.Eventually(func(g Gomega) {
					env.Get(g, broken)
					g.Expect(broken.Status.Phase).To(Equal(kumov1.ClusterFailed))
				}).Should(Succeed())
			}
			m := newMigration(tc.cluster, tc.target, nil)
			g.Expect(env.Client.Create(context.Background(), m)).To(Succeed())
			g.Eventually(func(g Gomega) {
				env.Get(g, m)
				g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationFailed))
				g.Expect(m.Finalizers).To(BeEmpty(), "a refused migration holds nothing")
			}).Should(Succeed())
			cond := meta.FindStatusCondition(m.Status.Conditions, kumov1.AcceptedCondition)
			g.Expect(cond).NotTo(BeNil())
			g.Expect(cond.Reason).To(Equal(tc.wantReason))
			g.Expect(cond.Message).To(ContainSubstring(tc.wantMsg))
			g.Expect(byRegion(g, env, cluster)).To(HaveLen(1), "nothing was created")
			env.Get(g, cluster)
			g.Expect(cluster.Status.MigratingTo).To(BeEmpty())
			deleteMigration(g, env, m)
		})
	}
}

// testRollback: a manual migration's first step creates the new nodes,
// then waits on a PodDisruptionBudget that allows no disruption (saying so
// after the drain timeout), goes on once the budget allows one, and waits
// for approval; the cluster's pools are frozen meanwhile. A rollback puts
// the cluster back as it began: the same four nodes, uncordoned, in
// tokyo-1, nothing left in osaka-1.
func testRollback(t *testing.T, env *ctrltest.Env, mgr *ctrltest.Manager, cluster *kumov1.Cluster, original []string) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	tenant := env.TenantClient(g, cluster)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(8)), Selector: ctrltest.WebDeployment(8).Spec.Selector},
	}
	_, err := tenant.PolicyV1().PodDisruptionBudgets("default").Create(ctx, pdb, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())

	m := newMigration(cluster, "osaka-1", func(m *kumov1.ClusterMigration) {
		m.Spec.Steps = []int32{50, 100}
		m.Spec.Approval = kumov1.ApprovalManual
		m.Spec.Soak = &metav1.Duration{Duration: time.Hour}
	})
	g.Expect(env.Client.Create(ctx, m)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Conditions).To(ctrltest.HaveCondition(kumov1.DrainBlockedCondition, metav1.ConditionTrue, kumov1.PDBBlocksReason))
	}).Should(Succeed())
	blocked := meta.FindStatusCondition(m.Status.Conditions, kumov1.DrainBlockedCondition)
	g.Expect(blocked.Message).To(ContainSubstring("PodDisruptionBudget default/web"))
	g.Expect(m.Status.Step).To(BeZero())
	g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationMigrating))
	g.Expect(m.Status.SourceRegion).To(Equal("tokyo-1"))
	g.Expect(byRegion(g, env, cluster)["osaka-1"]).To(HaveLen(2), "half of the pool, surged first")
	g.Expect(schedulable(g, tenant)).To(HaveLen(4), "two new nodes up, two old ones cordoned")

	env.Get(g, cluster)
	g.Expect(cluster.Status.MigratingTo).To(Equal("osaka-1"))
	g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterMigrating))
	patch := client.MergeFrom(cluster.DeepCopy())
	cluster.Spec.NodePools[0].Replicas = 6
	err = env.Client.Patch(ctx, cluster, patch)
	g.Expect(err).To(HaveOccurred(), "scaling during a migration is refused")
	g.Expect(err.Error()).To(ContainSubstring("node pools cannot change while the cluster migrates to osaka-1"))

	// The budget allows one disruption at a time: the drain goes on.
	pdb.Spec.MinAvailable = nil
	pdb.Spec.MaxUnavailable = ptr.To(intstr.FromInt32(1))
	got, err := tenant.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "web", metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	got.Spec = pdb.Spec
	_, err = tenant.PolicyV1().PodDisruptionBudgets("default").Update(ctx, got, metav1.UpdateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationWaitingForApproval))
	}).Should(Succeed())
	g.Expect(m.Status.Step).To(BeEquivalentTo(1))
	g.Expect(m.Status.NodesInTarget).To(BeEquivalentTo(2))
	g.Expect(m.Status.NodesInSource).To(BeEquivalentTo(4), "the old nodes stay, cordoned")
	g.Expect(meta.FindStatusCondition(m.Status.Conditions, kumov1.DrainBlockedCondition)).To(BeNil())
	g.Consistently(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Step).To(BeEquivalentTo(1), "a manual migration waits for approval")
	}).WithTimeout(2 * time.Second).Should(Succeed())
	g.Eventually(func(g Gomega) { g.Expect(ctrltest.RunningPods(g, tenant, ctrltest.WebDeployment(8))).To(HaveLen(8)) }).Should(Succeed())

	patchMigration(g, env, m, func(m *kumov1.ClusterMigration) { m.Spec.Rollback = true })
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationRolledBack))
	}).Should(Succeed())
	regions := byRegion(g, env, cluster)
	g.Expect(regions).To(HaveKey("tokyo-1"))
	g.Expect(regions["tokyo-1"]).To(ConsistOf(original), "the same nodes as before")
	g.Expect(regions).NotTo(HaveKey("osaka-1"))
	g.Expect(ctrltest.Servers(g, mgr.Sim, "osaka-1", cluster)).To(BeEmpty())
	g.Eventually(func(g Gomega) { g.Expect(schedulable(g, tenant)).To(ConsistOf(original)) }).Should(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.MigratingTo).To(BeEmpty())
		g.Expect(cluster.Status.Region).To(Equal("tokyo-1"))
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
	}).Should(Succeed())
	g.Eventually(func(g Gomega) { g.Expect(ctrltest.RunningPods(g, tenant, ctrltest.WebDeployment(8))).To(HaveLen(8)) }).Should(Succeed())
	deleteMigration(g, env, m)
}

// testComplete: an automatic migration moves every node in two steps,
// never leaving fewer than four schedulable nodes or fewer pods than the
// budget allows, soaks until told to finish, then deletes the old nodes
// and VMs; the cluster reports osaka-1 and grows there.
func testComplete(t *testing.T, env *ctrltest.Env, mgr *ctrltest.Manager, cluster *kumov1.Cluster) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	tenant := env.TenantClient(g, cluster)
	m := newMigration(cluster, "osaka-1", func(m *kumov1.ClusterMigration) {
		m.Spec.Steps = []int32{50, 100}
		m.Spec.Soak = &metav1.Duration{Duration: time.Hour}
	})
	// Sampled throughout: the invariants a tenant relies on.
	violations := sample(t, func() []string {
		var out []string
		sg := NewGomega(func(msg string, _ ...int) { out = append(out, msg) })
		if n := len(schedulable(sg, tenant)); n < 4 {
			out = append(out, fmt.Sprintf("%d schedulable Ready nodes", n))
		}
		if n := len(ctrltest.RunningPods(sg, tenant, ctrltest.WebDeployment(8))); n < 7 {
			out = append(out, fmt.Sprintf("%d running pods under a budget of 1 unavailable", n))
		}
		return out
	})
	g.Expect(env.Client.Create(ctx, m)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationSoaking))
	}).Should(Succeed())
	g.Expect(violations()).To(BeEmpty())
	g.Expect(m.Status.Step).To(BeEquivalentTo(2))
	g.Expect(m.Status.NodesInTarget).To(BeEquivalentTo(4))
	env.Get(g, cluster)
	g.Expect(cluster.Status.Region).To(Equal("tokyo-1"), "a soaking migration can still roll back")

	patchMigration(g, env, m, func(m *kumov1.ClusterMigration) { m.Spec.Soak = &metav1.Duration{} })
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationCompleted))
	}).Should(Succeed())
	regions := byRegion(g, env, cluster)
	g.Expect(regions).NotTo(HaveKey("tokyo-1"))
	g.Expect(regions["osaka-1"]).To(HaveLen(4))
	g.Expect(ctrltest.Servers(g, mgr.Sim, "tokyo-1", cluster)).To(BeEmpty(), "tokyo-1 has no VM of the cluster")
	g.Expect(ctrltest.Servers(g, mgr.Sim, "osaka-1", cluster)).To(HaveLen(4))
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Region).To(Equal("osaka-1"))
		g.Expect(cluster.Status.MigratingTo).To(BeEmpty())
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
	}).Should(Succeed())
	g.Eventually(func(g Gomega) { g.Expect(ctrltest.RunningPods(g, tenant, ctrltest.WebDeployment(8))).To(HaveLen(8)) }).Should(Succeed())

	var reasons []string
	for _, ev := range env.Events(g, cluster) {
		reasons = append(reasons, ev.Reason)
	}
	g.Expect(reasons).To(ContainElements("MigrationStarted", "MigrationCreatingNodes", "MigrationCordoned", "MigrationDrained",
		"MigrationStepCompleted", "MigrationSoaking", "MigrationDeletingNodes", "MigrationCompleted"))
	g.Expect(metric(g, "kumo_cluster_migrations", "phase", "Completed")).To(BeNumerically(">=", 1))
	g.Expect(metric(g, "kumo_migration_step_duration_seconds", "kind", "step")).To(BeNumerically(">=", 2), "two steps timed")

	// New nodes go where the cluster now is.
	patch := client.MergeFrom(cluster.DeepCopy())
	cluster.Spec.NodePools[0].Replicas = 5
	g.Expect(env.Client.Patch(ctx, cluster, patch)).To(Succeed())
	g.Eventually(func(g Gomega) { g.Expect(byRegion(g, env, cluster)["osaka-1"]).To(HaveLen(5)) }).Should(Succeed())
	g.Expect(byRegion(g, env, cluster)).NotTo(HaveKey("tokyo-1"))
	deleteMigration(g, env, m)
}

// testRestarts: the manager stops (as in a crash: its control planes die
// with it) three times during a migration back to tokyo-1, and the
// migration completes with one VM per Machine and no VM left over.
// The new managers are stopped when parent ends.
func testRestarts(t, parent *testing.T, env *ctrltest.Env, st ctrltest.State, mgr *ctrltest.Manager, cluster *kumov1.Cluster) *ctrltest.Manager {
	g := ctrltest.NewWithT(t)
	waitReady(g, env, cluster)
	m := newMigration(cluster, "tokyo-1", func(m *kumov1.ClusterMigration) {
		m.Spec.Steps = []int32{20, 60, 100}
		m.Spec.Soak = &metav1.Duration{}
	})
	g.Expect(env.Client.Create(context.Background(), m)).To(Succeed())
	// Stop at: the first new Machine, the first drained old node, the
	// second step done.
	stops := []func(Gomega){
		func(g Gomega) { g.Expect(byRegion(g, env, cluster)["tokyo-1"]).NotTo(BeEmpty()) },
		func(g Gomega) {
			env.Get(g, m)
			g.Expect(m.Status.Draining + m.Status.Step).To(BeNumerically(">", 0))
		},
		func(g Gomega) {
			env.Get(g, m)
			g.Expect(m.Status.Step).To(BeNumerically(">=", 2))
		},
	}
	for _, stop := range stops {
		g.Eventually(stop).WithPolling(50 * time.Millisecond).Should(Succeed())
		mgr.Stop(t)
		mgr = env.StartManager(parent, st, withDrainTimeout)
	}
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationCompleted))
	}).Should(Succeed())
	ms := env.Machines(g, cluster)
	g.Expect(ms).To(HaveLen(5))
	var ids, vms []string
	for _, mc := range ms {
		g.Expect(mc.Spec.Region).To(Equal("tokyo-1"))
		ids = append(ids, machines.ServerID(mc.Spec.ProviderID))
	}
	for _, s := range ctrltest.Servers(g, mgr.Sim, "tokyo-1", cluster) {
		vms = append(vms, s.ID)
	}
	sort.Strings(ids)
	sort.Strings(vms)
	g.Expect(vms).To(Equal(ids), "one VM per Machine, none left over")
	g.Expect(ctrltest.Servers(g, mgr.Sim, "osaka-1", cluster)).To(BeEmpty())
	deleteMigration(g, env, m)
	return mgr
}

// testClusterDeleted: deleting the cluster during a migration removes its
// nodes and VMs in both regions, and the migration ends.
func testClusterDeleted(t *testing.T, env *ctrltest.Env, mgr *ctrltest.Manager, cluster *kumov1.Cluster) {
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	waitReady(g, env, cluster)
	m := newMigration(cluster, "osaka-1", func(m *kumov1.ClusterMigration) {
		m.Spec.Steps = []int32{100}
		m.Spec.Soak = &metav1.Duration{Duration: time.Hour}
	})
	g.Expect(env.Client.Create(ctx, m)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(byRegion(g, env, cluster)["osaka-1"]).NotTo(BeEmpty(), "migration status: %+v", m.Status)
	}).Should(Succeed())
	g.Expect(env.Client.Delete(ctx, cluster)).To(Succeed())
	g.Eventually(func(g Gomega) { g.Expect(env.Machines(g, cluster)).To(BeEmpty()) }).Should(Succeed())
	g.Expect(ctrltest.Servers(g, mgr.Sim, "osaka-1", cluster)).To(BeEmpty())
	g.Expect(ctrltest.Servers(g, mgr.Sim, "tokyo-1", cluster)).To(BeEmpty())
	g.Eventually(func(g Gomega) {
		env.Get(g, m)
		g.Expect(m.Status.Phase).To(Equal(kumov1.MigrationFailed))
		g.Expect(m.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ProgressingCondition, metav1.ConditionFalse, kumov1.ClusterDeletingReason))
		g.Expect(m.Finalizers).To(BeEmpty())
	}).Should(Succeed())
}

// waitReady waits until the cluster is Ready: a migration of a cluster
// that is not is refused.
func waitReady(g Gomega, env *ctrltest.Env, cluster *kumov1.Cluster) {
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
	}).Should(Succeed())
}

// metric reads a gauge's value, or a histogram's sample count, from the
// manager's registry: the series whose label is value.
func metric(g Gomega, name, label, value string) float64 {
	families, err := metrics.Registry.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					if h := m.GetHistogram(); h != nil {
						return float64(h.GetSampleCount())
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return 0
}
