package sim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

func TestRateLimit(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	clk := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newCloud(t, sim.Options{Now: clk.Now, RateLimit: sim.RateLimit{QPS: 2, Burst: 3}}, map[string]sim.RegionConfig{"r": small(1)})
	create := func() error {
		_, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
		return err
	}
	for range 3 {
		g.Expect(create()).To(Succeed(), "the burst")
	}
	err := create()
	g.Expect(cloud.IsRateLimited(err)).To(BeTrue())
	g.Expect(err).To(MatchError("too many API calls: the limit is 2 per second (burst 3); retry after 500ms"))
	g.Expect(cloud.RetryAfter(err)).To(Equal(500 * time.Millisecond))
	hvs, err := c.Hypervisors("r") // not an API call: not limited
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(hvs[0].Servers).To(BeEquivalentTo(3), "a refused create creates nothing")

	clk.Step(499 * time.Millisecond)
	g.Expect(cloud.RetryAfter(create())).To(Equal(time.Millisecond), "a refused call takes no token")
	clk.Step(time.Millisecond)
	g.Expect(create()).To(Succeed())
	g.Expect(c.RateLimited()).To(Equal(2))

	// Every API call counts.
	calls := map[string]func() error{
		"CreateServer": create,
		"DeleteServer": func() error { return c.DeleteServer(ctx, "r", "x") },
		"GetServer":    func() error { _, err := c.GetServer(ctx, "r", "x"); return err },
		"ListServers":  func() error { _, err := c.ListServers(ctx, "r", nil); return err },
		"Capacity":     func() error { _, err := c.Capacity(ctx, "r"); return err },
		"Flavors":      func() error { _, err := c.Flavors(ctx, "r"); return err },
	}
	for name, call := range calls {
		g.Expect(cloud.IsRateLimited(call())).To(BeTrue(), name)
	}

	// A refused call does not use up an injected fault.
	boom := errors.New("boom")
	c.FailNext(sim.OpCreate, 1, boom)
	g.Expect(cloud.IsRateLimited(create())).To(BeTrue())
	clk.Step(time.Second)
	g.Expect(create()).To(MatchError(boom))

	c.SetRateLimit(sim.RateLimit{})
	for range 20 {
		_, err := c.Flavors(context.Background(), "r")
		g.Expect(err).NotTo(HaveOccurred(), "the zero limit is no limit")
	}
}
