package cluster_test

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// TestClusterLosingANodeIsDegradedNotScaling: a Ready cluster whose spec
// did not change but which lost a node (its VM deleted outside Kumo) reads
// Degraded with the nodes' reason, not Scaling.
func TestClusterLosingANodeIsDegradedNotScaling(t *testing.T) {
	env, _, mgr := start(t)
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	ns := env.Namespace(t, "degraded")
	region := env.CreateRegion(t, "degraded-1", ctrltest.SmallFleet(), 0)
	cluster := ctrltest.NewCluster(ns, "lossy", region.Name, 2)
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
	}).Should(Succeed())

	victim := env.Machines(g, cluster)[0]
	id := victim.Spec.ProviderID[strings.LastIndexByte(victim.Spec.ProviderID, '/')+1:]
	g.Expect(mgr.Sim.DeleteServer(ctx, region.Name, id)).To(Succeed())
	// Wake the machine controller now rather than at its next poll.
	patch := client.MergeFrom(victim.DeepCopy())
	victim.Annotations = map[string]string{"test.kumo.dev/poke": "1"}
	g.Expect(env.Client.Patch(ctx, &victim, patch)).To(Succeed())

	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterDegraded))
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionFalse, kumov1.NodesNotReadyReason))
	}).Should(Succeed())
}
