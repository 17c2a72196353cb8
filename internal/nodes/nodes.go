// Package nodes is where a tenant cluster's Nodes live, as the machine
// controller sees them. Locally and in production they are Node objects of
// the tenant API server (package kube); at the scale fidelity level they are
// entries in memory with a count of containers each (package scale), so that
// a fleet of 56,000 machines costs no tenant API servers.
package nodes

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// Backend registers, watches and drains the Nodes of tenant clusters. Every
// method is idempotent and safe for concurrent use.
type Backend interface {
	// Ensure registers node in the cluster unless a Node of that name
	// exists, and reports the Node's state. The caller builds node as the
	// VM's kubelet would register it.
	Ensure(ctx context.Context, c *kumov1.Cluster, node *corev1.Node) (Node, error)
	// Drain cordons the named Node, evicts its pods (honouring
	// PodDisruptionBudgets) and removes the Node once it is empty. A Node
	// that does not exist is drained.
	Drain(ctx context.Context, c *kumov1.Cluster, name string) (Drain, error)
	// Evict is Drain without the last step: the Node stays, cordoned and
	// empty, so that Uncordon can put it back to work at once (a
	// migration's old nodes until its soak ends). Done: no pod is left.
	Evict(ctx context.Context, c *kumov1.Cluster, name string) (Drain, error)
	// Uncordon makes the named Node schedulable again. A Node that does
	// not exist is no error.
	Uncordon(ctx context.Context, c *kumov1.Cluster, name string) error
	// Forget drops what the backend keeps for a deleted cluster.
	Forget(c *kumov1.Cluster)
	// Changes delivers a Machine (only its namespace and name set) whose
	// Node changed, so that the machine controller follows Nodes without
	// polling them.
	Changes() <-chan event.GenericEvent
}

// Node is a Node's state as the machine controller needs it.
type Node struct {
	Name string
	// Ready is the Node's Ready condition.
	Ready bool
	// Registered is true when this call created the Node.
	Registered bool
}

// Drain is the progress of a drain.
type Drain struct {
	// Done: the Node is gone (Drain) or empty (Evict).
	Done bool
	// Cordoned and Removed report the steps this call took, for events.
	Cordoned, Removed bool
	// Message says what a drain that is not done waits for.
	Message string
}

// ErrNoControlPlane means the cluster has no API server to hold Nodes yet.
var ErrNoControlPlane = errors.New("the cluster's control plane is not ready yet")
