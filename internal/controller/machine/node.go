package machine

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/kwok"
	"github.com/kumo-dev/kumo/internal/nodes"
)

// reconcileNode registers the VM as a Node of the tenant cluster. Locally
// kwok drives the Node; in production the VM's kubelet registers itself and
// this only adds Kumo's labels. The backend's watch wakes the Machine when
// its Node changes: a Ready Node is not polled.
func (r *Reconciler) reconcileNode(ctx context.Context, m *kumov1.Machine, cluster *kumov1.Cluster, srv *cloud.Server) (ctrl.Result, error) {
	node, err := r.Nodes.Ensure(ctx, cluster, r.newNode(m, cluster, srv))
	if errors.Is(err, nodes.ErrNoControlPlane) {
		setCondition(m, kumov1.NodeReadyCondition, false, kumov1.WaitingForControlPlaneReason, "waiting for the cluster's control plane")
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	if err != nil {
		setCondition(m, kumov1.NodeReadyCondition, false, kumov1.WaitingForControlPlaneReason, err.Error())
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	// A first registration is no news (NodeReady says it; an event per
	// Machine would be 56,000 more writes in a fleet's creation); a Node
	// registered again because it was gone is.
	if node.Registered && m.Status.NodeName != "" {
		r.event(m, corev1.EventTypeNormal, "NodeRegistered", "Registered node %s in cluster %s again: it was gone", node.Name, cluster.Name)
	}
	m.Status.NodeName = node.Name
	if node.Ready {
		setCondition(m, kumov1.NodeReadyCondition, true, kumov1.ReadyReason, "node "+node.Name+" is Ready")
		return ctrl.Result{}, nil
	}
	setCondition(m, kumov1.NodeReadyCondition, false, kumov1.NodesNotReadyReason, "node "+node.Name+" is not Ready yet")
	// The watch reports readiness; this is the safety net.
	return ctrl.Result{RequeueAfter: 5 * time.Second}, nil
}

// newNode is the Node a simulated VM registers, as a kubelet of the
// cluster's version would.
func (r *Reconciler) newNode(m *kumov1.Machine, cluster *kumov1.Cluster, srv *cloud.Server) *corev1.Node {
	version := cluster.Status.Version
	if version == "" {
		version = "v" + cluster.Spec.Version
	}
	cpu, mem := int64(srv.VCPUs), srv.MemoryMiB
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(cpu, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(mem<<20, resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        m.Name,
			Annotations: map[string]string{kwok.NodeAnnotation: kwok.NodeAnnotationValue, "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname":           m.Name,
				"kubernetes.io/os":                 "linux",
				"kubernetes.io/arch":               "amd64",
				"node.kubernetes.io/instance-type": m.Spec.Flavor,
				"topology.kubernetes.io/region":    m.Spec.Region,
				"topology.kubernetes.io/zone":      m.Status.Hypervisor,
				"node-role.kubernetes.io/worker":   "",
				kumov1.PoolNameLabel:               m.Spec.Pool,
				kumov1.RegionLabel:                 m.Spec.Region,
				kumov1.HypervisorLabel:             m.Status.Hypervisor,
				// kwok plays this node's kubelet (kwok's own convention).
				"type": "kwok",
			},
		},
		Spec: corev1.NodeSpec{ProviderID: m.Spec.ProviderID},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			// Both, as a kubelet reports them; kwok's node stage rewrites the
			// list (and drops the IP) when either is missing.
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: m.Status.Address},
				{Type: corev1.NodeHostName, Address: m.Name},
			},
			NodeInfo: kwok.NodeInfo(version),
		},
	}
}

// drain empties the Node through the backend and records each step.
func (r *Reconciler) drain(ctx context.Context, m *kumov1.Machine, cluster *kumov1.Cluster) (bool, string, error) {
	d, err := r.Nodes.Drain(ctx, cluster, m.Name)
	if d.Cordoned {
		r.removalEvent(m, cluster, corev1.EventTypeNormal, "Cordoned", "Cordoned node %s to drain it", m.Name)
	}
	if err != nil {
		return false, "", err
	}
	if d.Removed {
		r.removalEvent(m, cluster, corev1.EventTypeNormal, "Drained", "Drained and removed node %s", m.Name)
	}
	return d.Done, d.Message, nil
}
