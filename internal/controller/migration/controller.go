package migration

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
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/status"
	"github.com/kumo-dev/kumo/internal/controller/internal/wake"
	"github.com/kumo-dev/kumo/internal/nodes"
)

// Finalizer keeps an active ClusterMigration until it is rolled back:
// deleting one mid-way puts the cluster back as it was, instead of leaving
// it with nodes in two regions and no one to finish the move.
const Finalizer = "kumo.dev/migration"

// DefaultDrainTimeout is how long a step's drain may take before the
// migration reports DrainBlocked; it keeps trying after that.
const DefaultDrainTimeout = 5 * time.Minute

// Reconciler reconciles ClusterMigrations.
type Reconciler struct {
	Client client.Client
	// APIReader lists Machines around the cache: a Machine created just
	// before a crash must be seen, or the step would create another.
	APIReader client.Reader
	// Nodes cordons, drains and uncordons the tenant clusters' Nodes.
	Nodes    nodes.Backend
	Recorder events.EventRecorder
	// DrainTimeout: DefaultDrainTimeout when zero.
	DrainTimeout time.Duration
	// Now is the clock (time.Now when nil), for tests of the soak.
	Now func() time.Time
}

// +kubebuilder:rbac:groups=kumo.dev,resources=clustermigrations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=clustermigrations/status;clustermigrations/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=kumo.dev,resources=clusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=machines,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=kumo.dev,resources=regions,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller. A migration is named after
// its cluster, so a Machine or Cluster maps to it by the cluster's name.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	registerMetrics(mgr.GetClient())
	byCluster := func(name func(client.Object) string) func(client.Object) []reconcile.Request {
		return func(o client.Object) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name(o)}}}
		}
	}
	machineCluster := func(o client.Object) string { return o.GetLabels()[kumov1.ClusterNameLabel] }
	return ctrl.NewControllerManagedBy(mgr).
		For(&kumov1.ClusterMigration{}, builder.WithPredicates(status.NotStatusOnly())).
		// A pool's new Machines become Ready together: one reconcile.
		Watches(&kumov1.Machine{}, wake.After(500*time.Millisecond, byCluster(machineCluster), nil)).
		Watches(&kumov1.Cluster{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return byCluster(client.Object.GetName)(o)
		})).
		Named("migration").
		Complete(r)
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// scope carries what the phases of one reconcile share.
type scope struct {
	mig     *kumov1.ClusterMigration
	cluster *kumov1.Cluster
	// source and target are the cluster's live Machines in each region.
	source, target []*kumov1.Machine
	// all is every Machine of the cluster, deleting ones included.
	all []kumov1.Machine
}

func migrationStatus(m *kumov1.ClusterMigration) any { return m.Status }

// Reconcile moves one ClusterMigration on as far as it can go now.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return status.RequeueOnConflict(r.reconcile(ctx, req))
}

func (r *Reconciler) reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	mig := &kumov1.ClusterMigration{}
	if err := r.Client.Get(ctx, req.NamespacedName, mig); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if mig.Status.Phase.Finished() {
		return ctrl.Result{}, r.removeFinalizer(ctx, mig)
	}
	if mig.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(mig, Finalizer) {
		controllerutil.AddFinalizer(mig, Finalizer)
		return ctrl.Result{}, r.Client.Update(ctx, mig)
	}

	before := mig.DeepCopy()
	defer func() {
		if !mig.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(mig, Finalizer) {
			return // gone
		}
		mig.Status.ObservedGeneration = mig.Generation
		if err := status.PatchStatus(ctx, r.Client, mig, before, migrationStatus); err != nil {
			reterr = kerrors.NewAggregate([]error{reterr, err})
		}
	}()

	// The Cluster is read from the API server: whether completion began
	// (status.region moved) decides whether a rollback may still run, and
	// a stale cache must not say it did not.
	s := &scope{mig: mig, cluster: &kumov1.Cluster{}}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: mig.Namespace, Name: mig.Spec.ClusterName}, s.cluster)
	if client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, err
	}
	if apierrors.IsNotFound(err) || !s.cluster.DeletionTimestamp.IsZero() {
		r.clusterGone(s, apierrors.IsNotFound(err))
		return finished()
	}

	accepted := mig.Status.Phase != "" && mig.Status.Phase != kumov1.MigrationPending
	if !accepted {
		if mig.Spec.Rollback || !mig.DeletionTimestamp.IsZero() {
			// Nothing was created: there is nothing to put back.
			r.finish(s, kumov1.MigrationRolledBack, kumov1.RolledBackReason, "rolled back before it started; nothing was created")
			return finished()
		}
		return r.admit(ctx, s)
	}
	if err := r.loadMachines(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	defer r.count(s)
	// Completing began (the cluster reports the target region): too late
	// to roll back; finish the job.
	completing := s.cluster.Status.Region == mig.Spec.TargetRegion
	if (mig.Spec.Rollback || !mig.DeletionTimestamp.IsZero()) && !completing {
		return r.rollback(ctx, s)
	}
	if err := r.markCluster(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if mig.Spec.Paused && !completing {
		r.setPhase(s, kumov1.MigrationPaused, kumov1.PausedReason, fmt.Sprintf("paused after step %d of %d; resume with `kumoctl migrate resume %s`", mig.Status.Step, len(mig.StepPercents()), mig.Name))
		return ctrl.Result{}, nil
	}
	if int(mig.Status.Step) < len(mig.StepPercents()) {
		return r.reconcileStep(ctx, s)
	}
	return r.reconcileSoak(ctx, s)
}

// clusterGone ends a migration whose cluster is gone or being deleted: the
// cluster's deletion removes its Machines in both regions (every Machine
// carries the cluster's label and owner), so there is nothing to undo.
func (r *Reconciler) clusterGone(s *scope, notFound bool) {
	mig := s.mig
	if mig.Status.Phase == "" || mig.Status.Phase == kumov1.MigrationPending {
		if notFound {
			r.refuse(s, kumov1.ClusterNotFoundReason, fmt.Sprintf("cluster %s does not exist in namespace %s; list clusters with `kumoctl cluster list`", mig.Spec.ClusterName, mig.Namespace))
		} else {
			r.refuse(s, kumov1.ClusterDeletingReason, fmt.Sprintf("cluster %s is being deleted", mig.Spec.ClusterName))
		}
	} else {
		r.finish(s, kumov1.MigrationFailed, kumov1.ClusterDeletingReason,
			fmt.Sprintf("cluster %s was deleted during the migration; its nodes in %s and %s are deleted with it", mig.Spec.ClusterName, mig.Status.SourceRegion, mig.Spec.TargetRegion))
		if !notFound {
			r.event(s, corev1.EventTypeWarning, "MigrationAborted", "Migration to %s ends: the cluster is being deleted", mig.Spec.TargetRegion)
		}
	}
}

// finished ends a reconcile that put the migration in a final phase. The
// finalizer goes in the next one, once the status is written: an update of
// the object now would read back the old status over the new one.
func finished() (ctrl.Result, error) {
	return ctrl.Result{RequeueAfter: time.Millisecond}, nil
}

func (r *Reconciler) removeFinalizer(ctx context.Context, mig *kumov1.ClusterMigration) error {
	if !controllerutil.ContainsFinalizer(mig, Finalizer) {
		return nil
	}
	controllerutil.RemoveFinalizer(mig, Finalizer)
	return client.IgnoreNotFound(r.Client.Update(ctx, mig))
}

// loadMachines reads the cluster's Machines from the API server, not the
// cache: a step decides from them what to create, and must see its own
// creates of the last reconcile (or of a manager that crashed).
func (r *Reconciler) loadMachines(ctx context.Context, s *scope) error {
	var list kumov1.MachineList
	if err := r.APIReader.List(ctx, &list, client.InNamespace(s.cluster.Namespace),
		client.MatchingLabels{kumov1.ClusterNameLabel: s.cluster.Name}); err != nil {
		return fmt.Errorf("listing machines: %w", err)
	}
	s.all = list.Items
	for i := range list.Items {
		m := &list.Items[i]
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		switch m.Spec.Region {
		case s.mig.Spec.TargetRegion:
			s.target = append(s.target, m)
		case s.mig.Status.SourceRegion:
			s.source = append(s.source, m)
		}
	}
	return nil
}

// count reports the Ready nodes on each side and the drains in progress.
func (r *Reconciler) count(s *scope) {
	st := &s.mig.Status
	st.NodesInSource, st.NodesInTarget, st.Draining = 0, 0, 0
	for _, m := range s.source {
		if ready(m) {
			st.NodesInSource++
		}
		if _, ok := m.Labels[kumov1.MigrationDrainLabel]; ok && !drained(m) {
			st.Draining++
		}
	}
	for _, m := range s.target {
		if ready(m) {
			st.NodesInTarget++
		}
	}
}

// markCluster records the migration on the Cluster (status.migratingTo),
// which hands its Machines to this controller and freezes its node pools.
// Admission sets it; this repairs a crash between admission's two writes.
func (r *Reconciler) markCluster(ctx context.Context, s *scope) error {
	return r.patchCluster(ctx, s, func(c *kumov1.Cluster) { c.Status.MigratingTo = s.mig.Spec.TargetRegion })
}

// patchCluster changes the Cluster's status with the update made on a copy
// of what was read, conditional on nothing else having changed it since
// (the cluster controller writes the same status): a conflict retries the
// whole reconcile with fresh state.
func (r *Reconciler) patchCluster(ctx context.Context, s *scope, change func(*kumov1.Cluster)) error {
	before := s.cluster.DeepCopy()
	change(s.cluster)
	if s.cluster.Status.Region == before.Status.Region && s.cluster.Status.MigratingTo == before.Status.MigratingTo {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, s.cluster, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("recording the migration on cluster %s: %w", s.cluster.Name, err)
	}
	return nil
}

// setPhase sets the phase and what the migration does or waits for, with
// an event on the Cluster when the phase changes.
func (r *Reconciler) setPhase(s *scope, phase kumov1.MigrationPhase, reason, msg string) {
	st := &s.mig.Status
	if st.Phase != phase && phase != kumov1.MigrationMigrating {
		r.event(s, corev1.EventTypeNormal, "Migration"+string(phase), "%s", capitalize(msg))
	}
	st.Phase = phase
	r.setCondition(s, kumov1.ProgressingCondition, !phase.Finished(), reason, msg)
}

// finish ends the migration in a final phase.
func (r *Reconciler) finish(s *scope, phase kumov1.MigrationPhase, reason, msg string) {
	r.setPhase(s, phase, reason, msg)
	if s.mig.Status.FinishedAt == nil {
		t := metav1.NewTime(r.now())
		s.mig.Status.FinishedAt = &t
	}
	meta.RemoveStatusCondition(&s.mig.Status.Conditions, kumov1.DrainBlockedCondition)
}

// refuse fails a migration that has created nothing, saying why and what to do.
func (r *Reconciler) refuse(s *scope, reason, msg string) {
	if c := meta.FindStatusCondition(s.mig.Status.Conditions, kumov1.AcceptedCondition); c == nil || c.Reason != reason {
		r.event(s, corev1.EventTypeWarning, "MigrationRefused", "Migration to %s refused: %s", s.mig.Spec.TargetRegion, msg)
	}
	r.setCondition(s, kumov1.AcceptedCondition, false, reason, msg)
	s.mig.Status.Phase = kumov1.MigrationFailed
	r.setCondition(s, kumov1.ProgressingCondition, false, reason, msg)
	if s.mig.Status.FinishedAt == nil {
		t := metav1.NewTime(r.now())
		s.mig.Status.FinishedAt = &t
	}
}

// event records an event on the Cluster (users look there), related to
// the migration; on the migration when the cluster does not exist.
func (r *Reconciler) event(s *scope, typ, reason, format string, args ...any) {
	if s.cluster == nil || s.cluster.UID == "" {
		status.Event(r.Recorder, s.mig, typ, reason, format, args...)
		return
	}
	status.RelatedEvent(r.Recorder, s.cluster, s.mig, typ, reason, format, args...)
}

func (r *Reconciler) setCondition(s *scope, typ string, ok bool, reason, msg string) {
	status.SetCondition(&s.mig.Status.Conditions, s.mig.Generation, typ, ok, reason, msg)
}

func ready(m *kumov1.Machine) bool {
	return meta.IsStatusConditionTrue(m.Status.Conditions, kumov1.ReadyCondition)
}

// drained: the migration evicted every pod of this old Machine's Node. The
// label's value says so, so that a restarted manager does not drain again.
func drained(m *kumov1.Machine) bool {
	return m.Labels[kumov1.MigrationDrainLabel] == drainedValue
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
