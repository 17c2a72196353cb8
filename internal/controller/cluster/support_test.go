package cluster_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// TestClusterToldItsReleaseIsDeprecated: a Ready cluster learns from the
// catalog that its release nears its end of support, then that it is
// deprecated (a Warning event too), and stays Ready: an old release keeps
// running until the tenant upgrades.
func TestClusterToldItsReleaseIsDeprecated(t *testing.T) {
	env, _, _ := start(t)
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	ns := env.Namespace(t, "support")
	region := env.CreateRegion(t, "support-1", ctrltest.SmallFleet(), 0)

	version := toolchain.PlatformVersion()[1:] // "1.36.3"
	eos := metav1.NewTime(time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second))
	old := &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v" + version},
		Spec: kumov1.KubernetesReleaseSpec{Version: version, State: kumov1.ReleaseSupported, EndOfSupport: &eos}}
	next := &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v1.37.2"},
		Spec: kumov1.KubernetesReleaseSpec{Version: "1.37.2", State: kumov1.ReleaseSupported}}
	g.Expect(env.Client.Create(ctx, old)).To(Succeed())
	g.Expect(env.Client.Create(ctx, next)).To(Succeed())

	cluster := ctrltest.NewCluster(ns, "aging", region.Name, 1)
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.VersionSupportedCondition, metav1.ConditionTrue, "EndOfSupportSoon"))
	}).Should(Succeed())
	g.Expect(conditionMessage(cluster, kumov1.VersionSupportedCondition)).To(MatchRegexp(
		`^Kubernetes ` + version + ` reaches its end of support on ` + eos.Format(time.DateOnly) + ` \(in 1[01] days\); upgrade to 1.37$`))

	patch := client.MergeFrom(old.DeepCopy())
	old.Spec.State = kumov1.ReleaseDeprecated
	g.Expect(env.Client.Patch(ctx, old, patch)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.VersionSupportedCondition, metav1.ConditionFalse, "Deprecated"))
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady), "an old release keeps running")
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason))
	}).Should(Succeed())
	g.Expect(conditionMessage(cluster, kumov1.VersionSupportedCondition)).To(Equal(
		"Kubernetes " + version + " is deprecated; support ends on " + eos.Format(time.DateOnly) + "; upgrade to 1.37"))
	g.Eventually(func(g Gomega) {
		var reasons []string
		for _, e := range env.Events(g, cluster) {
			if e.Type == "Warning" {
				reasons = append(reasons, e.Reason)
			}
		}
		g.Expect(reasons).To(ContainElements("EndOfSupportSoon", "Deprecated"))
	}).Should(Succeed())
}

func conditionMessage(c *kumov1.Cluster, typ string) string {
	for _, cond := range c.Status.Conditions {
		if cond.Type == typ {
			return cond.Message
		}
	}
	return ""
}
