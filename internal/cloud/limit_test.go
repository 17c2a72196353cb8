package cloud_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud"
)

// counter is a Provider that only counts its calls.
type counter struct{ calls atomic.Int32 }

func (c *counter) CreateServer(context.Context, string, cloud.CreateRequest) (*cloud.Server, error) {
	c.calls.Add(1)
	return &cloud.Server{}, nil
}

func (c *counter) DeleteServer(context.Context, string, string) error {
	c.calls.Add(1)
	return nil
}

func (c *counter) GetServer(context.Context, string, string) (*cloud.Server, error) {
	c.calls.Add(1)
	return &cloud.Server{}, nil
}

func (c *counter) ListServers(context.Context, string, map[string]string) ([]cloud.Server, error) {
	c.calls.Add(1)
	return nil, nil
}

func (c *counter) Capacity(context.Context, string) (*cloud.Capacity, error) {
	c.calls.Add(1)
	return &cloud.Capacity{}, nil
}

func (c *counter) Flavors(context.Context, string) ([]cloud.Flavor, error) {
	c.calls.Add(1)
	return nil, nil
}

func TestLimitPaces(t *testing.T) {
	g := NewWithT(t)
	p := &counter{}
	limited := cloud.Limit(p, 100, 5)
	start := time.Now()
	for range 25 {
		_, err := limited.GetServer(t.Context(), "r", "id")
		g.Expect(err).NotTo(HaveOccurred())
	}
	// 5 at once, then 20 more at 100 per second.
	g.Expect(time.Since(start)).To(BeNumerically(">=", 195*time.Millisecond))
	g.Expect(p.calls.Load()).To(BeEquivalentTo(25))
}

// TestLimitWaitsInEveryCall: with the one token of the bucket taken, each
// call waits, and gives up without calling the cloud when its context ends.
func TestLimitWaitsInEveryCall(t *testing.T) {
	calls := map[string]func(ctx context.Context, p cloud.Provider) error{
		"CreateServer": func(ctx context.Context, p cloud.Provider) error {
			_, err := p.CreateServer(ctx, "r", cloud.CreateRequest{})
			return err
		},
		"DeleteServer": func(ctx context.Context, p cloud.Provider) error { return p.DeleteServer(ctx, "r", "id") },
		"GetServer": func(ctx context.Context, p cloud.Provider) error {
			_, err := p.GetServer(ctx, "r", "id")
			return err
		},
		"ListServers": func(ctx context.Context, p cloud.Provider) error {
			_, err := p.ListServers(ctx, "r", nil)
			return err
		},
		"Capacity": func(ctx context.Context, p cloud.Provider) error {
			_, err := p.Capacity(ctx, "r")
			return err
		},
		"Flavors": func(ctx context.Context, p cloud.Provider) error {
			_, err := p.Flavors(ctx, "r")
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			p := &counter{}
			limited := cloud.Limit(p, 0.001, 1) // a token every 1,000 s
			g.Expect(call(t.Context(), limited)).To(Succeed())

			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(20*time.Millisecond, cancel)
			err := call(ctx, limited)
			g.Expect(err).To(MatchError(context.Canceled))
			g.Expect(err).To(MatchError(ContainSubstring("waiting for the cloud API rate limit (0.001 calls/s)")))

			ctx, cancel = context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			g.Expect(call(ctx, limited)).To(MatchError(ContainSubstring("would exceed context deadline")), "no use waiting")
			g.Expect(p.calls.Load()).To(BeEquivalentTo(1))
		})
	}
}

func TestLimitOff(t *testing.T) {
	g := NewWithT(t)
	p := &counter{}
	g.Expect(cloud.Limit(p, 0, 10)).To(BeIdenticalTo(p))
}

func TestRetryAfter(t *testing.T) {
	tests := map[string]struct {
		// err is the error as a caller gets it.
		err error
		// rateLimited and after are what IsRateLimited and RetryAfter say.
		rateLimited bool
		after       time.Duration
	}{
		"refused, wrapped twice": {
			err:         fmt.Errorf("creating server: %w", cloud.WithRetryAfter(fmt.Errorf("compute: %w", cloud.ErrRateLimited), 2*time.Second)),
			rateLimited: true, after: 2 * time.Second,
		},
		"refused without a hint": {err: cloud.ErrRateLimited, rateLimited: true},
		"another error":          {err: errors.New("boom")},
		"no error":               {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(cloud.IsRateLimited(tc.err)).To(Equal(tc.rateLimited))
			g.Expect(cloud.RetryAfter(tc.err)).To(Equal(tc.after))
		})
	}
}
