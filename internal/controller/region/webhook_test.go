package region_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// TestRegionDeleteGuard: a Region that clusters run in (or migrate to)
// cannot be deleted; an empty one can.
func TestRegionDeleteGuard(t *testing.T) {
	env := ctrltest.Start(t)
	env.StartManager(t, ctrltest.NewState(t), env.ServeWebhooks(t))
	ctx := context.Background()
	g := ctrltest.NewWithT(t)
	used := env.CreateRegion(t, "guard-1", ctrltest.SmallFleet(), 0)
	target := env.CreateRegion(t, "guard-2", ctrltest.SmallFleet(), 0)
	empty := env.CreateRegion(t, "guard-3", ctrltest.SmallFleet(), 0)
	ns := env.Namespace(t, "guard")
	// Paused: the cluster controller leaves it alone, the guard counts it.
	c := ctrltest.NewCluster(ns, "demo", used.Name, 2)
	c.Spec.Paused = true
	g.Expect(env.Client.Create(ctx, c)).To(Succeed())
	// The cluster controller adds its finalizer meanwhile: retry on conflicts.
	g.Eventually(func(g Gomega) {
		env.Get(g, c)
		c.Status.MigratingTo = target.Name
		g.Expect(env.Client.Status().Update(ctx, c)).To(Succeed())
	}).Should(Succeed())

	// The webhook answers once the manager serves it.
	g.Eventually(func() error { return env.Client.Delete(ctx, empty) }).Should(Succeed())

	for _, r := range []*kumov1.Region{used, target} {
		err := env.Client.Delete(ctx, r)
		g.Expect(apierrors.IsConflict(err)).To(BeTrue(), "want Conflict, got %v", err)
		g.Expect(err.Error()).To(And(
			ContainSubstring("region "+r.Name+" still has 1 clusters and 0 VMs of Kumo's ("+ns+"/demo)"),
			ContainSubstring("migrate the clusters elsewhere (ClusterMigration) or delete them first"),
		))
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(r), &kumov1.Region{})).To(Succeed(), "still there")
	}

	g.Expect(env.Client.Delete(ctx, c)).To(Succeed())
	g.Eventually(func() error { return env.Client.Delete(ctx, used) }).Should(Succeed())
	g.Expect(env.Client.Delete(ctx, target)).To(Succeed())
}
