package quota_test

// The quota controller and its webhook run here in a real manager
// (manager.New) against a real kube-apiserver and etcd (envtest), which
// calls the webhook over TLS as registered by manager.WebhookConfiguration,
// exactly as under `kumo up`. Clusters are paused: quotas count what
// clusters ask for, so no control plane needs to run.

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// fixture is a manager serving the quota webhook and a sim region whose
// flavors are reported (m1.medium: 2 vCPUs, m1.large: 4).
type fixture struct {
	env *ctrltest.Env
	mgr *ctrltest.Manager
}

const region = "quota-1"

func start(t *testing.T) *fixture {
	t.Helper()
	env := ctrltest.Start(t)
	mgr := env.StartManager(t, ctrltest.NewState(t), env.ServeWebhooks(t))
	env.CreateRegion(t, region, ctrltest.SmallFleet(), 0)
	g := ctrltest.NewWithT(t)
	g.Eventually(func(g Gomega) {
		r := &kumov1.Region{ObjectMeta: metav1.ObjectMeta{Name: region}}
		env.Get(g, r)
		g.Expect(r.Status.Flavors).NotTo(BeEmpty())
	}).Should(Succeed())
	// The API server calls the webhook as soon as it is registered; wait
	// until the manager answers.
	ns := env.Namespace(t, "probe")
	g.Eventually(func() error {
		return env.Client.Create(context.Background(), paused(ns, "probe", 1), client.DryRunAll)
	}).Should(Succeed())
	return &fixture{env: env, mgr: mgr}
}

// paused is a paused Cluster of one pool of m1.medium nodes: the cluster
// controller leaves it alone, quotas count it.
func paused(namespace, name string, nodes int32) *kumov1.Cluster {
	c := ctrltest.NewCluster(namespace, name, region, nodes)
	c.Spec.Paused = true
	return c
}

// setQuota creates or updates the team quota of namespace.
func (f *fixture) setQuota(g Gomega, namespace string, spec kumov1.TeamQuotaSpec) {
	q := &kumov1.TeamQuota{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: kumov1.TeamQuotaName}}
	_, err := controllerutil.CreateOrUpdate(context.Background(), f.env.Client, q, func() error { q.Spec = spec; return nil })
	g.Expect(err).NotTo(HaveOccurred())
}

// quota reads the team quota of namespace.
func (f *fixture) quota(g Gomega, namespace string) *kumov1.TeamQuota {
	q := &kumov1.TeamQuota{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: kumov1.TeamQuotaName}}
	f.env.Get(g, q)
	return q
}

// counted waits until the controller has counted want for namespace and
// holds no reservation any more.
func (f *fixture) counted(g Gomega, namespace string, want kumov1.QuotaUsage) *kumov1.TeamQuota {
	var q *kumov1.TeamQuota
	g.Eventually(func(g Gomega) {
		q = f.quota(g, namespace)
		g.Expect(q.Status.Used).To(HaveValue(Equal(want)))
		g.Expect(q.Status.Reservations).To(BeEmpty())
	}).Should(Succeed())
	return q
}

// refusedForQuota asserts err is admission's quota refusal containing msgs.
func refusedForQuota(g Gomega, err error, msgs ...string) {
	g.Expect(err).To(HaveOccurred())
	status, ok := err.(interface{ Status() metav1.Status })
	g.Expect(ok).To(BeTrue(), "an API status error: %v", err)
	s := status.Status()
	g.Expect(s.Code).To(BeEquivalentTo(403))
	g.Expect(s.Details).NotTo(BeNil())
	g.Expect(s.Details.Causes).To(ContainElement(HaveField("Type", BeEquivalentTo(kumov1.QuotaExceededCause))))
	for _, m := range msgs {
		g.Expect(err.Error()).To(ContainSubstring(m))
	}
}

// scale sets the replicas of a cluster's only pool, as kumoctl does.
func (f *fixture) scale(c *kumov1.Cluster, n int32) error {
	patch := client.MergeFrom(c.DeepCopy())
	c.Spec.NodePools[0].Replicas = n
	return f.env.Client.Patch(context.Background(), c, patch)
}
