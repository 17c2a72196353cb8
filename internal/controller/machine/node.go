package machine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/kwok"
	"github.com/kumo-dev/kumo/internal/tenant"
)

// reconcileNode registers the VM srv as a Node of the tenant cluster.
// Locally kwok drives the Node; in production the VM's kubelet registers
// itself and this only adds Kumo's labels.
func (r *Reconciler) reconcileNode(ctx context.Context, m *kumov1.Machine, cluster *kumov1.Cluster, srv *cloud.Server) (ctrl.Result, error) {
	cs, err := r.Clients.For(ctx, cluster)
	if errors.Is(err, tenant.ErrNoKubeconfig) {
		setCondition(m, kumov1.NodeReadyCondition, false, kumov1.WaitingForControlPlaneReason, "waiting for the cluster's control plane")
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	node, err := cs.CoreV1().Nodes().Get(ctx, m.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = cs.CoreV1().Nodes().Create(ctx, newNode(m, cluster, srv), metav1.CreateOptions{})
		if err == nil {
			r.event(m, corev1.EventTypeNormal, "NodeRegistered", "Registered node %s in cluster %s", m.Name, cluster.Name)
		}
	}
	if err != nil {
		setCondition(m, kumov1.NodeReadyCondition, false, kumov1.WaitingForControlPlaneReason, "tenant API: "+err.Error())
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	m.Status.NodeName = node.Name
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			setCondition(m, kumov1.NodeReadyCondition, true, kumov1.ReadyReason, "node "+node.Name+" is Ready")
			// Keep watching the node: there is no watch on tenant clusters yet.
			return ctrl.Result{RequeueAfter: 30 * time.Second}, nil
		}
	}
	setCondition(m, kumov1.NodeReadyCondition, false, kumov1.NodesNotReadyReason, "node "+node.Name+" is not Ready yet")
	return ctrl.Result{RequeueAfter: time.Second}, nil
}

// newNode is the Node a simulated VM registers, as a kubelet of the
// cluster's version would, sized as srv (if the VM is still there).
func newNode(m *kumov1.Machine, cluster *kumov1.Cluster, srv *cloud.Server) *corev1.Node {
	version := cluster.Status.Version
	if version == "" {
		version = "v" + cluster.Spec.Version
	}
	cpu, mem := int64(2), int64(4096)
	if srv != nil {
		cpu, mem = int64(srv.VCPUs), srv.MemoryMiB
	}
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

// drain cordons the Node, evicts its pods through the eviction API (which
// honours PodDisruptionBudgets) and deletes the Node once it is empty.
// It reports done=false with a message while pods remain.
func (r *Reconciler) drain(ctx context.Context, m *kumov1.Machine, cluster *kumov1.Cluster) (bool, string, error) {
	cs, err := r.Clients.For(ctx, cluster)
	if errors.Is(err, tenant.ErrNoKubeconfig) {
		return true, "", nil // the cluster never got a control plane: no node
	}
	if err != nil {
		return false, "", err
	}
	nodes := cs.CoreV1().Nodes()
	node, err := nodes.Get(ctx, m.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, "", nil
	}
	if err != nil {
		return false, "tenant API: " + err.Error(), nil
	}
	if !node.Spec.Unschedulable {
		patch := []byte(`{"spec":{"unschedulable":true}}`)
		if _, err := nodes.Patch(ctx, node.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return false, "", fmt.Errorf("cordoning node %s: %w", node.Name, err)
		}
		r.removalEvent(m, cluster, corev1.EventTypeNormal, "Cordoned", "Cordoned node %s to drain it", node.Name)
	}
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node.Name).String(),
	})
	if err != nil {
		return false, "", fmt.Errorf("listing pods on %s: %w", node.Name, err)
	}
	var blocked []string
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
			blocked = append(blocked, p.Namespace+"/"+p.Name)
		default:
			return false, "", fmt.Errorf("evicting %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	if remaining > 0 {
		msg := fmt.Sprintf("draining node %s: %d pods left", node.Name, remaining)
		if len(blocked) > 0 {
			msg += fmt.Sprintf("; a PodDisruptionBudget blocks evicting %s", strings.Join(blocked, ", "))
		}
		return false, msg, nil
	}
	if err := nodes.Delete(ctx, node.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return false, "", fmt.Errorf("deleting node %s: %w", node.Name, err)
	}
	r.removalEvent(m, cluster, corev1.EventTypeNormal, "Drained", "Drained and removed node %s", node.Name)
	return true, "", nil
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

// serverID takes the server ID from "<provider>://<region>/<id>".
func serverID(providerID string) string {
	return providerID[strings.LastIndexByte(providerID, '/')+1:]
}
