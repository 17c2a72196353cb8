package controlplane

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Runtime runs hosted control planes. Every method is idempotent and safe to
// call again after a crash at any point.
type Runtime interface {
	// AllocateEndpoint picks where a new cluster's API server will listen.
	// The caller records it in the Cluster spec; it never changes afterwards.
	AllocateEndpoint(ctx context.Context, c Ref) (host string, port int32, err error)
	// Ensure starts the control plane, or keeps it running, and reports
	// whether its API server is ready.
	Ensure(ctx context.Context, spec Spec) (Status, error)
	// Delete stops the control plane and erases all its state (etcd keys,
	// files). Deleting one that does not exist is not an error.
	Delete(ctx context.Context, c Ref) error
}

// Ref identifies a tenant cluster. The UID keys everything a runtime keeps,
// so a cluster deleted and re-created under the same name starts afresh.
type Ref struct {
	Namespace string
	Name      string
	UID       types.UID
}

func (r Ref) String() string { return fmt.Sprintf("%s/%s", r.Namespace, r.Name) }

// Spec is everything a runtime needs to run one control plane.
type Spec struct {
	Cluster Ref
	// Version is the exact Kubernetes version, e.g. "v1.36.3".
	Version string
	Host    string
	Port    int32
	// CACertPEM and CAKeyPEM are the cluster's CA: the runtime issues the
	// serving and component certificates from it.
	CACertPEM, CAKeyPEM []byte
	// ServiceAccountKeyPEM and ServiceAccountPubPEM sign and verify
	// service-account tokens.
	ServiceAccountKeyPEM, ServiceAccountPubPEM []byte
}

// Status is what a runtime observed.
type Status struct {
	// Ready is true when the API server answers /readyz.
	Ready bool
	// Version is the version the API server reports.
	Version string
	// Message explains a not-ready control plane.
	Message string
	// ProbeAfter is how soon a ready control plane should be looked at
	// again, so that a dead one shows in the status and is restarted; 0
	// means never (the runtime's control planes cannot fail unseen).
	ProbeAfter time.Duration
	// Problem, when set, says which component of a control plane that ran
	// is unhealthy and what the runtime does about it, e.g.
	// "kube-apiserver not live for 15s, restarting".
	Problem string
	// Events are what happened to the components since the last Ensure,
	// oldest first: failures, restarts, recoveries.
	Events []Event
}

// Event is something a runtime saw or did to a component.
type Event struct {
	Warning bool
	// Reason is CamelCase, e.g. ComponentRestarted.
	Reason  string
	Message string
}

// Notifier is a Runtime that says when a control plane's health changed
// (a component failed, restarted or recovered), so that its cluster is
// looked at at once rather than at the next probe.
type Notifier interface {
	Changes() <-chan Ref
}

// EtcdPrefix is the etcd key prefix under which a cluster's API server keeps
// its state in the shared etcd.
func EtcdPrefix(uid types.UID) string { return "/kumo/clusters/" + string(uid) }
