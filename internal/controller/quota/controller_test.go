package quota_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// TestQuotas walks one platform through what quotas promise: racing
// creates leave exactly the limit, scale-ups are checked in nodes and
// vCPUs, dry runs reserve nothing, a lowered limit keeps what exists and
// refuses growth, a deleted cluster gives its share back, and defaults
// apply to a team without limits of its own.
func TestQuotas(t *testing.T) {
	f := start(t)
	ctx := context.Background()

	t.Run("racing creates leave exactly the limit", func(t *testing.T) {
		g := ctrltest.NewWithT(t)
		ns := f.env.Namespace(t, "race")
		f.setQuota(g, ns, kumov1.TeamQuotaSpec{MaxClusters: ptr.To[int64](3)})
		const racers = 10
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() { errs[i] = f.env.Client.Create(ctx, paused(ns, fmt.Sprintf("c%d", i), 1)) })
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			if err == nil {
				created++
				continue
			}
			refusedForQuota(g, err, fmt.Sprintf(`team %q may have at most 3 clusters and has 3; ask a platform operator to raise it: kumo tenant add %s --max-clusters N`, ns, ns))
		}
		g.Expect(created).To(Equal(3))
		var list kumov1.ClusterList
		g.Expect(f.env.Client.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).To(HaveLen(3))
		q := f.counted(g, ns, kumov1.QuotaUsage{Clusters: 3, Nodes: 3, VCPUs: 6})
		g.Expect(q.Status.Clusters).To(Equal("3/3"))
		g.Expect(q.Status.Nodes).To(Equal("3/none"))
		g.Expect(q.Status.Conditions).To(ctrltest.HaveCondition(kumov1.WithinQuotaCondition, metav1.ConditionTrue, kumov1.WithinLimitsReason))
	})

	t.Run("scale-ups are checked in nodes and vCPUs; lowering a limit keeps what exists", func(t *testing.T) {
		g := ctrltest.NewWithT(t)
		ns := f.env.Namespace(t, "scale")
		f.setQuota(g, ns, kumov1.TeamQuotaSpec{MaxNodes: ptr.To[int64](5), MaxVCPUs: ptr.To[int64](8)})
		c := paused(ns, "web", 2)
		g.Expect(f.env.Client.Create(ctx, c)).To(Succeed())

		// 4 x m1.medium is 8 vCPUs, the limit; 5 would be 10.
		refusedForQuota(g, f.scale(c, 5), fmt.Sprintf("team %q may have at most 8 vCPUs and has 4 (this change adds 6)", ns), "--max-vcpus N")
		f.env.Get(g, c)
		// A dry run is checked but reserves nothing.
		g.Expect(f.env.Client.Patch(ctx, c, client.RawPatch("application/merge-patch+json",
			[]byte(`{"spec":{"nodePools":[{"name":"default","replicas":4,"flavor":"m1.medium"}]}}`)), client.DryRunAll)).To(Succeed())
		g.Expect(f.quota(g, ns).Status.Used).To(HaveValue(HaveField("Nodes", BeEquivalentTo(2))))
		f.env.Get(g, c) // the dry run's answer is in c
		g.Expect(c.Spec.NodePools[0].Replicas).To(BeEquivalentTo(2))
		g.Expect(f.scale(c, 4)).To(Succeed())
		// A pool in a bigger flavor counts its vCPUs.
		f.env.Get(g, c)
		patch := client.MergeFrom(c.DeepCopy())
		c.Spec.NodePools = append(c.Spec.NodePools, kumov1.NodePool{Name: "big", Replicas: 1, Flavor: "m1.large"})
		refusedForQuota(g, f.env.Client.Patch(ctx, c, patch), "at most 8 vCPUs and has 8 (this change adds 4)")
		// A flavor the region does not offer cannot be counted.
		f.env.Get(g, c)
		patch = client.MergeFrom(c.DeepCopy())
		c.Spec.NodePools = append(c.Spec.NodePools, kumov1.NodePool{Name: "odd", Replicas: 1, Flavor: "x9.mega"})
		err := f.env.Client.Patch(ctx, c, patch)
		g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		g.Expect(err.Error()).To(ContainSubstring(`region quota-1 does not offer flavor "x9.mega"`))
		f.counted(g, ns, kumov1.QuotaUsage{Clusters: 1, Nodes: 4, VCPUs: 8})

		// The operator lowers the limit below what exists: the cluster
		// stays, the team is over quota, growth is refused, shrinking is not.
		f.setQuota(g, ns, kumov1.TeamQuotaSpec{MaxNodes: ptr.To[int64](2), MaxVCPUs: ptr.To[int64](8)})
		g.Eventually(func(g Gomega) {
			q := f.quota(g, ns)
			g.Expect(q.Status.Conditions).To(ctrltest.HaveCondition(kumov1.WithinQuotaCondition, metav1.ConditionFalse, kumov1.OverQuotaReason))
			g.Expect(q.Status.Nodes).To(Equal("4/2"))
		}).Should(Succeed())
		f.env.Get(g, c)
		refusedForQuota(g, f.scale(c, 5), "at most 2 nodes and has 4 (this change adds 1)")
		f.env.Get(g, c)
		g.Expect(f.scale(c, 3)).To(Succeed(), "shrinking is always allowed")
		q := f.quota(g, ns)
		g.Eventually(func(g Gomega) []string {
			var reasons []string
			for _, e := range f.env.Events(g, q) {
				reasons = append(reasons, e.Reason)
			}
			return reasons
		}).Should(ContainElement(kumov1.OverQuotaReason))
		f.env.Get(g, c)
		g.Expect(f.scale(c, 2)).To(Succeed())
		g.Eventually(func(g Gomega) {
			q := f.quota(g, ns)
			g.Expect(q.Status.Conditions).To(ctrltest.HaveCondition(kumov1.WithinQuotaCondition, metav1.ConditionTrue, kumov1.WithinLimitsReason))
		}).Should(Succeed())
	})

	t.Run("a cluster being deleted gives its share back", func(t *testing.T) {
		g := ctrltest.NewWithT(t)
		ns := f.env.Namespace(t, "delete")
		f.setQuota(g, ns, kumov1.TeamQuotaSpec{MaxClusters: ptr.To[int64](1)})
		first := paused(ns, "first", 1)
		g.Expect(f.env.Client.Create(ctx, first)).To(Succeed())
		refusedForQuota(g, f.env.Client.Create(ctx, paused(ns, "second", 1)), "at most 1 cluster and has 1")
		g.Expect(f.env.Client.Delete(ctx, first)).To(Succeed())
		f.counted(g, ns, kumov1.QuotaUsage{})
		g.Expect(f.env.Client.Create(ctx, paused(ns, "second", 1))).To(Succeed())
	})

	t.Run("defaults apply to a team without limits of its own", func(t *testing.T) {
		g := ctrltest.NewWithT(t)
		defaults := &kumov1.TeamQuota{
			ObjectMeta: metav1.ObjectMeta{Namespace: kumov1.DefaultQuotaNamespace, Name: kumov1.DefaultQuotaName},
			Spec:       kumov1.TeamQuotaSpec{MaxNodes: ptr.To[int64](3)},
		}
		system := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kumov1.DefaultQuotaNamespace}}
		g.Expect(client.IgnoreAlreadyExists(f.env.Client.Create(ctx, system))).To(Succeed())
		g.Expect(f.env.Client.Create(ctx, defaults)).To(Succeed())
		t.Cleanup(func() { _ = f.env.Client.Delete(ctx, defaults) })

		// No TeamQuota yet: a dry run is checked against the defaults and
		// makes nothing; a create makes one to count in.
		ns := f.env.Namespace(t, "defaults")
		refusedForQuota(g, f.env.Client.Create(ctx, paused(ns, "big", 4), client.DryRunAll), "at most 3 nodes (the platform default) and has 0 (this change adds 4)")
		g.Expect(f.env.Client.Create(ctx, paused(ns, "a", 2), client.DryRunAll)).To(Succeed())
		err := f.env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: kumov1.TeamQuotaName}, &kumov1.TeamQuota{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "a dry run made a quota: %v", err)
		g.Expect(f.env.Client.Create(ctx, paused(ns, "a", 2))).To(Succeed())
		refusedForQuota(g, f.env.Client.Create(ctx, paused(ns, "b", 2)),
			fmt.Sprintf("team %q may have at most 3 nodes (the platform default) and has 2 (this change adds 2)", ns))
		q := f.counted(g, ns, kumov1.QuotaUsage{Clusters: 1, Nodes: 2, VCPUs: 4})
		g.Expect(q.Status.Limits.Nodes).To(HaveValue(BeEquivalentTo(3)))

		// The team's own limit wins over the default.
		f.setQuota(g, ns, kumov1.TeamQuotaSpec{MaxNodes: ptr.To[int64](4)})
		g.Eventually(func() error { return f.env.Client.Create(ctx, paused(ns, "b", 2)) }).Should(Succeed())

		// Defaults are listed beside the teams.
		g.Eventually(func(g Gomega) {
			f.env.Get(g, defaults)
			g.Expect(defaults.Status.Nodes).To(Equal("-/3"))
		}).Should(Succeed())
	})

	t.Run("a namespace with clusters gets a quota to show its usage", func(t *testing.T) {
		g := ctrltest.NewWithT(t)
		ns := f.env.Namespace(t, "unlimited")
		g.Expect(f.env.Client.Create(ctx, paused(ns, "a", 3))).To(Succeed())
		q := f.counted(g, ns, kumov1.QuotaUsage{Clusters: 1, Nodes: 3, VCPUs: 6})
		g.Expect(q.Status.Clusters).To(Equal("1/none"))
	})
}
