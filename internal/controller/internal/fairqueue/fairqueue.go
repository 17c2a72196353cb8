package fairqueue

import (
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// NewQueue builds a controller's work queue that serves namespaces in turn.
// It has the signature of controller.Options.NewQueue.
//
// Everything but the order is client-go's standard rate-limiting queue, which
// takes its storage as a parameter: an item is never processed by two workers
// at once (an Add while it is processed requeues it on Done), an item queued
// twice is processed once, AddAfter keeps the soonest time, and the shutdown
// and metrics are the standard ones. Only the order in which ready items are
// handed out is ours (roundRobin).
//
// With a NewQueue set, controller-runtime does not use its priority queue:
// requests have no priority, and the items of the initial list are not put
// behind live changes.
func NewQueue(controllerName string, rateLimiter workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return newQueue(controllerName, rateLimiter, clock.RealClock{})
}

// newQueue is NewQueue on a given clock, for tests. An empty name registers
// no metrics.
func newQueue(name string, rateLimiter workqueue.TypedRateLimiter[reconcile.Request], clk clock.WithTicker) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	ready := workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[reconcile.Request]{
		Name:  name,
		Clock: clk,
		Queue: &roundRobin{},
	})
	delaying := workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[reconcile.Request]{
		Name:  name,
		Clock: clk,
		Queue: ready,
	})
	return workqueue.NewTypedRateLimitingQueueWithConfig(rateLimiter, workqueue.TypedRateLimitingQueueConfig[reconcile.Request]{
		Name:          name,
		Clock:         clk,
		DelayingQueue: delaying,
	})
}

// roundRobin holds the ready items: a FIFO per namespace, and the namespaces
// that have items in the order they are served. Pop takes the first item of
// the first namespace and sends that namespace to the back, so with n
// namespaces waiting, each gets one item in every n. A namespace whose FIFO
// empties leaves the turns and rejoins at the back with its next item.
// Cluster-scoped requests (namespace "") share one turn.
//
// It implements workqueue.Queue. The standard queue calls it under its lock,
// pushes only items that are neither queued nor being processed, and pops
// only when Len is above zero, so roundRobin needs no lock and no dedup.
type roundRobin struct {
	byNamespace map[string][]reconcile.Request
	turns       []string
	len         int
}

var _ workqueue.Queue[reconcile.Request] = (*roundRobin)(nil)

// Touch is called when a queued item is added again; it keeps its place.
func (q *roundRobin) Touch(reconcile.Request) {}

func (q *roundRobin) Push(item reconcile.Request) {
	if q.byNamespace == nil {
		q.byNamespace = map[string][]reconcile.Request{}
	}
	items, waiting := q.byNamespace[item.Namespace]
	if !waiting {
		q.turns = append(q.turns, item.Namespace)
	}
	q.byNamespace[item.Namespace] = append(items, item)
	q.len++
}

func (q *roundRobin) Len() int {
	return q.len
}

func (q *roundRobin) Pop() reconcile.Request {
	ns := q.turns[0]
	// Clear the popped slots so the backing arrays keep nothing alive.
	q.turns[0] = ""
	q.turns = q.turns[1:]
	items := q.byNamespace[ns]
	item := items[0]
	items[0] = reconcile.Request{}
	if len(items) == 1 {
		delete(q.byNamespace, ns)
	} else {
		q.byNamespace[ns] = items[1:]
		q.turns = append(q.turns, ns)
	}
	q.len--
	return item
}
