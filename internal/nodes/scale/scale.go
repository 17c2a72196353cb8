// Package scale keeps tenant Nodes in memory, for the scale fidelity level:
// a Node is a name, a readiness and a count of containers, so that a fleet
// of 56,000 Nodes and a million containers costs no tenant API server, no
// Node objects and no Pod objects.
//
// What it skips, compared with package kube: the tenant API server and its
// Node objects, kwok, the scheduler, pods (only their count), and the
// eviction API (a drain removes a Node's containers at once; no
// PodDisruptionBudget can block it). A Node is Ready the moment it is
// registered and stays Ready.
package scale

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/nodes"
)

// DefaultContainersPerNode gives 56,000 Nodes about a million containers,
// the reference platform's ratio.
const DefaultContainersPerNode = 18

// Backend is an in-memory nodes.Backend.
type Backend struct {
	containersPerNode int
	// changes is never sent on: Ensure reports a Node Ready at once.
	changes chan event.GenericEvent

	mu       sync.Mutex
	clusters map[types.UID]map[string]*node
}

type node struct {
	unschedulable bool
	containers    int
}

var _ nodes.Backend = (*Backend)(nil)

// New returns a backend whose Nodes each run containersPerNode containers
// (DefaultContainersPerNode for 0).
func New(containersPerNode int) *Backend {
	if containersPerNode == 0 {
		containersPerNode = DefaultContainersPerNode
	}
	return &Backend{containersPerNode: containersPerNode, changes: make(chan event.GenericEvent), clusters: map[types.UID]map[string]*node{}}
}

// Changes implements nodes.Backend.
func (b *Backend) Changes() <-chan event.GenericEvent { return b.changes }

// Ensure implements nodes.Backend.
func (b *Backend) Ensure(_ context.Context, c *kumov1.Cluster, n *corev1.Node) (nodes.Node, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cl := b.clusters[c.UID]
	if cl == nil {
		cl = map[string]*node{}
		b.clusters[c.UID] = cl
	}
	out := nodes.Node{Name: n.Name, Ready: true}
	if _, ok := cl[n.Name]; !ok {
		cl[n.Name] = &node{unschedulable: n.Spec.Unschedulable, containers: b.containersPerNode}
		out.Registered = true
	}
	return out, nil
}

// Drain implements nodes.Backend: the Node's containers go at once.
func (b *Backend) Drain(_ context.Context, c *kumov1.Cluster, name string) (nodes.Drain, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.clusters[c.UID][name]
	if !ok {
		return nodes.Drain{Done: true}, nil
	}
	out := nodes.Drain{Done: true, Removed: true, Cordoned: !n.unschedulable}
	delete(b.clusters[c.UID], name)
	return out, nil
}

// Evict implements nodes.Backend: the Node's containers go at once and
// it stays, cordoned.
func (b *Backend) Evict(_ context.Context, c *kumov1.Cluster, name string) (nodes.Drain, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.clusters[c.UID][name]
	if !ok {
		return nodes.Drain{Done: true}, nil
	}
	out := nodes.Drain{Done: true, Cordoned: !n.unschedulable}
	n.unschedulable, n.containers = true, 0
	return out, nil
}

// Uncordon implements nodes.Backend: the Node takes containers again.
func (b *Backend) Uncordon(_ context.Context, c *kumov1.Cluster, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n, ok := b.clusters[c.UID][name]; ok && n.unschedulable {
		n.unschedulable, n.containers = false, b.containersPerNode
	}
	return nil
}

// Forget implements nodes.Backend.
func (b *Backend) Forget(c *kumov1.Cluster) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.clusters, c.UID)
}

// Count returns how many Nodes and containers the backend holds.
func (b *Backend) Count() (nodeCount, containers int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, cl := range b.clusters {
		for _, n := range cl {
			nodeCount++
			containers += n.containers
		}
	}
	return nodeCount, containers
}
