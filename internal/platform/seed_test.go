package platform

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/testenv"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// TestSeedMarksADefaultOnlyWhenNoneIs: a fresh platform marks its newest
// release the default; an operator's choice survives later starts, also
// of a newer Kumo that brings a newer release.
func TestSeedMarksADefaultOnlyWhenNoneIs(t *testing.T) {
	env := testenv.Start(t)
	g := NewWithT(t)
	ctx := context.Background()
	c := env.Client
	defaults := func() []string {
		var list kumov1.KubernetesReleaseList
		g.Expect(c.List(ctx, &list)).To(Succeed())
		var out []string
		for _, r := range list.Items {
			if r.Spec.Default {
				out = append(out, r.Name)
			}
		}
		return out
	}

	g.Expect(seed(ctx, c, "")).To(Succeed())
	g.Expect(defaults()).To(ConsistOf(toolchain.DefaultVersion()))

	// The operator prefers another release; the new Kumo's release comes
	// unmarked.
	newest := &kumov1.KubernetesRelease{}
	g.Expect(c.Get(ctx, keyOf(toolchain.DefaultVersion()), newest)).To(Succeed())
	g.Expect(c.Delete(ctx, newest)).To(Succeed())
	older := &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v1.35.9"},
		Spec: kumov1.KubernetesReleaseSpec{Version: "1.35.9", State: kumov1.ReleaseSupported, Default: true}}
	g.Expect(c.Create(ctx, older)).To(Succeed())
	g.Expect(seed(ctx, c, "")).To(Succeed())
	g.Expect(defaults()).To(ConsistOf("v1.35.9"))

	var region kumov1.Region
	g.Expect(c.Get(ctx, keyOf("tokyo-1"), &region)).To(Succeed())
	g.Expect(region.Spec.Default).To(BeTrue())

	// The quota defaults are there for operators to set, limiting nothing
	// at first, and what an operator sets stays.
	quota := &kumov1.TeamQuota{}
	key := client.ObjectKey{Namespace: kumov1.DefaultQuotaNamespace, Name: kumov1.DefaultQuotaName}
	g.Expect(c.Get(ctx, key, quota)).To(Succeed())
	g.Expect(quota.Spec.Limits(nil).None()).To(BeTrue())
	quota.Spec.MaxClusters = ptr.To[int64](10)
	g.Expect(c.Update(ctx, quota)).To(Succeed())
	g.Expect(seed(ctx, c, "")).To(Succeed())
	g.Expect(c.Get(ctx, key, quota)).To(Succeed())
	g.Expect(quota.Spec.MaxClusters).To(HaveValue(BeEquivalentTo(10)))
}

func keyOf(name string) client.ObjectKey { return client.ObjectKey{Name: name} }

// TestSeedPublishesTheCatalog: every version the toolchain builds, with its
// end of support; the default the operator asked for; and the policy that
// refuses clusters on a Removed release, with its message.
func TestSeedPublishesTheCatalog(t *testing.T) {
	env := testenv.Start(t)
	g := NewWithT(t)
	ctx := context.Background()
	c := env.Client
	g.Expect(seed(ctx, c, "1.36")).To(Succeed())

	var list kumov1.KubernetesReleaseList
	g.Expect(c.List(ctx, &list)).To(Succeed())
	g.Expect(list.Items).To(HaveLen(len(toolchain.Versions())))
	for _, r := range list.Items {
		info, err := toolchain.ReleaseOf(r.Name)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(r.Spec.EndOfSupport).NotTo(BeNil())
		g.Expect(r.Spec.EndOfSupport.Time.Equal(info.EndOfSupport)).To(BeTrue(), r.Name)
		g.Expect(r.Spec.Default).To(Equal(r.Name == toolchain.PlatformVersion()), r.Name)
	}
	g.Expect(seed(ctx, c, "1.20")).To(MatchError(ContainSubstring("kubernetes 1.20 is not offered")))

	g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}})).To(Succeed())
	gone := &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v1.34.8"},
		Spec: kumov1.KubernetesReleaseSpec{Version: "1.34.8", State: kumov1.ReleaseRemoved}}
	g.Expect(c.Create(ctx, gone)).To(Succeed())
	cluster := func(version string) *kumov1.Cluster {
		return &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{GenerateName: "c-", Namespace: "team-a"},
			Spec: kumov1.ClusterSpec{Version: version, Region: "tokyo-1"}}
	}
	for _, v := range []string{"1.34.8", "1.34"} {
		// The API server loads a new policy and params within a second or so.
		g.Eventually(func() error { return c.Create(ctx, cluster(v), client.DryRunAll) }).WithTimeout(10*time.Second).Should(
			MatchError(ContainSubstring("Kubernetes 1.34.8 has been removed from the platform: no cluster may be created on it or moved to it; pick a Supported version (kumoctl versions)")), v)
	}
	g.Expect(c.Create(ctx, cluster("1.36"))).To(Succeed())
	g.Expect(c.Create(ctx, cluster("1.37.2"))).To(Succeed())

	// An upgrade to a Removed release is refused too; other updates pass.
	ok := cluster("1.35")
	g.Expect(c.Create(ctx, ok)).To(Succeed())
	ok.Spec.Version = "1.34"
	err := c.Update(ctx, ok)
	g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
	ok.Spec.Version = "1.35"
	ok.Spec.Paused = true
	g.Expect(c.Update(ctx, ok)).To(Succeed())
}
