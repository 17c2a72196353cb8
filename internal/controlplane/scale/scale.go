// Package scale is the control-plane runtime of the scale fidelity level: a
// tenant cluster has no processes of its own and its control plane reports
// healthy at once, so that one manager can be measured against a fleet of
// 1,400 clusters on a laptop (the idea of Cluster API's in-memory provider).
//
// What it skips, compared with the process runtime: the tenant
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok, their
// certificates and their etcd prefix. The endpoint it allocates answers no
// requests: a kubeconfig of a scale-mode cluster cannot reach anything.
// Everything around it runs as in full fidelity: the controllers, caches,
// finalizers, the cluster's CA and kubeconfig Secrets, status and events.
package scale

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/kumo-dev/kumo/internal/controlplane"
)

// Host is the domain under which scale-mode API servers "listen"; .invalid
// is reserved (RFC 2606) so that no client ever reaches a real host.
const Host = "scale.kumo.invalid"

// Runtime is a controlplane.Runtime without processes.
type Runtime struct {
	mu      sync.Mutex
	running map[types.UID]string // version
}

var _ controlplane.Runtime = (*Runtime)(nil)

// New returns an empty runtime.
func New() *Runtime { return &Runtime{running: map[types.UID]string{}} }

// AllocateEndpoint names the cluster's API server under Host; the port is
// the API server's usual one, since nothing listens.
func (r *Runtime) AllocateEndpoint(_ context.Context, c controlplane.Ref) (string, int32, error) {
	return fmt.Sprintf("%s.%s.%s", c.Name, c.Namespace, Host), 6443, nil
}

// Ensure records the control plane as running the spec's version, ready.
func (r *Runtime) Ensure(_ context.Context, spec controlplane.Spec) (controlplane.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running[spec.Cluster.UID] = spec.Version
	return controlplane.Status{Ready: true, Version: spec.Version}, nil
}

// Delete forgets the control plane.
func (r *Runtime) Delete(_ context.Context, c controlplane.Ref) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, c.UID)
	return nil
}

// Running is how many control planes the runtime holds.
func (r *Runtime) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}
