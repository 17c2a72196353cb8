package tenants

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// streamsPerConnection is how many requests each storm connection carries
// at once (HTTP/2 streams).
const streamsPerConnection = 4

// storm is a team listing its clusters as fast as the management API
// answers: connections of its own (one transport each, so one HTTP/2
// connection each), no client-side rate limit, no retries, every answer
// read and dropped.
type storm struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	clients []*http.Client
	start   time.Time
	dials   atomic.Int64
	// requests answered; throttled of them 429; errors failed otherwise.
	requests, throttled, errors atomic.Int64
	mu                          sync.Mutex
	lastError                   error
}

// stormStats is what a storm did.
type stormStats struct {
	seconds                     float64
	connections                 int
	requests, throttled, errors int64
	lastError                   error
}

// startStorm opens the connections, one request each, and starts the
// flood on them.
func startStorm(ctx context.Context, t *team, connections int) (*storm, error) {
	tlsConfig, err := rest.TLSConfigFor(t.cfg)
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("%s/apis/%s/namespaces/%s/clusters", t.cfg.Host, kumov1.GroupVersion, t.namespace)
	ctx, cancel := context.WithCancel(ctx)
	s := &storm{cancel: cancel}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	clients := make([]*http.Client, connections)
	for i := range clients {
		clients[i] = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			TLSClientConfig: tlsConfig.Clone(), ForceAttemptHTTP2: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				s.dials.Add(1)
				return dialer.DialContext(ctx, network, addr)
			},
		}}
		// One request first, so that the streams after it share the
		// connection it opened rather than racing to dial their own.
		if err := s.list(ctx, clients[i], url); err != nil {
			cancel()
			return nil, fmt.Errorf("opening storm connection %d: %w", i+1, err)
		}
	}
	s.requests.Store(0)
	s.throttled.Store(0)
	s.clients = clients
	s.start = time.Now()
	for _, hc := range clients {
		for range streamsPerConnection {
			s.wg.Go(func() {
				for ctx.Err() == nil {
					if err := s.list(ctx, hc, url); err != nil && ctx.Err() == nil {
						s.errors.Add(1)
						s.mu.Lock()
						s.lastError = err
						s.mu.Unlock()
					}
				}
			})
		}
	}
	return s, nil
}

// list sends one list and counts its answer.
func (s *storm) list(ctx context.Context, hc *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		s.requests.Add(1)
	case http.StatusTooManyRequests:
		s.requests.Add(1)
		s.throttled.Add(1)
	default:
		return fmt.Errorf("list %s: %s", url, resp.Status)
	}
	return nil
}

// stop ends the storm and says what it did.
func (s *storm) stop() stormStats {
	st := stormStats{seconds: time.Since(s.start).Seconds(), requests: s.requests.Load(), throttled: s.throttled.Load(), errors: s.errors.Load()}
	s.cancel()
	s.wg.Wait()
	for _, hc := range s.clients {
		hc.CloseIdleConnections()
	}
	st.connections = int(s.dials.Load())
	s.mu.Lock()
	st.lastError = s.lastError
	s.mu.Unlock()
	return st
}
