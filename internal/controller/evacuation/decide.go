package evacuation

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// Defaults of a Region's spec.evacuation (the API server defaults them;
// these cover objects written before the defaults).
const (
	DefaultStealPercent = 20
	DefaultFor          = 5 * time.Minute
	DefaultMaxPerHour   = 10
	DefaultCooldown     = 10 * time.Minute
	// DefaultMaxAge is how old a sample may be and still count: twice
	// Prometheus' usual scrape and rule interval, and some.
	DefaultMaxAge = 2 * time.Minute
)

// Policy is a Region's spec.evacuation with the defaults filled in.
type Policy struct {
	Enabled, DryRun bool
	// Threshold is the steal ratio (0..1) above which a node suffers.
	Threshold                           float64
	For, Cooldown, MaxAge               time.Duration
	MaxConcurrentPerCluster, MaxPerHour int
}

// PolicyOf reads a Region's policy; nil is disabled.
func PolicyOf(p *kumov1.EvacuationPolicy, maxAge time.Duration) Policy {
	out := Policy{
		Threshold: DefaultStealPercent / 100.0, For: DefaultFor, Cooldown: DefaultCooldown,
		MaxAge: cmp.Or(maxAge, DefaultMaxAge), MaxConcurrentPerCluster: 1, MaxPerHour: DefaultMaxPerHour,
	}
	if p == nil {
		return out
	}
	out.Enabled, out.DryRun = p.Enabled, p.DryRun
	if p.StealPercent > 0 {
		out.Threshold = float64(p.StealPercent) / 100
	}
	if p.For != nil {
		out.For = p.For.Duration
	}
	if p.Cooldown != nil {
		out.Cooldown = p.Cooldown.Duration
	}
	if p.MaxConcurrentPerCluster > 0 {
		out.MaxConcurrentPerCluster = int(p.MaxConcurrentPerCluster)
	}
	if p.MaxPerHour > 0 {
		out.MaxPerHour = int(p.MaxPerHour)
	}
	return out
}

// Candidate is a node that may move: a Running Machine of the region that
// no evacuation holds.
type Candidate struct {
	// Cluster is "namespace/name"; Machine the Machine's name.
	Cluster, Machine string
	// Hypervisor is where the Machine's status says it runs.
	Hypervisor string
	// Sample is the VM's latest steal; nil: none.
	Sample *Sample
	// Since is when its steal went above the threshold as recorded (zero: not).
	Since time.Time
}

// ClusterState is what limits a cluster's evacuations.
type ClusterState struct {
	OptedOut, Migrating bool
	// InFlight counts its evacuations under way; LastStarted is when the
	// latest started.
	InFlight    int
	LastStarted time.Time
}

// Input is everything a decision depends on.
type Input struct {
	Now        time.Time
	Policy     Policy
	Candidates []Candidate
	Clusters   map[string]ClusterState
	// StartedLastHour counts the region's evacuations started in the hour before Now.
	StartedLastHour int
}

// Verdict is what becomes of a node that suffered for the window (or whose
// data went stale while it suffered).
type Verdict string

const (
	Evacuate         Verdict = "evacuate"
	WouldEvacuate    Verdict = "dry_run"
	HoldOptedOut     Verdict = "held_opted_out"
	HoldMigrating    Verdict = "held_migrating"
	HoldClusterLimit Verdict = "held_cluster_limit"
	HoldCooldown     Verdict = "held_cooldown"
	HoldRegionLimit  Verdict = "held_region_limit"
	HoldStaleData    Verdict = "held_stale_data"
)

// Decision is one verdict on one candidate.
type Decision struct {
	Candidate
	Verdict Verdict
	// Steal is the sample's steal (the last one known, for stale data).
	Steal float64
	// Message says why, for the event on the Cluster.
	Message string
}

// Result is what to write and do.
type Result struct {
	// Since holds the new Since of every candidate whose record changes
	// (zero: clear it).
	Since map[string]time.Time
	// Decisions, oldest suffering first.
	Decisions []Decision
}

// Decide tracks each candidate's window and decides, within the limits,
// which of those that suffered for the whole window move: the oldest
// suffering first, so that a storm moves the longest sufferers and the
// rest wait for the next hour. Missing or stale data clears a window and,
// where one was open, holds the node back with a decision that says so.
func Decide(in Input) Result {
	p := in.Policy
	res := Result{Since: map[string]time.Time{}}
	var due []Decision
	for _, c := range in.Candidates {
		key := c.Cluster + "/" + c.Machine
		fresh := c.Sample != nil && in.Now.Sub(c.Sample.At) <= p.MaxAge
		since := c.Since
		switch {
		case !fresh:
			since = time.Time{}
			if !c.Since.IsZero() {
				d := Decision{Candidate: c, Verdict: HoldStaleData}
				msg := "no steal data"
				if c.Sample != nil {
					d.Steal = c.Sample.Steal
					msg = fmt.Sprintf("its latest steal figure (%.0f%%) is %s old", 100*c.Sample.Steal, in.Now.Sub(c.Sample.At).Round(time.Second))
				}
				d.Message = fmt.Sprintf("Not evacuating node %s on hypervisor %s: %s; no action on stale or missing data", c.Machine, c.Hypervisor, msg)
				res.Decisions = append(res.Decisions, d)
			}
		case c.Sample.Steal > p.Threshold:
			if since.IsZero() {
				since = in.Now
			}
		default:
			since = time.Time{}
		}
		if !since.Equal(c.Since) {
			res.Since[key] = since
		}
		c.Since = since
		if !since.IsZero() && in.Now.Sub(since) >= p.For {
			due = append(due, Decision{Candidate: c, Steal: c.Sample.Steal})
		}
	}
	slices.SortStableFunc(due, func(a, b Decision) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Cluster, b.Cluster), cmp.Compare(a.Machine, b.Machine))
	})
	clusters := map[string]ClusterState{}
	for k, v := range in.Clusters {
		clusters[k] = v
	}
	started := in.StartedLastHour
	for _, d := range due {
		cs := clusters[d.Cluster]
		what := fmt.Sprintf("node %s on hypervisor %s has lost %.0f%% of its CPU to steal for %s (threshold %.0f%%)",
			d.Machine, d.Hypervisor, 100*d.Steal, in.Now.Sub(d.Since).Round(time.Second), 100*p.Threshold)
		switch {
		case cs.OptedOut:
			d.Verdict, d.Message = HoldOptedOut, "Not evacuating: "+what+"; the cluster opted out (spec.evacuation.enabled: false)"
		case cs.Migrating:
			d.Verdict, d.Message = HoldMigrating, "Not evacuating: "+what+"; a ClusterMigration holds the cluster's nodes"
		case cs.InFlight >= p.MaxConcurrentPerCluster:
			d.Verdict, d.Message = HoldClusterLimit, fmt.Sprintf("Not evacuating yet: %s; %d of the cluster's nodes are moving (maxConcurrentPerCluster %d)",
				what, cs.InFlight, p.MaxConcurrentPerCluster)
		case !cs.LastStarted.IsZero() && in.Now.Sub(cs.LastStarted) < p.Cooldown:
			d.Verdict, d.Message = HoldCooldown, fmt.Sprintf("Not evacuating yet: %s; the cluster's last evacuation started %s ago (cooldown %s)",
				what, in.Now.Sub(cs.LastStarted).Round(time.Second), p.Cooldown)
		case started >= p.MaxPerHour:
			d.Verdict, d.Message = HoldRegionLimit, fmt.Sprintf("Not evacuating yet: %s; %d evacuations started in the region in the last hour (maxPerHour %d)",
				what, started, p.MaxPerHour)
		case p.DryRun:
			d.Verdict, d.Message = WouldEvacuate, "Would evacuate (dry run): "+what
		default:
			d.Verdict, d.Message = Evacuate, "Evacuating: "+what+"; a replacement goes to another hypervisor first"
		}
		if d.Verdict == Evacuate || d.Verdict == WouldEvacuate {
			// A dry run counts what it would start, so that it shows
			// what the limits would let through.
			cs.InFlight++
			cs.LastStarted = in.Now
			clusters[d.Cluster] = cs
			started++
		}
		res.Decisions = append(res.Decisions, d)
	}
	return res
}
