package platform

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
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

	g.Expect(seed(ctx, c)).To(Succeed())
	g.Expect(defaults()).To(ConsistOf(toolchain.DefaultVersion()))

	// The operator prefers another release; the new Kumo's release comes
	// unmarked.
	newest := &kumov1.KubernetesRelease{}
	g.Expect(c.Get(ctx, keyOf(toolchain.DefaultVersion()), newest)).To(Succeed())
	g.Expect(c.Delete(ctx, newest)).To(Succeed())
	older := &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v1.35.9"},
		Spec: kumov1.KubernetesReleaseSpec{Version: "1.35.9", State: kumov1.ReleaseSupported, Default: true}}
	g.Expect(c.Create(ctx, older)).To(Succeed())
	g.Expect(seed(ctx, c)).To(Succeed())
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
	g.Expect(seed(ctx, c)).To(Succeed())
	g.Expect(c.Get(ctx, key, quota)).To(Succeed())
	g.Expect(quota.Spec.MaxClusters).To(HaveValue(BeEquivalentTo(10)))
}

func keyOf(name string) client.ObjectKey { return client.ObjectKey{Name: name} }
