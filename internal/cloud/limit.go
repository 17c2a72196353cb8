package cloud

import (
	"context"
	"fmt"

	"golang.org/x/time/rate"
)

// Limit paces calls to p: each call waits for a token of a bucket that
// holds burst tokens and refills at qps per second, or returns ctx's error
// if ctx ends first (or would end before the token comes). It keeps Kumo
// below the cloud's own API limit, so that a storm of reconciles queues in
// Kumo rather than being refused by the cloud. qps <= 0 returns p unpaced;
// burst < 1 counts as 1.
func Limit(p Provider, qps float64, burst int) Provider {
	if qps <= 0 {
		return p
	}
	return &limited{p: p, bucket: rate.NewLimiter(rate.Limit(qps), max(burst, 1))}
}

type limited struct {
	p      Provider
	bucket *rate.Limiter
}

var _ Provider = (*limited)(nil)

func (l *limited) wait(ctx context.Context) error {
	if err := l.bucket.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the cloud API rate limit (%g calls/s): %w", float64(l.bucket.Limit()), err)
	}
	return nil
}

func (l *limited) CreateServer(ctx context.Context, region string, req CreateRequest) (*Server, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	return l.p.CreateServer(ctx, region, req)
}

func (l *limited) DeleteServer(ctx context.Context, region, id string) error {
	if err := l.wait(ctx); err != nil {
		return err
	}
	return l.p.DeleteServer(ctx, region, id)
}

func (l *limited) GetServer(ctx context.Context, region, id string) (*Server, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	return l.p.GetServer(ctx, region, id)
}

func (l *limited) ListServers(ctx context.Context, region string, tags map[string]string) ([]Server, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	return l.p.ListServers(ctx, region, tags)
}

func (l *limited) Capacity(ctx context.Context, region string) (*Capacity, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	return l.p.Capacity(ctx, region)
}

func (l *limited) Flavors(ctx context.Context, region string) ([]Flavor, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	return l.p.Flavors(ctx, region)
}
