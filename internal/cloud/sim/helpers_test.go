package sim_test

import (
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// newCloud returns a cloud with the given regions already ensured, in name
// order so that their address ranges are predictable (10.10, 10.11, ...).
func newCloud(t *testing.T, opts sim.Options, regions map[string]sim.RegionConfig) *sim.Cloud {
	t.Helper()
	g := NewWithT(t)
	c, err := sim.New(opts)
	g.Expect(err).NotTo(HaveOccurred())
	for _, name := range slices.Sorted(maps.Keys(regions)) {
		g.Expect(c.EnsureRegion(name, regions[name])).To(Succeed())
	}
	return c
}

// small is a region of hypervisors with 2 cores (8 vCPUs at 4x) and 16 GiB each.
func small(hypervisors int32) sim.RegionConfig {
	return sim.RegionConfig{Hypervisors: hypervisors, Cores: 2, MemoryGiB: 16, CPUOvercommitRatio: 4}
}

// clock is a settable clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
