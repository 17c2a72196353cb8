// Package tenants measures how well teams are kept apart on one platform
// (`kumo bench tenants`): it starts a fresh full-fidelity `kumo up`, admits
// teams, and times one team's cluster create while another team bursts
// creates or floods the management API, then races creates against a quota.
package tenants

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/kumo-dev/kumo/internal/bench"
)

// Options tune one run.
type Options struct {
	// Kumo is the kumo binary that runs the platform.
	Kumo string
	// DataDir is the platform's data directory; "" makes a temporary one,
	// removed afterwards unless Keep.
	DataDir string
	Keep    bool
	// IdleSamples is how many creates on the idle platform are timed; the
	// median is the baseline of the ratios.
	IdleSamples int
	// Burst is how many clusters alice creates at once.
	Burst int
	// Storm is how long alice floods the management API, at least;
	// StormConnections over how many connections.
	Storm            time.Duration
	StormConnections int
	// QuotaRaceCreates creates race against a team's limit of
	// QuotaRaceLimit clusters.
	QuotaRaceCreates, QuotaRaceLimit int
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
}

// Result is what `kumo bench tenants` reports; the JSON keys are its output.
// Every create is bob's 3-node cluster, timed from the create request until
// it is Ready with its 3 nodes, as `kumoctl cluster create --wait` sees it.
type Result struct {
	NodesPerCluster          int       `json:"nodesPerCluster"`
	IdleCreateSeconds        float64   `json:"idleCreateSeconds"`
	IdleCreateSamplesSeconds []float64 `json:"idleCreateSamplesSeconds"`
	// Burst: bob creates right after alice's burst was accepted.
	BurstSize            int     `json:"burstSize"`
	BurstCreateSeconds   float64 `json:"burstCreateSeconds"`
	BurstRatio           float64 `json:"burstRatio"`
	BurstAllReadySeconds float64 `json:"burstAllReadySeconds"`
	// Storm: alice lists clusters as fast as the API answers; bob creates.
	StormSeconds           float64 `json:"stormSeconds"`
	StormConnections       int     `json:"stormConnections"`
	StormCreateSeconds     float64 `json:"stormCreateSeconds"`
	StormRatio             float64 `json:"stormRatio"`
	StormRequests          int64   `json:"stormRequests"`
	StormRequestsPerSecond float64 `json:"stormRequestsPerSecond"`
	Storm429s              int64   `json:"storm429s"`
	StormErrors            int64   `json:"stormErrors"`
	OtherTeam429s          int64   `json:"otherTeam429s"`
	// Quota race: concurrent creates against a team's cluster limit.
	QuotaRaceCreates     int `json:"quotaRaceCreates"`
	QuotaRaceLimit       int `json:"quotaRaceLimit"`
	QuotaRaceAdmitted    int `json:"quotaRaceAdmitted"`
	QuotaRaceRefused     int `json:"quotaRaceRefused"`
	QuotaRaceBeyondLimit int `json:"quotaRaceBeyondLimit"`
}

// nodes is the size of every timed cluster, as in issue #15's measurements.
const nodes = 3

func (o *Options) defaults() error {
	if o.Burst < 1 || o.StormConnections < 1 {
		return fmt.Errorf("--burst and --storm-connections must be at least 1")
	}
	if o.Storm <= 0 {
		return fmt.Errorf("--storm-seconds must be positive")
	}
	if o.IdleSamples < 1 {
		o.IdleSamples = 3
	}
	if o.QuotaRaceLimit < 1 {
		o.QuotaRaceLimit = 2
	}
	if o.QuotaRaceCreates <= o.QuotaRaceLimit {
		o.QuotaRaceCreates = o.QuotaRaceLimit + 3
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// Run starts a platform, measures it and stops it.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	s := bench.Setup{Name: "tenants", Kumo: o.Kumo, DataDir: o.DataDir, Keep: o.Keep, Progress: o.Progress}
	return bench.Run(ctx, s, func(p *bench.Platform) (*Result, error) {
		return (&run{o: o, p: p}).measure(ctx)
	})
}

type run struct {
	o                 Options
	p                 *bench.Platform
	alice, bob, carol *team
	version, region   string
}

func (r *run) measure(ctx context.Context) (*Result, error) {
	o := r.o
	var err error
	if r.alice, err = addTeam(ctx, r.p.Dir, "team-a", "alice", nil); err != nil {
		return nil, err
	}
	if r.bob, err = addTeam(ctx, r.p.Dir, "team-b", "bob", nil); err != nil {
		return nil, err
	}
	limit := int64(o.QuotaRaceLimit)
	if r.carol, err = addTeam(ctx, r.p.Dir, "team-c", "carol", &limit); err != nil {
		return nil, err
	}
	if r.version, r.region, err = r.bob.defaults(ctx); err != nil {
		return nil, err
	}
	r.say("Teams: alice (team-a), bob (team-b), carol (team-c, at most %d clusters); clusters of Kubernetes %s in %s", limit, r.version, r.region)

	res := &Result{NodesPerCluster: nodes, BurstSize: o.Burst, StormConnections: o.StormConnections,
		QuotaRaceCreates: o.QuotaRaceCreates, QuotaRaceLimit: o.QuotaRaceLimit}
	if err := r.idle(ctx, res); err != nil {
		return nil, err
	}
	if err := r.burst(ctx, res); err != nil {
		return nil, err
	}
	if err := r.storm(ctx, res); err != nil {
		return nil, err
	}
	if err := r.quotaRace(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// idle times bob's creates on a platform that does nothing else.
func (r *run) idle(ctx context.Context, res *Result) error {
	for i := range r.o.IdleSamples {
		d, err := r.bob.createAndWait(ctx, fmt.Sprintf("idle-%d", i+1), r.spec(nodes))
		if err != nil {
			return err
		}
		res.IdleCreateSamplesSeconds = append(res.IdleCreateSamplesSeconds, d.Seconds())
		r.say("Idle create %d/%d: %.1f s", i+1, r.o.IdleSamples, d.Seconds())
		if err := r.deleteAll(ctx); err != nil {
			return err
		}
	}
	res.IdleCreateSeconds = median(res.IdleCreateSamplesSeconds)
	return nil
}

// burst has alice create o.Burst clusters at once and bob one right after
// they were accepted.
func (r *run) burst(ctx context.Context, res *Result) error {
	n := r.o.Burst
	start := time.Now()
	if err := bench.Parallel(ctx, n, n, func(i int) error {
		return r.alice.create(ctx, fmt.Sprintf("burst-%d", i+1), r.spec(nodes))
	}); err != nil {
		return err
	}
	r.say("Burst: alice's %d creates accepted in %.1f s; bob creates", n, time.Since(start).Seconds())
	allReady := make(chan error, 1)
	go func() {
		allReady <- r.alice.waitAllReady(ctx, n, 15*time.Minute)
	}()
	d, err := r.bob.createAndWait(ctx, "burst", r.spec(nodes))
	if err != nil {
		return err
	}
	res.BurstCreateSeconds = d.Seconds()
	res.BurstRatio = d.Seconds() / res.IdleCreateSeconds
	r.say("Burst: bob's create %.1f s (%.2fx idle)", d.Seconds(), res.BurstRatio)
	if err := <-allReady; err != nil {
		return err
	}
	res.BurstAllReadySeconds = time.Since(start).Seconds()
	r.say("Burst: alice's %d clusters Ready in %.1f s", n, res.BurstAllReadySeconds)
	return r.deleteAll(ctx)
}

// storm has alice flood the management API with lists while bob creates.
// The storm lasts o.Storm, or until bob's cluster is Ready if that takes
// longer; bob starts once it has run a moment (a tenth of it, at most 2 s).
func (r *run) storm(ctx context.Context, res *Result) error {
	s, err := startStorm(ctx, r.alice, r.o.StormConnections)
	if err != nil {
		return err
	}
	end := time.Now().Add(r.o.Storm)
	r.say("Storm: alice lists clusters over %d connections for %s", r.o.StormConnections, r.o.Storm)
	bob429s := r.bob.throttled.Load()
	err = bench.Sleep(ctx, min(2*time.Second, r.o.Storm/10))
	var d time.Duration
	if err == nil {
		d, err = r.bob.createAndWait(ctx, "storm", r.spec(nodes))
	}
	if err == nil {
		err = bench.Sleep(ctx, time.Until(end))
	}
	st := s.stop()
	if err != nil {
		return err
	}
	res.StormSeconds = st.seconds
	res.StormRequests, res.Storm429s, res.StormErrors = st.requests, st.throttled, st.errors
	res.StormRequestsPerSecond = float64(st.requests) / st.seconds
	res.StormConnections = st.connections
	res.StormCreateSeconds = d.Seconds()
	res.StormRatio = d.Seconds() / res.IdleCreateSeconds
	res.OtherTeam429s = r.bob.throttled.Load() - bob429s
	r.say("Storm: %d requests in %.1f s (%.0f/s), %d answered 429, %d failed; bob's create %.1f s (%.2fx idle), %d 429s",
		st.requests, st.seconds, res.StormRequestsPerSecond, st.throttled, st.errors, d.Seconds(), res.StormRatio, res.OtherTeam429s)
	if st.lastError != nil {
		r.say("Storm: last failure: %v", st.lastError)
	}
	return r.deleteAll(ctx)
}

// deleteAll deletes every team's clusters and waits until they and their
// control-plane processes are gone, so that the next phase starts idle.
func (r *run) deleteAll(ctx context.Context) error {
	teams := []*team{r.alice, r.bob, r.carol}
	for _, t := range teams {
		if err := t.deleteAll(ctx); err != nil {
			return err
		}
	}
	return bench.Poll(ctx, 5*time.Minute, "deleted clusters and their processes to be gone", func() (bool, error) {
		for _, t := range teams {
			if n, err := t.count(ctx); err != nil || n > 0 {
				return false, nil // a passing API error: keep waiting
			}
		}
		return r.p.TenantProcesses() == 0, nil
	})
}

func (r *run) say(format string, args ...any) {
	_, _ = fmt.Fprintf(r.o.Progress, format+"\n", args...)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
