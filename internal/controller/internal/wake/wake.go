// Package wake holds event handlers that wake a controller a moment after
// a change, so that a burst of changes (the forty Machines of a pool, the
// VMs of a fleet) makes one reconcile instead of one each.
package wake

import (
	"context"
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

// After enqueues the requests that toObjects maps an object to, delay after
// the object changes; changes within that time join the same reconcile (the
// queue keeps an item once, at its soonest time). Updates pass only if
// update says so (nil: all).
func After(delay time.Duration, toObjects func(client.Object) []reconcile.Request, update func(event.UpdateEvent) bool) handler.EventHandler {
	add := func(obj client.Object, q queue) {
		for _, r := range toObjects(obj) {
			q.AddAfter(r, delay)
		}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q queue) { add(e.Object, q) },
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q queue) {
			if update == nil || update(e) {
				add(e.ObjectNew, q)
			}
		},
		DeleteFunc:  func(_ context.Context, e event.DeleteEvent, q queue) { add(e.Object, q) },
		GenericFunc: func(_ context.Context, e event.GenericEvent, q queue) { add(e.Object, q) },
	}
}
