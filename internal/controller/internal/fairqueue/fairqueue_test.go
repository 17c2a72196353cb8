package fairqueue

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

// req parses "namespace/name".
func req(s string) reconcile.Request {
	ns, name, _ := strings.Cut(s, "/")
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}
}

// newTestQueue is a queue on a fake clock whose rate limiter waits 1s, 2s,
// 4s, ... after each failure.
func newTestQueue(t *testing.T) (queue, *clocktesting.FakeClock) {
	clk := clocktesting.NewFakeClock(time.Now())
	rl := workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Second, time.Hour)
	q := newQueue("", rl, clk)
	t.Cleanup(q.ShutDown)
	return q, clk
}

// get is Get for a test that expects an item, failing rather than blocking
// forever when none comes.
func get(g Gomega, q queue) reconcile.Request {
	got := make(chan reconcile.Request, 1)
	go func() {
		if item, shutdown := q.Get(); !shutdown {
			got <- item
		}
	}()
	var item reconcile.Request
	g.Eventually(got).WithTimeout(5 * time.Second).Should(Receive(&item))
	return item
}

// process gets an item, checks it is want, and marks it done.
func process(g Gomega, q queue, want string) {
	g.ExpectWithOffset(1, get(g, q)).To(Equal(req(want)))
	q.Done(req(want))
}

// waitReady advances the fake clock in small steps until one item is ready.
// The delaying queue wakes at least every 10s of its clock (its heartbeat),
// so stepping also recovers a timer it set from a time read just before a
// step. Within the timeout the clock moves at most 500 × 5s, well under an
// hour, so the tests keep items they want held back at an hour or more.
func waitReady(g Gomega, q queue, clk *clocktesting.FakeClock) {
	g.Eventually(func() int {
		clk.Step(5 * time.Second)
		return q.Len()
	}).WithTimeout(5 * time.Second).WithPolling(10 * time.Millisecond).Should(Equal(1))
}

func TestRoundRobin(t *testing.T) {
	tests := map[string]struct {
		// ops are "namespace/name" to push and "pop" to pop.
		ops []string
		// want is what the pops return, then what the queue holds after ops in order.
		want []string
	}{
		"one namespace is first in, first out": {
			ops:  []string{"a/1", "a/2", "a/3"},
			want: []string{"a/1", "a/2", "a/3"},
		},
		"a burst does not delay another namespace": {
			ops:  []string{"a/1", "a/2", "a/3", "a/4", "b/1"},
			want: []string{"a/1", "b/1", "a/2", "a/3", "a/4"},
		},
		"namespaces take turns in the order they arrived": {
			ops:  []string{"a/1", "a/2", "b/1", "b/2", "c/1"},
			want: []string{"a/1", "b/1", "c/1", "a/2", "b/2"},
		},
		"a namespace that empties rejoins at the back": {
			ops:  []string{"a/1", "b/1", "b/2", "pop", "a/2"},
			want: []string{"a/1", "b/1", "a/2", "b/2"},
		},
		"cluster-scoped requests share one turn": {
			ops:  []string{"/x", "/y", "a/1"},
			want: []string{"/x", "a/1", "/y"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			q := &roundRobin{}
			var got []string
			pop := func() { got = append(got, q.Pop().String()) }
			for _, op := range tc.ops {
				if op == "pop" {
					pop()
				} else {
					q.Push(req(op))
				}
			}
			for q.Len() > 0 {
				pop()
			}
			g.Expect(got).To(Equal(tc.want))
			g.Expect(q.byNamespace).To(BeEmpty(), "an emptied namespace is forgotten")
		})
	}
}

func TestBurstDoesNotDelayAnotherTeam(t *testing.T) {
	g := NewWithT(t)
	q := NewQueue("fairqueue-test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	t.Cleanup(q.ShutDown)

	for i := range 500 {
		q.Add(req(fmt.Sprintf("alice/c%d", i)))
	}
	q.Add(req("bob/c0"))
	g.Expect(q.Len()).To(Equal(501))

	first, second := get(g, q), get(g, q)
	g.Expect([]reconcile.Request{first, second}).To(ContainElement(req("bob/c0")))
	g.Expect(first).To(Equal(req("alice/c0")), "alice's items keep their order")
}

func TestDuplicatesCollapse(t *testing.T) {
	g := NewWithT(t)
	q, _ := newTestQueue(t)

	q.Add(req("a/x"))
	q.Add(req("a/x"))
	q.AddAfter(req("a/x"), 0)
	g.Expect(q.Len()).To(Equal(1))

	process(g, q, "a/x")
	g.Expect(q.Len()).To(BeZero())
}

func TestItemIsNotProcessedTwiceAtOnce(t *testing.T) {
	g := NewWithT(t)
	q, _ := newTestQueue(t)

	q.Add(req("a/x"))
	g.Expect(get(g, q)).To(Equal(req("a/x")))

	// Added while processed: held back, not handed to another worker.
	q.Add(req("a/x"))
	q.Add(req("a/x"))
	g.Expect(q.Len()).To(BeZero())
	q.Add(req("b/y"))
	g.Expect(get(g, q)).To(Equal(req("b/y")))

	// Done requeues it, once.
	q.Done(req("a/x"))
	g.Expect(q.Len()).To(Equal(1))
	process(g, q, "a/x")
	q.Done(req("b/y"))
	g.Expect(q.Len()).To(BeZero())
}

// TestWorkersNeverShareAnItem runs several workers while items are added
// again and again, and checks under -race that no item is processed by two
// workers at once and that every item is processed after its last Add.
func TestWorkersNeverShareAnItem(t *testing.T) {
	g := NewWithT(t)
	q, _ := newTestQueue(t)

	var items []reconcile.Request
	for _, ns := range []string{"a", "b", "c"} {
		for i := range 10 {
			items = append(items, req(fmt.Sprintf("%s/%d", ns, i)))
		}
	}

	var mu sync.Mutex
	inFlight := map[reconcile.Request]bool{}
	// addedSince is true for an item added since a worker last took it.
	addedSince := map[reconcile.Request]bool{}
	var shared []reconcile.Request

	var workers sync.WaitGroup
	for range 4 {
		workers.Go(func() {
			for {
				item, shutdown := q.Get()
				if shutdown {
					return
				}
				mu.Lock()
				if inFlight[item] {
					shared = append(shared, item)
				}
				inFlight[item] = true
				addedSince[item] = false
				mu.Unlock()

				runtime.Gosched() // let other workers run while this one holds the item
				mu.Lock()
				inFlight[item] = false
				mu.Unlock()
				q.Done(item)
			}
		})
	}

	var producers sync.WaitGroup
	for p := range 2 {
		producers.Go(func() {
			for round := range 50 {
				for i, item := range items {
					if (i+round+p)%3 == 0 {
						continue
					}
					mu.Lock()
					addedSince[item] = true
					mu.Unlock()
					q.Add(item)
				}
			}
		})
	}
	producers.Wait()

	g.Eventually(func(g Gomega) {
		mu.Lock()
		defer mu.Unlock()
		for _, item := range items {
			g.Expect(addedSince[item]).To(BeFalse(), "%s waits to be processed", item)
			g.Expect(inFlight[item]).To(BeFalse())
		}
	}).WithTimeout(10 * time.Second).Should(Succeed())
	q.ShutDown()
	workers.Wait()
	g.Expect(shared).To(BeEmpty())
}

func TestAddAfter(t *testing.T) {
	g := NewWithT(t)
	q, clk := newTestQueue(t)

	q.AddAfter(req("a/later"), 2*time.Hour)
	q.AddAfter(req("a/x"), time.Hour)
	q.AddAfter(req("a/x"), time.Minute) // the soonest wins
	q.AddAfter(req("b/y"), 2*time.Minute)
	q.AddAfter(req("b/y"), time.Hour) // a later time does not delay it
	g.Expect(q.Len()).To(BeZero(), "nothing is ready before its time")

	waitReady(g, q, clk)
	process(g, q, "a/x")

	waitReady(g, q, clk)
	process(g, q, "b/y")

	// Had the hour-long waits of x or y been kept, they would come first.
	clk.Step(2 * time.Hour)
	waitReady(g, q, clk)
	process(g, q, "a/later")
	g.Expect(q.Len()).To(BeZero())
}

func TestAddRateLimited(t *testing.T) {
	g := NewWithT(t)
	q, clk := newTestQueue(t)
	x := req("a/x")

	q.Add(x)
	for failure := 1; failure <= 3; failure++ {
		g.Expect(get(g, q)).To(Equal(x))
		q.AddRateLimited(x) // the reconcile failed
		q.Done(x)
		g.Expect(q.NumRequeues(x)).To(Equal(failure))
		g.Expect(q.Len()).To(BeZero(), "a failed item waits out its backoff")
		waitReady(g, q, clk)
	}

	g.Expect(get(g, q)).To(Equal(x))
	q.Forget(x) // the reconcile succeeded
	q.Done(x)
	g.Expect(q.NumRequeues(x)).To(BeZero())
}

func TestShutDown(t *testing.T) {
	g := NewWithT(t)
	q, _ := newTestQueue(t)

	// A waiting worker is released.
	released := make(chan bool, 1)
	go func() {
		_, shutdown := q.Get()
		released <- shutdown
	}()
	g.Consistently(released).WithTimeout(50 * time.Millisecond).ShouldNot(Receive())
	q.ShutDown()
	g.Eventually(released).Should(Receive(BeTrue()))
	g.Expect(q.ShuttingDown()).To(BeTrue())

	// New items are ignored.
	q.Add(req("a/x"))
	q.AddAfter(req("a/y"), time.Second)
	q.AddRateLimited(req("a/z"))
	g.Expect(q.Len()).To(BeZero())
}

func TestShutDownHandsOutQueuedItems(t *testing.T) {
	g := NewWithT(t)
	q, _ := newTestQueue(t)

	q.Add(req("a/1"))
	q.Add(req("a/2"))
	q.Add(req("b/1"))
	q.ShutDown()

	var got []reconcile.Request
	for {
		item, shutdown := q.Get()
		if shutdown {
			break
		}
		got = append(got, item)
		q.Done(item)
	}
	g.Expect(got).To(Equal([]reconcile.Request{req("a/1"), req("b/1"), req("a/2")}))
}

func TestShutDownWithDrainWaitsForItemsInFlight(t *testing.T) {
	g := NewWithT(t)
	q, _ := newTestQueue(t)

	q.Add(req("a/x"))
	g.Expect(get(g, q)).To(Equal(req("a/x")))

	drained := make(chan struct{})
	go func() {
		q.ShutDownWithDrain()
		close(drained)
	}()
	g.Eventually(q.ShuttingDown).Should(BeTrue())
	g.Consistently(drained).WithTimeout(100 * time.Millisecond).ShouldNot(BeClosed())

	q.Done(req("a/x"))
	g.Eventually(drained).Should(BeClosed())
	_, shutdown := q.Get()
	g.Expect(shutdown).To(BeTrue())
}
