package cmdtest

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func TestDiff(t *testing.T) {
	tests := map[string]struct {
		a, b string // golden and got
		want string // the diff
	}{
		"equal":     {a: "x\ny", b: "x\ny", want: "  x\n  y\n"},
		"changed":   {a: "x\ny\nz", b: "x\nY\nz", want: "  x\n- y\n+ Y\n  z\n"},
		"added":     {a: "x", b: "x\ny", want: "  x\n+ y\n"},
		"removed":   {a: "x\ny", b: "y", want: "- x\n  y\n"},
		"from none": {a: "", b: "x", want: "- \n+ x\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			NewWithT(t).Expect(Diff(tc.a, tc.b)).To(Equal(tc.want))
		})
	}
}

func TestNewHoldsExactlyTheObjects(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	env := New(t, World()...)
	extra := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "extra"}, Spec: kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1"}}
	g.Expect(env.Client().Create(ctx, extra)).To(Succeed())
	g.Expect(env.Client().Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: "left-over"}})).To(Succeed())

	only := New(t, &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v1.36.3"}, Spec: kumov1.KubernetesReleaseSpec{Version: "1.36.3"}})
	var clusters kumov1.ClusterList
	g.Expect(only.Client().List(ctx, &clusters)).To(Succeed())
	g.Expect(clusters.Items).To(BeEmpty())
	var releases kumov1.KubernetesReleaseList
	g.Expect(only.Client().List(ctx, &releases)).To(Succeed())
	g.Expect(releases.Items).To(HaveLen(1))
	g.Expect(releases.Items[0].Spec.State).To(Equal(kumov1.ReleaseSupported), "the API's default applies")
	var secrets corev1.SecretList
	g.Expect(only.Client().List(ctx, &secrets, client.InNamespace(Namespace))).To(Succeed())
	g.Expect(secrets.Items).To(BeEmpty())
}

func TestNewUndoesWhatTheLastTestChanged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	key := client.ObjectKey{Namespace: Namespace, Name: "demo"}
	env := New(t, World()...)
	var demo kumov1.Cluster
	g.Expect(env.Client().Get(ctx, key, &demo)).To(Succeed())
	demo.Spec.NodePools[1].Replicas = 7
	g.Expect(env.Client().Update(ctx, &demo)).To(Succeed())

	again := New(t, World()...)
	g.Expect(again.Client().Get(ctx, key, &demo)).To(Succeed())
	g.Expect(demo.Spec.NodePools[1].Replicas).To(Equal(int32(1)))
}

func TestNewKeepsCreationTimestampAndStatus(t *testing.T) {
	g := NewWithT(t)
	env := New(t, World()...)
	c, err := env.F.Client()
	g.Expect(err).NotTo(HaveOccurred())
	var demo kumov1.Cluster
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: Namespace, Name: "demo"}, &demo)).To(Succeed())
	g.Expect(demo.CreationTimestamp.Time).To(BeTemporally("==", Now.Add(-72*time.Hour)), "as World says, not when it was created")
	g.Expect(demo.Generation).To(Equal(int64(1)))
	g.Expect(demo.Status.Phase).To(Equal(kumov1.ClusterReady))
	g.Expect(demo.Status.Conditions).To(HaveLen(3))
	var machine kumov1.Machine
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: Namespace, Name: "demo-gpu-4hj6t"}, &machine)).To(Succeed())
	g.Expect(machine.Status.Hypervisor).To(Equal("hv-02"))
}

func TestAs(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	env := New(t, World()...).As("carol", rbacv1.PolicyRule{APIGroups: []string{kumov1.GroupVersion.Group}, Resources: []string{"clusters"}, Verbs: []string{"get"}})
	c, err := env.F.Client()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: "demo"}, &kumov1.Cluster{})).To(Succeed())
	err = c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: "demo-kubeconfig"}, &corev1.Secret{})
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "got %v", err)
	g.Expect(err).To(MatchError(ContainSubstring(`User "carol" cannot get resource "secrets"`)))
	err = c.Get(ctx, client.ObjectKey{Namespace: "team-b", Name: "web"}, &kumov1.Cluster{})
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "only in %s; got %v", Namespace, err)
	g.Expect(env.Client().Get(ctx, client.ObjectKey{Namespace: Namespace, Name: "demo-kubeconfig"}, &corev1.Secret{})).To(Succeed(), "Client has every right")
}
