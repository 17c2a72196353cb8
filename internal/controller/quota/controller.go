package quota

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/status"
)

// Reconciler counts each team's clusters into its TeamQuota's status. It
// is level-triggered: whatever admission reserved, the count comes from
// the clusters that exist, so a reservation whose write failed is given
// back. It also gives every namespace with clusters a TeamQuota, so that
// operators see every team in `kubectl get teamquotas -A`.
type Reconciler struct {
	Client   client.Client
	Recorder events.EventRecorder
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// +kubebuilder:rbac:groups=kumo.dev,resources=teamquotas,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=kumo.dev,resources=teamquotas/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=kumo.dev,resources=regions,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller. A team's quota is counted
// again when it changes, when one of the team's clusters is created,
// deleted or changes its spec, and, for every team, when the defaults
// change or a region's flavors do.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&kumov1.TeamQuota{}).
		Watches(&kumov1.Cluster{}, handler.EnqueueRequestsFromMapFunc(quotaOfCluster), builder.WithPredicates(usageMayChange)).
		Watches(&kumov1.TeamQuota{}, handler.EnqueueRequestsFromMapFunc(r.allTeams),
			builder.WithPredicates(predicate.NewPredicateFuncs(isDefaults), predicate.GenerationChangedPredicate{})).
		Watches(&kumov1.Region{}, handler.EnqueueRequestsFromMapFunc(r.allTeams), builder.WithPredicates(flavorsChanged)).
		Named("quota").
		Complete(r)
}

func isDefaults(o client.Object) bool {
	return o.GetNamespace() == kumov1.DefaultQuotaNamespace && o.GetName() == kumov1.DefaultQuotaName
}

func quotaOfCluster(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: kumov1.TeamQuotaName}}}
}

// allTeams wakes every team's quota.
func (r *Reconciler) allTeams(ctx context.Context, _ client.Object) []reconcile.Request {
	var list kumov1.TeamQuotaList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, q := range list.Items {
		if q.Name == kumov1.TeamQuotaName {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&q)})
		}
	}
	return out
}

// usageMayChange passes the cluster events that can change what a team
// uses: a create, a delete, a spec change (node pools), the start of a
// deletion. Status updates, the bulk of cluster events, do not.
var usageMayChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() ||
			e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
	},
}

// flavorsChanged passes a region's events that change the vCPUs of its
// flavors, not its usage counts, which change with every VM.
var flavorsChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, okOld := e.ObjectOld.(*kumov1.Region)
		cur, okNew := e.ObjectNew.(*kumov1.Region)
		return okOld && okNew && !apiequality.Semantic.DeepEqual(old.Status.Flavors, cur.Status.Flavors)
	},
}

// Reconcile counts one team's usage, or describes the platform defaults.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if req.Namespace == kumov1.DefaultQuotaNamespace && req.Name == kumov1.DefaultQuotaName {
		return status.RequeueOnConflict(ctrl.Result{}, r.reconcileDefaults(ctx, req))
	}
	if req.Name != kumov1.TeamQuotaName {
		return ctrl.Result{}, nil // not a team's quota: nothing counts against it
	}
	return status.RequeueOnConflict(r.reconcileTeam(ctx, req))
}

func (r *Reconciler) reconcileTeam(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	q := &kumov1.TeamQuota{}
	err := r.Client.Get(ctx, req.NamespacedName, q)
	if apierrors.IsNotFound(err) {
		return ctrl.Result{}, r.ensureQuota(ctx, req.Namespace)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	var clusters kumov1.ClusterList
	if err := r.Client.List(ctx, &clusters, client.InNamespace(q.Namespace)); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing clusters: %w", err)
	}
	var regions kumov1.RegionList
	if err := r.Client.List(ctx, &regions); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing regions: %w", err)
	}
	defaults, err := r.defaults(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}

	before := q.DeepCopy()
	used, pending, next := count(clusters.Items, q.Status.Reservations, flavorsOf(regions.Items), r.now())
	q.Status.Used, q.Status.Reservations = &used, pending
	q.Status.ObservedGeneration = q.Generation
	describe(q, defaults)
	if !apiequality.Semantic.DeepEqual(before.Status, q.Status) {
		// An update, not a patch: it carries the resourceVersion read, so
		// a reservation that admission wrote since makes it conflict and
		// the count is made again with it.
		if err := r.Client.Status().Update(ctx, q); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		r.reportTransition(before, q)
	}
	return ctrl.Result{RequeueAfter: next}, nil
}

// ensureQuota gives a namespace with clusters its TeamQuota, without
// limits of its own; the next reconcile counts it.
func (r *Reconciler) ensureQuota(ctx context.Context, namespace string) error {
	var clusters kumov1.ClusterList
	if err := r.Client.List(ctx, &clusters, client.InNamespace(namespace), client.Limit(1)); err != nil {
		return fmt.Errorf("listing clusters: %w", err)
	}
	if len(clusters.Items) == 0 {
		return nil
	}
	err := r.Client.Create(ctx, newTeamQuota(namespace))
	if apierrors.IsAlreadyExists(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating the team quota of %s: %w", namespace, err)
	}
	return nil
}

func newTeamQuota(namespace string) *kumov1.TeamQuota {
	return &kumov1.TeamQuota{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: kumov1.TeamQuotaName}}
}

// reconcileDefaults shows the defaults' limits in their status, so that
// `kubectl get teamquotas -A` lists them beside the teams.
func (r *Reconciler) reconcileDefaults(ctx context.Context, req ctrl.Request) error {
	q := &kumov1.TeamQuota{}
	if err := r.Client.Get(ctx, req.NamespacedName, q); err != nil {
		return client.IgnoreNotFound(err)
	}
	before := q.DeepCopy()
	q.Status.ObservedGeneration = q.Generation
	describe(q, nil)
	if apiequality.Semantic.DeepEqual(before.Status, q.Status) {
		return nil
	}
	return client.IgnoreNotFound(r.Client.Status().Update(ctx, q))
}

// defaults reads the platform defaults; nil when there are none.
func (r *Reconciler) defaults(ctx context.Context) (*kumov1.TeamQuotaSpec, error) {
	return readDefaults(ctx, r.Client)
}

func readDefaults(ctx context.Context, c client.Reader) (*kumov1.TeamQuotaSpec, error) {
	d := &kumov1.TeamQuota{}
	err := c.Get(ctx, client.ObjectKey{Namespace: kumov1.DefaultQuotaNamespace, Name: kumov1.DefaultQuotaName}, d)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the platform's default quota: %w", err)
	}
	return &d.Spec, nil
}

// reportTransition emits an event when a team goes over its quota or
// back within it.
func (r *Reconciler) reportTransition(before, q *kumov1.TeamQuota) {
	was := meta.FindStatusCondition(before.Status.Conditions, kumov1.WithinQuotaCondition)
	now := meta.FindStatusCondition(q.Status.Conditions, kumov1.WithinQuotaCondition)
	if now == nil || (was != nil && was.Status == now.Status) {
		return
	}
	switch {
	case now.Status == metav1.ConditionFalse:
		status.Event(r.Recorder, q, corev1.EventTypeWarning, kumov1.OverQuotaReason, "%s", now.Message)
	case was != nil:
		status.Event(r.Recorder, q, corev1.EventTypeNormal, kumov1.WithinLimitsReason, "Team %s is within its quota again", q.Namespace)
	}
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// describe derives the rest of a quota's status from its spec, the
// defaults and status.used: the limits in effect, the display cells and,
// once counted, WithinQuota. Admission and the controller both call it,
// so that whichever writes last leaves a consistent status.
func describe(q *kumov1.TeamQuota, defaults *kumov1.TeamQuotaSpec) {
	s := &q.Status
	s.Limits = q.Spec.Limits(defaults)
	s.Clusters = display(s.Used, resources[0], s.Limits)
	s.Nodes = display(s.Used, resources[1], s.Limits)
	s.VCPUs = display(s.Used, resources[2], s.Limits)
	if s.Used == nil {
		return
	}
	if o := over(s.Limits, *s.Used); o != "" {
		status.SetCondition(&s.Conditions, q.Generation, kumov1.WithinQuotaCondition, false, kumov1.OverQuotaReason,
			fmt.Sprintf("team %s has %s: what exists keeps running, and growth is refused until it is back within its limits or an operator raises them", q.Namespace, o))
		return
	}
	status.SetCondition(&s.Conditions, q.Generation, kumov1.WithinQuotaCondition, true, kumov1.WithinLimitsReason, "within limits")
}
