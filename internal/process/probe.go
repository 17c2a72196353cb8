package process

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Kind is a kind of component Kumo runs; each has one set of probes.
type Kind string

// The component kinds Kumo supervises.
const (
	Etcd                  Kind = "etcd"
	KubeAPIServer         Kind = "kube-apiserver"
	KubeControllerManager Kind = "kube-controller-manager"
	KubeScheduler         Kind = "kube-scheduler"
)

// Probe is one HTTP(S) health check with the kubelet's knobs, so that a
// pod runtime can render it as a corev1.Probe: GET Path every Period, a
// check that takes longer than Timeout fails, and FailureThreshold
// failures in a row make the probe fail.
type Probe struct {
	Path             string
	Period           time.Duration
	Timeout          time.Duration
	FailureThreshold int
}

// Window is how long a probe fails before it counts as failed: the
// detection time of a hung component.
func (p Probe) Window() time.Duration { return time.Duration(p.FailureThreshold) * p.Period }

// Probes are a component's checks, as the kubelet has them. Startup runs
// until the component is first live and bounds how long it may take to
// start (Startup.Window()); then Liveness decides whether it must be
// killed and started again, and Readiness whether it serves.
type Probes struct {
	Startup, Liveness, Readiness Probe
}

// Tenant control planes start gated (a few at once), but an API server on
// a loaded two-core machine can take a minute before it answers.
var (
	startup = Probe{Period: time.Second, Timeout: 2 * time.Second, FailureThreshold: 180}
	// A hung component is killed after 3 failed checks 5 s apart: 15 s.
	// The kubelet's defaults (10 s, threshold 3) are close; kubeadm's API
	// server probe (10 s x 8) would miss the 60 s recovery target.
	live  = Probe{Period: 5 * time.Second, Timeout: 3 * time.Second, FailureThreshold: 3}
	ready = Probe{Period: 5 * time.Second, Timeout: 3 * time.Second, FailureThreshold: 1}
)

func probes(livePath, readyPath string) Probes {
	s, l, r := startup, live, ready
	s.Path, l.Path, r.Path = livePath, livePath, readyPath
	return Probes{Startup: s, Liveness: l, Readiness: r}
}

// probeDefs is the one definition of each component's probes. An API
// server's /livez checks etcd: excluded, since a hung etcd would otherwise
// get every API server killed, which mends nothing (OpenShift does the
// same); a slow etcd makes them unready, not dead. Controller-manager and
// scheduler only have /healthz.
var probeDefs = map[Kind]Probes{
	Etcd:                  probes("/livez", "/readyz"),
	KubeAPIServer:         probes("/livez?exclude=etcd", "/readyz"),
	KubeControllerManager: probes("/healthz", "/healthz"),
	KubeScheduler:         probes("/healthz", "/healthz"),
}

// ProbesFor returns the probes of a component kind.
func ProbesFor(k Kind) (Probes, error) {
	p, ok := probeDefs[k]
	if !ok {
		return Probes{}, fmt.Errorf("no probes for component kind %q", k)
	}
	return p, nil
}

// Health says where a supervisor finds a component's probe paths.
type Health struct {
	Probes Probes
	// BaseURL is the component's health server, e.g. https://127.0.0.1:6443.
	BaseURL string
	// TLS configures HTTPS checks (nil: the defaults).
	TLS *tls.Config
}

// checker runs the HTTP checks of one Health.
type checker struct {
	base   string
	client *http.Client
}

func newChecker(h *Health) *checker {
	tr := &http.Transport{TLSClientConfig: h.TLS, DisableKeepAlives: true}
	return &checker{base: h.BaseURL, client: &http.Client{Transport: tr}}
}

// check does one probe: nil when the component answers 200 in time.
func (c *checker) check(ctx context.Context, p Probe) error {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+p.Path, nil)
	if err != nil {
		return err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("GET %s: no answer within %s", p.Path, p.Timeout)
		}
		return fmt.Errorf("GET %s: %w", p.Path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", p.Path, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
