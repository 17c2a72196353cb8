// Package status holds what every Kumo controller does the same way when
// reporting: conditions, events, and write conflicts.
package status

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// SetCondition records a condition observed at the object's generation.
func SetCondition(conds *[]metav1.Condition, generation int64, typ string, ok bool, reason, msg string) {
	st := metav1.ConditionFalse
	if ok {
		st = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: st, Reason: reason, Message: msg, ObservedGeneration: generation,
	})
}

// Event emits an event about obj if a recorder is configured.
func Event(rec events.EventRecorder, obj client.Object, typ, reason, format string, args ...any) {
	RelatedEvent(rec, obj, nil, typ, reason, format, args...)
}

// RelatedEvent emits an event about regarding that also concerns related
// (events.k8s.io's regarding and related), e.g. a Cluster's event about one
// of its Machines, which stays with the Cluster after the Machine is gone.
func RelatedEvent(rec events.EventRecorder, regarding, related client.Object, typ, reason, format string, args ...any) {
	if rec == nil {
		return
	}
	var rel runtime.Object
	if related != nil {
		rel = related
	}
	rec.Eventf(regarding, rel, typ, reason, reason, format, args...)
}

// conflictRetry is how soon a reconcile that lost a write race runs again.
const conflictRetry = 100 * time.Millisecond

// RequeueOnConflict turns a write conflict (someone changed the object
// since it was read) into a quick requeue: the next reconcile reads the
// new version. It is the normal course of optimistic concurrency, not an
// error worth a log line.
func RequeueOnConflict(res ctrl.Result, err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	return res, err
}

// PatchStatus writes obj's status if it differs from before's. A reconcile
// that changed nothing sends nothing: at fleet scale the empty patches of
// idle objects would be most of the API server's load.
func PatchStatus[T client.Object](ctx context.Context, c client.Client, obj, before T, status func(T) any) error {
	if equality.Semantic.DeepEqual(status(obj), status(before)) {
		return nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patching status: %w", err)
	}
	return nil
}

// NotStatusOnly passes every event but an update that changed nothing but
// status (and the resource version): a controller's own status write would
// otherwise wake it once more for nothing, and at fleet scale those
// reconciles are as many as all the others.
func NotStatusOnly() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld, e.ObjectNew
		return o.GetGeneration() != n.GetGeneration() ||
			!equality.Semantic.DeepEqual(o.GetLabels(), n.GetLabels()) ||
			!equality.Semantic.DeepEqual(o.GetAnnotations(), n.GetAnnotations()) ||
			!equality.Semantic.DeepEqual(o.GetFinalizers(), n.GetFinalizers()) ||
			!equality.Semantic.DeepEqual(o.GetOwnerReferences(), n.GetOwnerReferences()) ||
			!o.GetDeletionTimestamp().Equal(n.GetDeletionTimestamp())
	}}
}
