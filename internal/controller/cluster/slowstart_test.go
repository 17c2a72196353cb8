package cluster

import (
	"errors"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
)

func TestSlowStart(t *testing.T) {
	g := NewWithT(t)

	// Batches double up to the bound, and every index is created once.
	var mu sync.Mutex
	seen := map[int]int{}
	ours, err := slowStart(40, func(i int) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		seen[i]++
		return i%10 != 3, nil // a name held by another cluster is not ours
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ours).To(Equal(36))
	g.Expect(seen).To(HaveLen(40))
	for i, n := range seen {
		g.Expect(n).To(Equal(1), "index %d", i)
	}

	// A failure stops after its batch: the first create's failure after one call.
	calls := 0
	ours, err = slowStart(40, func(int) (bool, error) { calls++; return false, errors.New("quota exceeded") })
	g.Expect(err).To(MatchError(ContainSubstring("quota exceeded")))
	g.Expect(ours).To(Equal(0))
	g.Expect(calls).To(Equal(1))

	// A failure in the third batch (indices 3-6) stops there: 7 calls, 6 created.
	mu.Lock()
	calls = 0
	mu.Unlock()
	ours, err = slowStart(40, func(i int) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if i == 4 {
			return false, errors.New("webhook down")
		}
		return true, nil
	})
	g.Expect(err).To(HaveOccurred())
	g.Expect(calls).To(Equal(7))
	g.Expect(ours).To(Equal(6))
}
