package machine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/controller/internal/fairqueue"
	"github.com/kumo-dev/kumo/internal/controller/internal/machines"
	"github.com/kumo-dev/kumo/internal/controller/internal/status"
	"github.com/kumo-dev/kumo/internal/nodes"
)

// Finalizer keeps a Machine until its Node is drained and its VM deleted.
const Finalizer = kumov1.MachineFinalizer

// Tags put on every VM, so that a VM can be found from its Machine (and an
// orphan traced to its owner) even if the Machine's providerID was never saved.
const (
	TagMachineUID = "kumo.dev/machine-uid"
	TagCluster    = "kumo.dev/cluster"
	TagNamespace  = "kumo.dev/namespace"
	TagMachine    = "kumo.dev/machine"
)

// Reconciler reconciles Machines.
type Reconciler struct {
	Client   client.Client
	Provider cloud.Provider
	// ProviderName prefixes providerIDs, e.g. "sim".
	ProviderName string
	// Nodes holds the tenant clusters' Nodes.
	Nodes    nodes.Backend
	Recorder events.EventRecorder
	// MaxConcurrent bounds parallel reconciles.
	MaxConcurrent int

	// createRefused holds the UIDs of Machines whose last create the cloud
	// refused for its rate limit (see reconcileVM).
	createRefused sync.Map
}

// +kubebuilder:rbac:groups=kumo.dev,resources=machines,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=machines/status;machines/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=clusters,verbs=get;list;watch

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	n := r.MaxConcurrent
	if n == 0 {
		// A reconcile mostly waits on the API server and the cloud.
		n = 32
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&kumov1.Machine{}, builder.WithPredicates(status.NotStatusOnly(), notProviderIDRecorded())).
		WatchesRawSource(source.Channel(r.Nodes.Changes(), &handler.EnqueueRequestForObject{})).
		// Teams take turns: one team's thousand new nodes do not hold
		// back another team's three.
		WithOptions(controller.Options{MaxConcurrentReconciles: n, NewQueue: fairqueue.NewQueue}).
		Named("machine").
		Complete(r)
}

func machineStatus(m *kumov1.Machine) any { return m.Status }

// notProviderIDRecorded drops the update that records a Machine's VM
// (spec.providerID set, nothing else changed): this controller wrote it,
// in a reconcile that asked to look again half a second later.
func notProviderIDRecorded() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, ok1 := e.ObjectOld.(*kumov1.Machine)
		n, ok2 := e.ObjectNew.(*kumov1.Machine)
		if !ok1 || !ok2 || o.Spec.ProviderID != "" || n.Spec.ProviderID == "" {
			return true
		}
		spec := n.Spec
		spec.ProviderID = ""
		return !equality.Semantic.DeepEqual(o.Spec, spec) ||
			!equality.Semantic.DeepEqual(o.Labels, n.Labels) ||
			!equality.Semantic.DeepEqual(o.Finalizers, n.Finalizers) ||
			!o.DeletionTimestamp.Equal(n.DeletionTimestamp)
	}}
}

// Reconcile drives one Machine.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return requeueIfRateLimited(status.RequeueOnConflict(r.reconcile(ctx, req)))
}

// requeueIfRateLimited turns any cloud call refused for coming too fast into
// a requeue after the wait the cloud asked for. In a storm of reconciles that
// is the expected course, not a failure: no error log, and no backoff of the
// workqueue's own on top of the cloud's.
func requeueIfRateLimited(res ctrl.Result, err error) (ctrl.Result, error) {
	if cloud.IsRateLimited(err) {
		return ctrl.Result{RequeueAfter: rateLimitWait(err)}, nil
	}
	return res, err
}

// rateLimitWait is how long to wait after a refusal: what the cloud asked
// for (a second if it did not say, at least 100 ms), plus up to as much
// again at random, so that the reconciles refused together do not all come
// back together.
func rateLimitWait(err error) time.Duration {
	d := cloud.RetryAfter(err)
	if d == 0 {
		d = time.Second
	}
	d = max(d, 100*time.Millisecond)
	return d + rand.N(d)
}

func (r *Reconciler) reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	m := &kumov1.Machine{}
	if err := r.Client.Get(ctx, req.NamespacedName, m); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if m.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(m, Finalizer) {
		controllerutil.AddFinalizer(m, Finalizer)
		return ctrl.Result{}, r.Client.Update(ctx, m)
	}
	cluster := &kumov1.Cluster{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Spec.ClusterName}, cluster); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		cluster = nil
	}
	if cluster != nil && cluster.Spec.Paused && m.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	before := m.DeepCopy()
	defer func() {
		if !m.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(m, Finalizer) {
			return
		}
		// The reconcile that recorded the VM leaves status to the next
		// (see reconcileVM).
		if before.Spec.ProviderID == "" && m.Spec.ProviderID != "" {
			return
		}
		summarize(m)
		if err := status.PatchStatus(ctx, r.Client, m, before, machineStatus); err != nil {
			reterr = kerrors.NewAggregate([]error{reterr, err})
		}
	}()

	if !m.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, m, cluster)
	}
	if cluster == nil {
		return ctrl.Result{}, fmt.Errorf("cluster %s of machine %s not found", m.Spec.ClusterName, m.Name)
	}
	srv, res, err := r.reconcileVM(ctx, m, cluster)
	if err != nil || res.RequeueAfter > 0 || srv == nil {
		return res, err
	}
	return r.reconcileNode(ctx, m, cluster, srv)
}

// reconcileVM boots the VM once and returns it (nil if it is gone). The VM
// carries the Machine's UID as a tag, so a crash between creating it and
// recording its ID is repaired by finding it by tag instead of booting a
// second one.
//
// After a create refused for the cloud's rate limit, the next attempt
// creates without listing first: the refused create created nothing, and
// only this Machine's reconciles (one at a time) create its VM, so the list
// before it still holds. Listing again would need two calls in a row from a
// cloud short of calls, and a cloud that grants one at a time would refuse
// every create that follows a list.
func (r *Reconciler) reconcileVM(ctx context.Context, m *kumov1.Machine, cluster *kumov1.Cluster) (*cloud.Server, ctrl.Result, error) {
	var srv *cloud.Server
	if m.Spec.ProviderID == "" {
		var found []cloud.Server
		if _, refused := r.createRefused.LoadAndDelete(m.UID); !refused {
			var err error
			found, err = r.Provider.ListServers(ctx, m.Spec.Region, map[string]string{TagMachineUID: string(m.UID)})
			if cloud.IsRateLimited(err) {
				return nil, waitForCloud(m, err), nil
			}
			if err != nil {
				return nil, ctrl.Result{}, fmt.Errorf("listing servers: %w", err)
			}
		}
		if len(found) > 0 {
			srv = &found[0]
		} else {
			m.Status.Phase = kumov1.MachineProvisioning
			var err error
			srv, err = r.Provider.CreateServer(ctx, m.Spec.Region, cloud.CreateRequest{
				Name:              m.Name,
				Flavor:            m.Spec.Flavor,
				SpreadKey:         string(cluster.UID),
				DifferentHostFrom: differentHostFrom(m),
				Tags: map[string]string{
					TagMachineUID: string(m.UID), TagMachine: m.Name,
					TagCluster: m.Spec.ClusterName, TagNamespace: m.Namespace,
				},
			})
			if err != nil {
				if cloud.IsRateLimited(err) {
					r.createRefused.Store(m.UID, true)
				}
				res, err := r.createFailed(m, err)
				return nil, res, err
			}
			r.event(m, corev1.EventTypeNormal, "VMCreated", "Created VM %s on %s", srv.ID, srv.Hypervisor)
		}
		patch := client.MergeFrom(m.DeepCopy())
		m.Spec.ProviderID = cloud.ProviderID(r.ProviderName, m.Spec.Region, srv.ID)
		if err := r.Client.Patch(ctx, m, patch); err != nil {
			return nil, ctrl.Result{}, fmt.Errorf("recording providerID: %w", err)
		}
		// A VM just created is booting: the next look, half a second on,
		// writes the Machine's status (the VMCreated event tells meanwhile).
		// Writing Provisioning now as well would be a sixth of the
		// management API server's writes while a fleet is created.
		return nil, ctrl.Result{RequeueAfter: 500 * time.Millisecond}, nil
	}
	if srv == nil {
		var err error
		srv, err = r.Provider.GetServer(ctx, m.Spec.Region, machines.ServerID(m.Spec.ProviderID))
		if cloud.IsNotFound(err) {
			m.Status.Phase = kumov1.MachineFailed
			setCondition(m, kumov1.VMReadyCondition, false, kumov1.CloudErrorReason, "the VM was deleted outside Kumo")
			return nil, ctrl.Result{}, nil
		}
		if err != nil {
			return nil, ctrl.Result{}, fmt.Errorf("getting server: %w", err)
		}
	}
	m.Status.Hypervisor, m.Status.Address = srv.Hypervisor, srv.Address
	switch srv.Status {
	case cloud.ServerActive:
		setCondition(m, kumov1.VMReadyCondition, true, kumov1.ReadyReason, "VM "+srv.ID+" is active on "+srv.Hypervisor)
		return srv, ctrl.Result{}, nil
	case cloud.ServerError:
		m.Status.Phase = kumov1.MachineFailed
		setCondition(m, kumov1.VMReadyCondition, false, kumov1.CloudErrorReason, "VM "+srv.ID+" is in ERROR")
		return nil, ctrl.Result{}, nil
	default:
		m.Status.Phase = kumov1.MachineProvisioning
		setCondition(m, kumov1.VMReadyCondition, false, kumov1.ProvisioningReason, "VM "+srv.ID+" is booting")
		return nil, ctrl.Result{RequeueAfter: 500 * time.Millisecond}, nil
	}
}

// createFailed turns a refused create into a condition the tenant can act
// on; capacity and flavor errors are retried slowly, rate limits when the
// cloud says, others by backoff.
func (r *Reconciler) createFailed(m *kumov1.Machine, err error) (ctrl.Result, error) {
	// A retry that fails the same way is already on record: warn once.
	warn := func(reason string) {
		if c := meta.FindStatusCondition(m.Status.Conditions, kumov1.VMReadyCondition); c == nil || c.Reason != reason {
			r.event(m, corev1.EventTypeWarning, reason, "%v", err)
		}
		setCondition(m, kumov1.VMReadyCondition, false, reason, err.Error())
	}
	switch {
	case cloud.IsRateLimited(err):
		return waitForCloud(m, err), nil
	case cloud.IsCapacity(err):
		m.Status.Phase = kumov1.MachinePending
		warn(kumov1.CapacityExhaustedReason)
		return ctrl.Result{RequeueAfter: 30 * time.Second}, nil
	case cloud.IsInvalidFlavor(err):
		m.Status.Phase = kumov1.MachineFailed
		warn(kumov1.InvalidFlavorReason)
		return ctrl.Result{RequeueAfter: time.Minute}, nil
	default:
		setCondition(m, kumov1.VMReadyCondition, false, kumov1.CloudErrorReason, err.Error())
		return ctrl.Result{}, fmt.Errorf("creating server: %w", err)
	}
}

// waitForCloud says on VMReady that the VM waits for the cloud to take
// more calls, and requeues when the cloud said to. No event: it is no news
// to a tenant in a storm. The message is always the same, unlike the
// cloud's (which may say how long to wait), so that a refused retry writes
// no status, whose watch event would start the next retry at once.
func waitForCloud(m *kumov1.Machine, err error) ctrl.Result {
	setCondition(m, kumov1.VMReadyCondition, false, kumov1.CloudRateLimitedReason,
		"the cloud API refuses calls that come too fast; waiting until it takes more")
	return ctrl.Result{RequeueAfter: rateLimitWait(err)}
}

func (r *Reconciler) reconcileDelete(ctx context.Context, m *kumov1.Machine, cluster *kumov1.Cluster) (ctrl.Result, error) {
	r.createRefused.Delete(m.UID)
	m.Status.Phase = kumov1.MachineDeleting
	// A cluster being deleted loses its control plane anyway: no drain.
	if cluster != nil && cluster.DeletionTimestamp.IsZero() {
		done, msg, err := r.drain(ctx, m, cluster)
		if err != nil {
			return ctrl.Result{}, err
		}
		if !done {
			setCondition(m, kumov1.NodeReadyCondition, false, kumov1.DrainingReason, msg)
			return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
		}
	}
	if err := r.deleteVMs(ctx, m, cluster); err != nil {
		return ctrl.Result{}, err
	}
	controllerutil.RemoveFinalizer(m, Finalizer)
	if err := r.Client.Update(ctx, m); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// deleteVMs deletes the recorded VM and any VM tagged with this Machine's
// UID (one booted before a crash kept us from recording it), with an
// event for each VM that existed: a repeat finds none and says nothing.
func (r *Reconciler) deleteVMs(ctx context.Context, m *kumov1.Machine, cluster *kumov1.Cluster) error {
	found, err := r.Provider.ListServers(ctx, m.Spec.Region, map[string]string{TagMachineUID: string(m.UID)})
	if cloud.IgnoreNotFound(err) != nil {
		return fmt.Errorf("listing VMs of %s: %w", m.Name, err)
	}
	if id := machines.ServerID(m.Spec.ProviderID); m.Spec.ProviderID != "" && !slices.ContainsFunc(found, func(s cloud.Server) bool { return s.ID == id }) {
		srv, err := r.Provider.GetServer(ctx, m.Spec.Region, id)
		switch {
		case err == nil:
			found = append(found, *srv)
		case !cloud.IsNotFound(err):
			return fmt.Errorf("getting VM %s of %s: %w", id, m.Name, err)
		}
	}
	var errs []error
	for _, s := range found {
		if err := r.Provider.DeleteServer(ctx, m.Spec.Region, s.ID); cloud.IgnoreNotFound(err) != nil {
			errs = append(errs, err)
			continue
		}
		r.removalEvent(m, cluster, corev1.EventTypeNormal, "VMDeleted", "Deleted VM %s of machine %s on hypervisor %s", s.ID, m.Name, s.Hypervisor)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("deleting VM of %s: %w", m.Name, err)
	}
	return nil
}

func (r *Reconciler) event(obj client.Object, typ, reason, format string, args ...any) {
	status.Event(r.Recorder, obj, typ, reason, format, args...)
}

// removalEvent records a step of a Machine's removal regarding its Cluster,
// related to the Machine, so that the Cluster's events still tell of it
// once the Machine is gone; regarding the Machine if the Cluster is gone.
func (r *Reconciler) removalEvent(m *kumov1.Machine, cluster *kumov1.Cluster, typ, reason, format string, args ...any) {
	if cluster == nil {
		r.event(m, typ, reason, format, args...)
		return
	}
	status.RelatedEvent(r.Recorder, cluster, m, typ, reason, format, args...)
}

func setCondition(m *kumov1.Machine, typ string, ok bool, reason, msg string) {
	status.SetCondition(&m.Status.Conditions, m.Generation, typ, ok, reason, msg)
}

// summarize derives Ready and the phase from the other conditions.
func summarize(m *kumov1.Machine) {
	m.Status.ObservedGeneration = m.Generation
	vm := meta.IsStatusConditionTrue(m.Status.Conditions, kumov1.VMReadyCondition)
	node := meta.IsStatusConditionTrue(m.Status.Conditions, kumov1.NodeReadyCondition)
	switch {
	case !m.DeletionTimestamp.IsZero():
		m.Status.Phase = kumov1.MachineDeleting
		setCondition(m, kumov1.ReadyCondition, false, kumov1.DeletingReason, "machine is being deleted")
	case vm && node:
		m.Status.Phase = kumov1.MachineRunning
		setCondition(m, kumov1.ReadyCondition, true, kumov1.ReadyReason, "node "+m.Status.NodeName+" is ready")
	default:
		if m.Status.Phase == "" || m.Status.Phase == kumov1.MachineRunning {
			m.Status.Phase = kumov1.MachineProvisioning
		}
		reason, msg := kumov1.ProvisioningReason, "waiting for VM"
		if c := meta.FindStatusCondition(m.Status.Conditions, kumov1.VMReadyCondition); c != nil && c.Status != metav1.ConditionTrue {
			reason, msg = c.Reason, c.Message
		} else if c := meta.FindStatusCondition(m.Status.Conditions, kumov1.NodeReadyCondition); c != nil {
			reason, msg = c.Reason, c.Message
		}
		setCondition(m, kumov1.ReadyCondition, false, reason, msg)
	}
}

// differentHostFrom is the Machine's placement hint for the cloud.
func differentHostFrom(m *kumov1.Machine) []string {
	if m.Spec.Placement == nil {
		return nil
	}
	return m.Spec.Placement.DifferentHostFrom
}
