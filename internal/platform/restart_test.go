package platform

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/testenv"
)

// TestRestartMarksReadyClustersStarting: after a restart of the local
// platform, a cluster that was Ready reads Starting, not Ready, until the
// manager has its control plane answering again; clusters that were not
// Ready, or are being deleted, keep their status.
func TestRestartMarksReadyClustersStarting(t *testing.T) {
	env := testenv.Start(t)
	g := NewWithT(t)
	ctx := context.Background()
	c := env.Client
	mk := func(name string, cpReady bool, phase kumov1.ClusterPhase) *kumov1.Cluster {
		cl := &kumov1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec:       kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1"},
		}
		g.Expect(c.Create(ctx, cl)).To(Succeed())
		status := metav1.ConditionFalse
		if cpReady {
			status = metav1.ConditionTrue
		}
		cl.Status.Phase = phase
		for _, typ := range []string{kumov1.ControlPlaneReadyCondition, kumov1.ReadyCondition} {
			meta.SetStatusCondition(&cl.Status.Conditions, metav1.Condition{Type: typ, Status: status, Reason: "Test"})
		}
		g.Expect(c.Status().Update(ctx, cl)).To(Succeed())
		return cl
	}
	ready := mk("ready", true, kumov1.ClusterReady)
	creating := mk("creating", false, kumov1.ClusterProvisioning)
	// Control plane up, nodes still coming: not Ready before, so not Starting.
	nodesComing := mk("nodes-coming", true, kumov1.ClusterProvisioning)
	// Being deleted: left alone.
	deleting := mk("deleting", true, kumov1.ClusterDeleting)
	deleting.Finalizers = []string{"test.kumo.dev/hold"}
	g.Expect(c.Update(ctx, deleting)).To(Succeed())
	g.Expect(c.Delete(ctx, deleting)).To(Succeed())
	t.Cleanup(func() {
		_ = c.Get(ctx, client.ObjectKeyFromObject(deleting), deleting)
		deleting.Finalizers = nil
		_ = c.Update(ctx, deleting)
	})

	g.Expect(markControlPlanesStarting(ctx, c)).To(Succeed())

	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(ready), ready)).To(Succeed())
	g.Expect(ready.Status.Phase).To(Equal(kumov1.ClusterStarting))
	for _, typ := range []string{kumov1.ControlPlaneReadyCondition, kumov1.ReadyCondition} {
		cond := meta.FindStatusCondition(ready.Status.Conditions, typ)
		g.Expect(cond.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(cond.Reason).To(Equal(kumov1.PlatformRestartedReason))
	}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(creating), creating)).To(Succeed())
	g.Expect(creating.Status.Phase).To(Equal(kumov1.ClusterProvisioning))
	g.Expect(meta.FindStatusCondition(creating.Status.Conditions, kumov1.ReadyCondition).Reason).To(Equal("Test"))

	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(nodesComing), nodesComing)).To(Succeed())
	g.Expect(nodesComing.Status.Phase).To(Equal(kumov1.ClusterProvisioning))
	g.Expect(meta.FindStatusCondition(nodesComing.Status.Conditions, kumov1.ControlPlaneReadyCondition).Reason).To(Equal(kumov1.PlatformRestartedReason))

	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(deleting), deleting)).To(Succeed())
	g.Expect(deleting.Status.Phase).To(Equal(kumov1.ClusterDeleting))
	g.Expect(meta.FindStatusCondition(deleting.Status.Conditions, kumov1.ControlPlaneReadyCondition).Reason).To(Equal("Test"))
}
