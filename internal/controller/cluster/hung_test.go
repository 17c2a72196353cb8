package cluster_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// TestHungAPIServerIsReplacedAndTheClusterDegradedMeanwhile: a Ready
// cluster's API server is frozen (SIGSTOP). Its liveness probe fails, the
// supervisor kills it and starts another; meanwhile the cluster reads
// Degraded with the component named, never Provisioning or Starting, and
// events say what failed, what was done and that it recovered.
func TestHungAPIServerIsReplacedAndTheClusterDegradedMeanwhile(t *testing.T) {
	env, _, mgr := start(t)
	g := ctrltest.NewWithT(t)
	ctx := context.Background()
	ns := env.Namespace(t, "hung")
	region := env.CreateRegion(t, "hung-1", ctrltest.SmallFleet(), 0)
	cluster := ctrltest.NewCluster(ns, "frozen", region.Name, 1)
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
	}).Should(Succeed())

	phases := env.WatchPhases(t, cluster)
	pidOf := func() int { return mgr.Runtime.Running(cluster.UID)[ns+"/frozen kube-apiserver"] }
	frozen := pidOf()
	g.Expect(frozen).NotTo(BeZero())
	g.Expect(syscall.Kill(frozen, syscall.SIGSTOP)).To(Succeed())
	stopped := time.Now()
	// Resume a process the test froze if it is still there, whatever happens.
	defer func() { _ = syscall.Kill(frozen, syscall.SIGCONT) }()

	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterDegraded))
		g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionFalse, kumov1.ControlPlaneUnhealthyReason))
		g.Expect(meta.FindStatusCondition(cluster.Status.Conditions, kumov1.ControlPlaneReadyCondition).Message).To(HavePrefix("kube-apiserver not live for 15s, restarting"))
	}).WithTimeout(40 * time.Second).Should(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
	}).WithTimeout(60 * time.Second).Should(Succeed())
	t.Logf("Ready again %s after SIGSTOP", time.Since(stopped).Round(time.Second))
	g.Expect(pidOf()).NotTo(Equal(frozen))
	g.Expect(syscall.Kill(frozen, 0)).To(MatchError(syscall.ESRCH), "the frozen API server is gone")

	g.Expect(phases()).To(Equal([]kumov1.ClusterPhase{kumov1.ClusterReady, kumov1.ClusterDegraded, kumov1.ClusterReady}))
	g.Eventually(func(g Gomega) {
		var seen []string
		for _, e := range env.Events(g, cluster) {
			seen = append(seen, e.Reason+": "+e.Note)
		}
		all := strings.Join(seen, "\n")
		g.Expect(all).To(MatchRegexp(`(?s)ComponentUnhealthy: kube-apiserver not live for 15s, restarting.*`+
			`ComponentRestarted: kube-apiserver restarted \(signal: killed; restart 1\).*`+
			`ComponentRecovered: kube-apiserver is live again.*`+
			// The controller-manager may fail too while its API server
			// comes back (RBAC not served yet): the last problem named.
			`ControlPlaneRecovered: Control plane recovered \(was: kube-(apiserver|controller-manager) `), all)
	}).Should(Succeed())
}
