package scale

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func TestNodeLifecycle(t *testing.T) {
	ctx := context.Background()
	b := New(10)
	a := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "a", UID: "uid-a"}}
	other := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "b", UID: "uid-b"}}
	node := func(name string) *corev1.Node { return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}} }

	n, err := b.Ensure(ctx, a, node("a-default-0"))
	if err != nil || !n.Registered || !n.Ready || n.Name != "a-default-0" {
		t.Fatalf("first Ensure = %+v, %v; want a registered, Ready node", n, err)
	}
	if n, _ := b.Ensure(ctx, a, node("a-default-0")); n.Registered || !n.Ready {
		t.Errorf("second Ensure = %+v; want Ready and not registered again", n)
	}
	_, _ = b.Ensure(ctx, a, node("a-default-1"))
	_, _ = b.Ensure(ctx, other, node("a-default-0")) // same name, other cluster
	if nodes, containers := b.Count(); nodes != 3 || containers != 30 {
		t.Errorf("Count = %d nodes, %d containers; want 3, 30", nodes, containers)
	}

	d, err := b.Drain(ctx, a, "a-default-0")
	if err != nil || !d.Done || !d.Cordoned || !d.Removed {
		t.Errorf("Drain = %+v, %v; want done, cordoned and removed", d, err)
	}
	if d, _ := b.Drain(ctx, a, "a-default-0"); !d.Done || d.Cordoned || d.Removed {
		t.Errorf("Drain of a drained node = %+v; want done and no steps", d)
	}
	b.Forget(a)
	if nodes, containers := b.Count(); nodes != 1 || containers != 10 {
		t.Errorf("after Forget: %d nodes, %d containers; want only the other cluster's 1, 10", nodes, containers)
	}
}
