package cluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
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
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/fairqueue"
	"github.com/kumo-dev/kumo/internal/controller/internal/status"
	"github.com/kumo-dev/kumo/internal/controller/internal/wake"
	"github.com/kumo-dev/kumo/internal/controlplane"
	"github.com/kumo-dev/kumo/internal/nodes"
)

// Finalizer keeps a Cluster until its machines, control plane and secrets are gone.
const Finalizer = "kumo.dev/cluster"

// Reconciler reconciles Clusters.
type Reconciler struct {
	Client client.Client
	// APIReader reads around the cache, for objects this controller has
	// just created.
	APIReader client.Reader
	Runtime   controlplane.Runtime
	// Nodes forgets a deleted cluster's Nodes.
	Nodes    nodes.Backend
	Recorder events.EventRecorder
	// MaxConcurrent bounds parallel reconciles (default 16). Slow steps (a
	// control plane booting) never hold a worker, so a few keep one team's
	// burst from delaying another team's cluster; a reconcile mostly waits
	// on the API server, so a fleet of new clusters needs more.
	MaxConcurrent int
	// Versions resolves "1.36" to an exact version the runtime can run, or
	// errors with the offered versions.
	Versions func(string) (string, error)
}

// +kubebuilder:rbac:groups=kumo.dev,resources=clusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=clusters/status;clusters/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=machines,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=kumo.dev,resources=regions,verbs=get;list;watch
// +kubebuilder:rbac:groups=kumo.dev,resources=kubernetesreleases,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	n := r.MaxConcurrent
	if n == 0 {
		n = 16
	}
	b := ctrl.NewControllerManagedBy(mgr)
	if n, ok := r.Runtime.(controlplane.Notifier); ok {
		// A component that failed, restarted or recovered shows at once.
		b = b.WatchesRawSource(source.Channel(clusterEvents(n.Changes()), &handler.EnqueueRequestForObject{}))
	}
	return b.
		// A migration's writes to the status (migratingTo, region) hand the
		// Machines back and forth: those wake it too.
		For(&kumov1.Cluster{}, builder.WithPredicates(predicate.Or(status.NotStatusOnly(), migrationChanged))).
		// Teams (namespaces) take turns in the queue, so one team's burst
		// of creates does not hold another team's cluster behind it.
		WithOptions(controller.Options{MaxConcurrentReconciles: n, NewQueue: fairqueue.NewQueue}).
		Watches(&kumov1.Machine{}, wake.After(machineSettle, ownerOf, nil)).
		Owns(&corev1.Secret{}, builder.WithPredicates(predicate.ResourceVersionChangedPredicate{})).
		// Only a region's spec matters here; its status changes with every
		// VM and would wake every cluster of the region.
		Watches(&kumov1.Region{}, handler.EnqueueRequestsFromMapFunc(r.clustersInRegion),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// A release deprecated or given an end of support tells its
		// clusters; releases change rarely, so waking all is cheap.
		Watches(&kumov1.KubernetesRelease{}, handler.EnqueueRequestsFromMapFunc(r.allClusters),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("cluster").
		Complete(r)
}

// clusterEvents turns a runtime's changes into events for the clusters.
func clusterEvents(changes <-chan controlplane.Ref) <-chan event.GenericEvent {
	out := make(chan event.GenericEvent)
	go func() {
		defer close(out)
		for ref := range changes {
			out <- event.GenericEvent{Object: &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}}}
		}
	}()
	return out
}

// migrationChanged passes the updates in which a ClusterMigration handed
// the cluster's Machines over or back, or moved the cluster.
var migrationChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	o, okOld := e.ObjectOld.(*kumov1.Cluster)
	n, okNew := e.ObjectNew.(*kumov1.Cluster)
	return okOld && okNew && (o.Status.MigratingTo != n.Status.MigratingTo || o.Status.Region != n.Status.Region)
}}

// clustersInRegion wakes the clusters of a region that (re)appears.
func (r *Reconciler) clustersInRegion(ctx context.Context, o client.Object) []reconcile.Request {
	var list kumov1.ClusterList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, c := range list.Items {
		if c.EffectiveRegion() == o.GetName() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
		}
	}
	return out
}

// allClusters wakes every cluster.
func (r *Reconciler) allClusters(ctx context.Context, _ client.Object) []reconcile.Request {
	var list kumov1.ClusterList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, c := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
	}
	return out
}

// scope carries what the phases of one reconcile share.
type scope struct {
	cluster  *kumov1.Cluster
	machines []kumov1.Machine
	// cpStatus is the control plane as the runtime last saw it.
	cpStatus controlplane.Status
	// blocked is a condition reason that stops progress until the spec changes.
	blocked string
	// waiting stops the later phases until a requeue finds this one done.
	waiting bool
}

type phaseFunc func(context.Context, *scope) (ctrl.Result, error)

func clusterStatus(c *kumov1.Cluster) any { return c.Status }

// Reconcile drives one Cluster towards its spec.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return status.RequeueOnConflict(r.reconcile(ctx, req))
}

func (r *Reconciler) reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	cluster := &kumov1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, cluster); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if cluster.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(cluster, Finalizer) {
		controllerutil.AddFinalizer(cluster, Finalizer)
		return ctrl.Result{}, r.Client.Update(ctx, cluster)
	}
	if cluster.Spec.Paused && cluster.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	s := &scope{cluster: cluster}
	before := cluster.DeepCopy()
	defer func() {
		if !cluster.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(cluster, Finalizer) {
			return // gone
		}
		r.updateStatus(s)
		if err := status.PatchStatus(ctx, r.Client, cluster, before, clusterStatus); err != nil {
			reterr = kerrors.NewAggregate([]error{reterr, err})
		}
	}()

	if err := r.loadMachines(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if !cluster.DeletionTimestamp.IsZero() {
		// The cache may not show a Machine created just before the delete;
		// missing it would leak its VM.
		if err := r.loadMachinesFrom(ctx, r.APIReader, s); err != nil {
			return ctrl.Result{}, err
		}
		return r.reconcileDelete(ctx, s)
	}
	phases := []phaseFunc{
		r.reconcileSupport,
		r.reconcileRegion,
		r.reconcileVersion,
		r.reconcileCertificates,
		r.reconcileEndpoint,
		r.reconcileControlPlane,
		r.reconcileKubeconfig,
		r.reconcileMachines,
	}
	return runPhases(ctx, s, phases)
}

// runPhases runs phases in order, stopping at an error or at a phase that
// asks to wait, and returns the soonest requeue any phase asked for.
func runPhases(ctx context.Context, s *scope, phases []phaseFunc) (ctrl.Result, error) {
	var res ctrl.Result
	for _, phase := range phases {
		r, err := phase(ctx, s)
		if err != nil {
			return ctrl.Result{}, err
		}
		if r.RequeueAfter > 0 && (res.RequeueAfter == 0 || r.RequeueAfter < res.RequeueAfter) {
			res.RequeueAfter = r.RequeueAfter
		}
		if s.blocked != "" || s.waiting {
			break
		}
	}
	return res, nil
}

func (r *Reconciler) loadMachines(ctx context.Context, s *scope) error {
	return r.loadMachinesFrom(ctx, r.Client, s)
}

func (r *Reconciler) loadMachinesFrom(ctx context.Context, reader client.Reader, s *scope) error {
	var list kumov1.MachineList
	if err := reader.List(ctx, &list, client.InNamespace(s.cluster.Namespace),
		client.MatchingLabels{kumov1.ClusterNameLabel: s.cluster.Name}); err != nil {
		return fmt.Errorf("listing machines: %w", err)
	}
	s.machines = list.Items
	return nil
}

func (r *Reconciler) reconcileRegion(ctx context.Context, s *scope) (ctrl.Result, error) {
	// Where new nodes go: the spec's region until a migration moves it.
	if s.cluster.Status.Region == "" {
		s.cluster.Status.Region = s.cluster.Spec.Region
	}
	var region kumov1.Region
	err := r.Client.Get(ctx, client.ObjectKey{Name: s.cluster.EffectiveRegion()}, &region)
	if apierrors.IsNotFound(err) {
		r.block(s, kumov1.RegionNotFoundReason,
			fmt.Sprintf("region %q does not exist; list regions with `kubectl get regions`", s.cluster.EffectiveRegion()))
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, err
}

func (r *Reconciler) reconcileVersion(_ context.Context, s *scope) (ctrl.Result, error) {
	if _, err := r.Versions(s.cluster.Spec.Version); err != nil {
		r.block(s, kumov1.VersionNotSupportedReason, err.Error())
	}
	return ctrl.Result{}, nil
}

// block records a problem only a spec change can fix, with a Warning event
// the first time it is seen.
func (r *Reconciler) block(s *scope, reason, msg string) {
	s.blocked = reason
	if c := meta.FindStatusCondition(s.cluster.Status.Conditions, kumov1.ControlPlaneReadyCondition); c == nil || c.Reason != reason {
		r.event(s.cluster, corev1.EventTypeWarning, reason, "%s", msg)
	}
	setCondition(s.cluster, kumov1.ControlPlaneReadyCondition, false, reason, msg)
}

func (r *Reconciler) reconcileControlPlane(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.cluster
	version, _ := r.Versions(c.Spec.Version)
	ca, err := r.secret(ctx, c, caSecretName(c.Name))
	if err != nil {
		return ctrl.Result{}, err
	}
	sa, err := r.secret(ctx, c, saSecretName(c.Name))
	if err != nil {
		return ctrl.Result{}, err
	}
	st, err := r.Runtime.Ensure(ctx, controlplane.Spec{
		Cluster:              ref(c),
		Version:              version,
		Host:                 c.Spec.ControlPlane.Endpoint.Host,
		Port:                 c.Spec.ControlPlane.Endpoint.Port,
		CACertPEM:            ca.Data[corev1.TLSCertKey],
		CAKeyPEM:             ca.Data[corev1.TLSPrivateKeyKey],
		ServiceAccountKeyPEM: sa.Data[saKeyKey],
		ServiceAccountPubPEM: sa.Data[saPubKey],
	})
	if controlplane.IsInsufficientMemory(err) {
		return r.waitForRoom(s, kumov1.InsufficientHostMemoryReason, err.Error()), nil
	}
	if err != nil {
		setCondition(c, kumov1.ControlPlaneReadyCondition, false, kumov1.ControlPlaneFailedReason, err.Error())
		return ctrl.Result{}, fmt.Errorf("running control plane: %w", err)
	}
	s.cpStatus = st
	for _, e := range st.Events {
		typ := corev1.EventTypeNormal
		if e.Warning {
			typ = corev1.EventTypeWarning
		}
		msg := e.Message
		if len(msg) > maxEventMessage {
			msg = msg[:maxEventMessage-3] + "..."
		}
		r.event(c, typ, e.Reason, "%s", msg)
	}
	if st.Problem != "" {
		// A component of a control plane that ran failed: the cluster is
		// degraded, not starting; the machines go on if the API server
		// answers.
		setCondition(c, kumov1.ControlPlaneReadyCondition, false, kumov1.ControlPlaneUnhealthyReason, st.Problem)
		s.waiting = !st.Ready
		return ctrl.Result{RequeueAfter: st.ProbeAfter}, nil
	}
	if !st.Ready {
		setCondition(c, kumov1.ControlPlaneReadyCondition, false, kumov1.ControlPlaneStartingReason, st.Message)
		s.waiting = true
		// Machines need a working API server; poll until it answers.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	if cp := meta.FindStatusCondition(c.Status.Conditions, kumov1.ControlPlaneReadyCondition); cp == nil || cp.Status != metav1.ConditionTrue {
		if cp != nil && cp.Reason == kumov1.ControlPlaneUnhealthyReason {
			r.event(c, corev1.EventTypeNormal, "ControlPlaneRecovered", "Control plane recovered (was: %s)", cp.Message)
		}
		r.event(c, corev1.EventTypeNormal, "ControlPlaneReady", "Control plane %s is ready", st.Version)
	}
	setCondition(c, kumov1.ControlPlaneReadyCondition, true, kumov1.ReadyReason, "API server "+st.Version+" is ready")
	c.Status.Version = st.Version
	return ctrl.Result{RequeueAfter: st.ProbeAfter}, nil
}

func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.cluster
	// The cache may still show the phase before the last reconcile's
	// status patch: read it afresh, so the event is recorded once.
	var fresh kumov1.Cluster
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(c), &fresh); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if fresh.Status.Phase != kumov1.ClusterDeleting {
		r.event(c, corev1.EventTypeNormal, "Deleting", "Deleting cluster: %d machines, then the control plane and its data", len(s.machines))
	}
	// Machines first: their finalizers delete the VMs.
	var deleting []*kumov1.Machine
	for i := range s.machines {
		m := &s.machines[i]
		if m.DeletionTimestamp.IsZero() {
			if err := r.Client.Delete(ctx, m); client.IgnoreNotFound(err) != nil {
				return ctrl.Result{}, fmt.Errorf("deleting machine %s: %w", m.Name, err)
			}
			deleting = append(deleting, m)
		}
	}
	if len(deleting) > 0 {
		r.event(c, corev1.EventTypeNormal, "DeletingMachines", "Deleting machines %s", names(deleting))
	}
	if remaining := len(s.machines); remaining > 0 {
		setCondition(c, kumov1.NodesReadyCondition, false, kumov1.DeletingReason, fmt.Sprintf("deleting %d machines", remaining))
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	if err := r.Runtime.Delete(ctx, ref(c)); err != nil {
		return ctrl.Result{}, fmt.Errorf("deleting control plane: %w", err)
	}
	// The secrets go last, so a repeat (the finalizer update failed) finds
	// none and records no second event.
	deleted := false
	for _, name := range []string{kumov1.KubeconfigSecretName(c.Name), caSecretName(c.Name), saSecretName(c.Name)} {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: name}}
		err := r.Client.Delete(ctx, sec)
		if client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("deleting secret %s: %w", name, err)
		}
		deleted = deleted || err == nil
	}
	if deleted {
		r.event(c, corev1.EventTypeNormal, "ControlPlaneDeleted", "Deleted the control plane, its data and its secrets")
	}
	if r.Nodes != nil {
		r.Nodes.Forget(c)
	}
	controllerutil.RemoveFinalizer(c, Finalizer)
	if err := r.Client.Update(ctx, c); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// maxEventMessage is the API server's limit on an event's message.
const maxEventMessage = 1024

func ref(c *kumov1.Cluster) controlplane.Ref {
	return controlplane.Ref{Namespace: c.Namespace, Name: c.Name, UID: c.UID}
}

func (r *Reconciler) event(obj client.Object, typ, reason, format string, args ...any) {
	status.Event(r.Recorder, obj, typ, reason, format, args...)
}

func setCondition(c *kumov1.Cluster, typ string, ok bool, reason, msg string) {
	status.SetCondition(&c.Status.Conditions, c.Generation, typ, ok, reason, msg)
}
