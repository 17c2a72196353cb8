package cluster_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// TestClusterBlocked: a cluster that cannot be built fails with a reason
// and a message the tenant can act on, starts nothing, and proceeds once
// the cause is gone.
func TestClusterBlocked(t *testing.T) {
	env, _, mgr := start(t)
	ns := env.Namespace(t, "blocked")
	env.CreateRegion(t, "blocked-1", ctrltest.SmallFleet(), 0)

	tests := map[string]struct {
		// cluster, region and version are the Cluster's name, region and version.
		cluster, region, version string
		// reason is the reason of the Ready and ControlPlaneReady conditions.
		reason string
		// message holds substrings of the Ready condition's message.
		message []string
		// unblock, if set, removes the cause; the cluster must then become Ready.
		unblock func(t *testing.T)
	}{
		"unknown region": {
			cluster: "no-region",
			region:  "later-1",
			version: ctrltest.Version(),
			reason:  kumov1.RegionNotFoundReason,
			message: []string{`region "later-1" does not exist`},
			unblock: func(t *testing.T) { env.CreateRegion(t, "later-1", ctrltest.SmallFleet(), 0) },
		},
		"unsupported version": {
			cluster: "old-version",
			region:  "blocked-1",
			version: "1.20",
			reason:  kumov1.VersionNotSupportedReason,
			// Every version on offer is named.
			message: append([]string{"1.20 is not offered"}, toolchain.Versions()...),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := ctrltest.NewWithT(t)
			cluster := ctrltest.NewCluster(ns, tc.cluster, tc.region, 1)
			cluster.Spec.Version = tc.version
			g.Expect(env.Client.Create(context.Background(), cluster)).To(Succeed())

			g.Eventually(func(g Gomega) {
				env.Get(g, cluster)
				g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterFailed))
				g.Expect(cluster.Status.Conditions).To(And(
					ctrltest.HaveCondition(kumov1.ControlPlaneReadyCondition, metav1.ConditionFalse, tc.reason),
					ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionFalse, tc.reason),
				))
			}).Should(Succeed())
			ready := meta.FindStatusCondition(cluster.Status.Conditions, kumov1.ReadyCondition)
			for _, want := range tc.message {
				g.Expect(ready.Message).To(ContainSubstring(want))
			}
			// Blocked means nothing was started: no endpoint, control plane or machines.
			g.Consistently(func(g Gomega) {
				env.Get(g, cluster)
				g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterFailed))
				g.Expect(cluster.Spec.ControlPlane.Endpoint).To(BeNil())
				g.Expect(mgr.Runtime.Running(cluster.UID)).To(BeNil())
				g.Expect(env.Machines(g, cluster)).To(BeEmpty())
			}).WithTimeout(2 * time.Second).Should(Succeed())

			if tc.unblock != nil {
				tc.unblock(t)
				g.Eventually(func(g Gomega) {
					env.Get(g, cluster)
					g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
					g.Expect(cluster.Status.Nodes).To(Equal("1/1"))
					g.Expect(cluster.Status.Conditions).To(ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionTrue, kumov1.ReadyReason))
				}).Should(Succeed())
				g.Expect(ctrltest.Servers(g, mgr.Sim, tc.region, cluster)).To(HaveLen(1))
			}

			// Blocked or not, the cluster can be deleted.
			g.Expect(env.Client.Delete(context.Background(), cluster)).To(Succeed())
			g.Eventually(func() error {
				return env.Client.Get(context.Background(), client.ObjectKeyFromObject(cluster), &kumov1.Cluster{})
			}).Should(Satisfy(apierrors.IsNotFound))
			g.Expect(ctrltest.Servers(g, mgr.Sim, tc.region, cluster)).To(BeEmpty())
		})
	}
}
