package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// watcher follows every Cluster through one watch and notes when each
// reached the node count the bench wants of it: phase Ready, the status
// observed the latest spec, and that many nodes Ready.
type watcher struct {
	mu      sync.Mutex
	wants   map[types.NamespacedName]int32
	reached map[types.NamespacedName]time.Time
	nodes   map[types.NamespacedName]int32
	changed chan struct{}
}

func watch(ctx context.Context, cfg *rest.Config) (*watcher, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: kumov1.NewScheme(), DefaultTransform: cache.TransformStripManagedFields()})
	if err != nil {
		return nil, err
	}
	inf, err := c.GetInformer(ctx, &kumov1.Cluster{})
	if err != nil {
		return nil, err
	}
	w := &watcher{
		wants: map[types.NamespacedName]int32{}, reached: map[types.NamespacedName]time.Time{},
		nodes: map[types.NamespacedName]int32{}, changed: make(chan struct{}, 1),
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    w.observe,
		UpdateFunc: func(_, obj any) { w.observe(obj) },
	}); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("watching clusters: the cache did not sync")
	}
	return w, nil
}

func (w *watcher) observe(obj any) {
	c, ok := obj.(*kumov1.Cluster)
	if !ok {
		return
	}
	now := time.Now()
	key := client.ObjectKeyFromObject(c)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nodes[key] = c.Status.ReadyNodes
	want, ok := w.wants[key]
	if !ok || !w.reached[key].IsZero() {
		return
	}
	if c.Status.Phase == kumov1.ClusterReady && c.Status.ObservedGeneration == c.Generation && c.Status.ReadyNodes == want {
		w.reached[key] = now
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
}

// want makes the watcher wait for the cluster to reach n nodes.
func (w *watcher) want(key types.NamespacedName, n int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.wants[key] = n
	delete(w.reached, key)
}

// waitFor returns when the cluster reached what is wanted of it.
func (w *watcher) waitFor(ctx context.Context, key types.NamespacedName, timeout time.Duration) (time.Time, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		at := w.reached[key]
		w.mu.Unlock()
		if !at.IsZero() {
			return at, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-deadline.C:
			return time.Time{}, fmt.Errorf("cluster %s did not reach %d ready nodes within %s", key, w.wants[key], timeout)
		case <-w.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// progress is how many clusters reached what is wanted, and the ready
// nodes of all clusters.
func (w *watcher) progress() (clusters int, nodes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key := range w.wants {
		if !w.reached[key].IsZero() {
			clusters++
		}
	}
	for _, n := range w.nodes {
		nodes += int(n)
	}
	return clusters, nodes
}
