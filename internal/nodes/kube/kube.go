// Package kube keeps tenant Nodes where Kubernetes keeps them: in the tenant
// cluster's API server. Locally kwok plays each Node's kubelet; in
// production the VM's kubelet registers itself and Ensure finds it.
package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/event"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/nodes"
	"github.com/kumo-dev/kumo/internal/tenant"
)

// Backend reaches each tenant API server with the cluster's admin
// kubeconfig and watches its Nodes from the first Ensure on.
type Backend struct {
	clients *tenant.Clients
	changes chan event.GenericEvent

	mu      sync.Mutex
	ctx     context.Context // set by Start; watches end with it
	watches map[types.UID]*watch
}

type watch struct {
	clientset kubernetes.Interface
	stop      context.CancelFunc
}

var _ nodes.Backend = (*Backend)(nil)

// New returns a backend that builds tenant clients with clients.
func New(clients *tenant.Clients) *Backend {
	return &Backend{clients: clients, changes: make(chan event.GenericEvent, 1024), watches: map[types.UID]*watch{}}
}

// Start runs until ctx ends, then stops every Node watch. It makes the
// backend a manager Runnable: watches start only once it runs.
func (b *Backend) Start(ctx context.Context) error {
	b.mu.Lock()
	b.ctx = ctx
	b.mu.Unlock()
	<-ctx.Done()
	b.mu.Lock()
	defer b.mu.Unlock()
	for uid, w := range b.watches {
		w.stop()
		delete(b.watches, uid)
	}
	return nil
}

// Changes implements nodes.Backend.
func (b *Backend) Changes() <-chan event.GenericEvent { return b.changes }

// Ensure implements nodes.Backend.
func (b *Backend) Ensure(ctx context.Context, c *kumov1.Cluster, node *corev1.Node) (nodes.Node, error) {
	cs, err := b.clientset(ctx, c)
	if err != nil {
		return nodes.Node{}, err
	}
	b.watch(c, cs)
	out := nodes.Node{Name: node.Name}
	got, err := cs.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		got, err = cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		out.Registered = err == nil
	}
	if err != nil {
		return nodes.Node{}, fmt.Errorf("tenant API: %w", err)
	}
	out.Ready = ready(got)
	return out, nil
}

func (b *Backend) clientset(ctx context.Context, c *kumov1.Cluster) (kubernetes.Interface, error) {
	cs, err := b.clients.For(ctx, c)
	if errors.Is(err, tenant.ErrNoKubeconfig) {
		return nil, nodes.ErrNoControlPlane
	}
	return cs, err
}

// watch starts (or, with a new clientset, restarts) the cluster's Node
// watch, which wakes a Node's Machine when the Node appears, goes, or
// changes readiness.
func (b *Backend) watch(c *kumov1.Cluster, cs kubernetes.Interface) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		return // not started: Ensure's callers poll until it is
	}
	if w, ok := b.watches[c.UID]; ok {
		if w.clientset == cs {
			return
		}
		w.stop()
	}
	ctx, stop := context.WithCancel(b.ctx)
	b.watches[c.UID] = &watch{clientset: cs, stop: stop}
	inf := informers.NewSharedInformerFactory(cs, 0).Core().V1().Nodes().Informer()
	namespace := c.Namespace
	notify := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		n, ok := obj.(*corev1.Node)
		if !ok {
			return
		}
		m := &kumov1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: n.Name}}
		select {
		case b.changes <- event.GenericEvent{Object: m}:
		case <-ctx.Done():
		}
	}
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: notify,
		UpdateFunc: func(old, cur any) {
			o, n := old.(*corev1.Node), cur.(*corev1.Node)
			if ready(o) != ready(n) || o.Spec.Unschedulable != n.Spec.Unschedulable {
				notify(cur)
			}
		},
		DeleteFunc: notify,
	})
	go inf.RunWithContext(ctx)
}

// Forget implements nodes.Backend.
func (b *Backend) Forget(c *kumov1.Cluster) {
	b.mu.Lock()
	if w, ok := b.watches[c.UID]; ok {
		w.stop()
		delete(b.watches, c.UID)
	}
	b.mu.Unlock()
	b.clients.Forget(c)
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Drain implements nodes.Backend: cordon, evict through the eviction API,
// delete the Node once empty, like `kubectl drain --ignore-daemonsets`.
func (b *Backend) Drain(ctx context.Context, c *kumov1.Cluster, name string) (nodes.Drain, error) {
	out, api, err := b.evict(ctx, c, name)
	if err != nil || !out.Done || api == nil {
		return out, err
	}
	if err := api.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return out, fmt.Errorf("deleting node %s: %w", name, err)
	}
	out.Removed = true
	return out, nil
}

// Evict implements nodes.Backend.
func (b *Backend) Evict(ctx context.Context, c *kumov1.Cluster, name string) (nodes.Drain, error) {
	out, _, err := b.evict(ctx, c, name)
	return out, err
}

// Uncordon implements nodes.Backend.
func (b *Backend) Uncordon(ctx context.Context, c *kumov1.Cluster, name string) error {
	cs, err := b.clientset(ctx, c)
	if err != nil {
		return err
	}
	patch := []byte(`{"spec":{"unschedulable":null}}`)
	_, err = cs.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("uncordoning node %s: %w", name, err)
	}
	return nil
}

// evict cordons the Node and evicts its pods; Done once none is left. It
// returns the Node client when the Node exists, for Drain to delete it.
func (b *Backend) evict(ctx context.Context, c *kumov1.Cluster, name string) (nodes.Drain, corev1client.NodeInterface, error) {
	cs, err := b.clientset(ctx, c)
	if errors.Is(err, nodes.ErrNoControlPlane) {
		return nodes.Drain{Done: true}, nil, nil // the cluster never got a control plane: no node
	}
	if err != nil {
		return nodes.Drain{}, nil, err
	}
	api := cs.CoreV1().Nodes()
	node, err := api.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nodes.Drain{Done: true}, nil, nil
	}
	if err != nil {
		return nodes.Drain{Message: "tenant API: " + err.Error()}, nil, nil
	}
	var out nodes.Drain
	if !node.Spec.Unschedulable {
		patch := []byte(`{"spec":{"unschedulable":true}}`)
		if _, err := api.Patch(ctx, node.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return out, nil, fmt.Errorf("cordoning node %s: %w", node.Name, err)
		}
		out.Cordoned = true
	}
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node.Name).String(),
	})
	if err != nil {
		return out, nil, fmt.Errorf("listing pods on %s: %w", node.Name, err)
	}
	var blocked []*corev1.Pod
	remaining := 0
	for i := range pods.Items {
		p := &pods.Items[i]
		if skipDrain(p) {
			continue
		}
		remaining++
		if p.DeletionTimestamp != nil {
			continue
		}
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name}}
		err := cs.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev)
		switch {
		case err == nil, apierrors.IsNotFound(err):
		case apierrors.IsTooManyRequests(err):
			// A PodDisruptionBudget says not now.
			blocked = append(blocked, p)
		default:
			return out, nil, fmt.Errorf("evicting %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	if remaining > 0 {
		out.Message = fmt.Sprintf("draining node %s: %d pods left", node.Name, remaining)
		if len(blocked) > 0 {
			out.Message += "; " + blockedBy(ctx, cs, blocked)
		}
		return out, nil, nil
	}
	out.Done = true
	return out, api, nil
}

// blockedBy says which pods a PodDisruptionBudget keeps, naming the
// budgets, so a tenant knows what to relax or wait for.
func blockedBy(ctx context.Context, cs kubernetes.Interface, pods []*corev1.Pod) string {
	var names, budgets []string
	seen := map[string]bool{}
	for _, p := range pods {
		names = append(names, p.Namespace+"/"+p.Name)
		pdbs, err := cs.PolicyV1().PodDisruptionBudgets(p.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for _, pdb := range pdbs.Items {
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			key := p.Namespace + "/" + pdb.Name
			if err != nil || seen[key] || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			seen[key] = true
			budgets = append(budgets, fmt.Sprintf("%s (%d disruptions allowed)", key, pdb.Status.DisruptionsAllowed))
		}
	}
	msg := "evicting " + strings.Join(names, ", ") + " would break a PodDisruptionBudget"
	if len(budgets) > 0 {
		msg = fmt.Sprintf("PodDisruptionBudget %s blocks evicting %s", strings.Join(budgets, ", "), strings.Join(names, ", "))
	}
	return msg
}

// skipDrain: DaemonSet pods go with their node, and finished pods hold
// nothing; like `kubectl drain --ignore-daemonsets`.
func skipDrain(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return true
	}
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}
