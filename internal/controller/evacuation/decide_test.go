package evacuation

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func policy() Policy {
	return PolicyOf(&kumov1.EvacuationPolicy{
		Enabled: true, StealPercent: 20, For: &metav1.Duration{Duration: time.Minute},
		MaxConcurrentPerCluster: 1, MaxPerHour: 3, Cooldown: &metav1.Duration{Duration: 10 * time.Minute},
	}, 30*time.Second)
}

// cand is a node of cluster c with steal st read at t0 and suffering since since.
func cand(c, m string, st float64, since time.Time) Candidate {
	return Candidate{Cluster: "team/" + c, Machine: m, Hypervisor: "hv-1", Sample: &Sample{Steal: st, Hypervisor: "hv-1", At: t0}, Since: since}
}

func verdicts(r Result) map[string]Verdict {
	out := map[string]Verdict{}
	for _, d := range r.Decisions {
		out[d.Machine] = d.Verdict
	}
	return out
}

func TestPolicyDefaults(t *testing.T) {
	p := PolicyOf(&kumov1.EvacuationPolicy{Enabled: true}, 0)
	if p.Threshold != 0.2 || p.For != 5*time.Minute || p.MaxConcurrentPerCluster != 1 || p.MaxPerHour != DefaultMaxPerHour ||
		p.Cooldown != DefaultCooldown || p.MaxAge != DefaultMaxAge || p.DryRun {
		t.Fatalf("defaults: %+v", p)
	}
	if PolicyOf(nil, 0).Enabled {
		t.Fatal("no policy must be disabled")
	}
}

func TestThresholdAndWindow(t *testing.T) {
	in := Input{Now: t0, Policy: policy(), Candidates: []Candidate{
		cand("a", "below", 0.19, time.Time{}),             // at or below the threshold: nothing
		cand("a", "opens", 0.35, time.Time{}),             // above: the window opens now
		cand("b", "young", 0.35, t0.Add(-59*time.Second)), // window not yet over
		cand("c", "due", 0.35, t0.Add(-time.Minute)),      // window over
		cand("d", "fell", 0.05, t0.Add(-time.Hour)),       // fell below: window closes
	}}
	r := Decide(in)
	if got := r.Since["team/a/opens"]; !got.Equal(t0) {
		t.Errorf("window of opens = %v, want %v", got, t0)
	}
	if got, ok := r.Since["team/d/fell"]; !ok || !got.IsZero() {
		t.Errorf("window of fell = %v (%v), want cleared", got, ok)
	}
	if _, ok := r.Since["team/b/young"]; ok {
		t.Errorf("an open window must not be rewritten")
	}
	if _, ok := r.Since["team/a/below"]; ok {
		t.Errorf("no window must be written below the threshold")
	}
	want := map[string]Verdict{"due": Evacuate}
	if got := verdicts(r); len(got) != 1 || got["due"] != Evacuate {
		t.Fatalf("verdicts = %v, want %v", got, want)
	}
	d := r.Decisions[0]
	if d.Steal != 0.35 || d.Hypervisor != "hv-1" || !strings.Contains(d.Message, "hv-1") || !strings.Contains(d.Message, "35%") {
		t.Errorf("decision must name the hypervisor and the steal: %+v", d)
	}
}

func TestStaleAndMissingData(t *testing.T) {
	stale := cand("a", "stale", 0.9, t0.Add(-time.Hour))
	stale.Sample.At = t0.Add(-31 * time.Second)
	missing := cand("b", "missing", 0, t0.Add(-time.Hour))
	missing.Sample = nil
	quiet := cand("c", "quiet", 0, time.Time{})
	quiet.Sample = nil
	r := Decide(Input{Now: t0, Policy: policy(), Candidates: []Candidate{stale, missing, quiet}})
	got := verdicts(r)
	if got["stale"] != HoldStaleData || got["missing"] != HoldStaleData || len(got) != 2 {
		t.Fatalf("verdicts = %v, want stale and missing held, quiet without a decision", got)
	}
	for _, k := range []string{"team/a/stale", "team/b/missing"} {
		if s, ok := r.Since[k]; !ok || !s.IsZero() {
			t.Errorf("window of %s must close on stale data, got %v %v", k, s, ok)
		}
	}
	for _, d := range r.Decisions {
		if d.Verdict == Evacuate {
			t.Errorf("acted on stale data: %+v", d)
		}
	}
}

func TestLimits(t *testing.T) {
	long := t0.Add(-time.Hour)
	in := Input{Now: t0, Policy: policy(),
		Candidates: []Candidate{
			cand("out", "o-0", 0.5, long),
			cand("mig", "m-0", 0.5, long),
			cand("busy", "b-0", 0.5, long),
			cand("cool", "c-0", 0.5, long),
			cand("two", "t-0", 0.5, long),
			cand("two", "t-1", 0.5, long.Add(time.Second)),
		},
		Clusters: map[string]ClusterState{
			"team/out":  {OptedOut: true},
			"team/mig":  {Migrating: true},
			"team/busy": {InFlight: 1},
			"team/cool": {LastStarted: t0.Add(-9 * time.Minute)},
		},
	}
	got := verdicts(Decide(in))
	want := map[string]Verdict{
		"o-0": HoldOptedOut, "m-0": HoldMigrating, "b-0": HoldClusterLimit, "c-0": HoldCooldown,
		"t-0": Evacuate, "t-1": HoldClusterLimit, // one at a time per cluster: the older first
	}
	for m, v := range want {
		if got[m] != v {
			t.Errorf("%s: %s, want %s", m, got[m], v)
		}
	}
	// After the cooldown the cluster may move again.
	in.Clusters["team/cool"] = ClusterState{LastStarted: t0.Add(-10 * time.Minute)}
	if v := verdicts(Decide(in))["c-0"]; v != Evacuate {
		t.Errorf("after the cooldown: %s", v)
	}
}

// A whole region noisy at once: no more than maxPerHour start, the
// longest sufferers first, whatever order they are listed in.
func TestDecideStorm(t *testing.T) {
	var cs []Candidate
	for i := range 20 {
		// Listed newest first; node i suffers since i minutes after the oldest.
		n := 19 - i
		cs = append(cs, cand("c"+string(rune('a'+n)), "n-"+string(rune('a'+n)), 0.6, t0.Add(-time.Hour+time.Duration(n)*time.Minute)))
	}
	in := Input{Now: t0, Policy: policy(), Candidates: cs, StartedLastHour: 1}
	r := Decide(in)
	var moved []string
	held := 0
	for _, d := range r.Decisions {
		switch d.Verdict {
		case Evacuate:
			moved = append(moved, d.Machine)
		case HoldRegionLimit:
			held++
		default:
			t.Errorf("unexpected %s for %s", d.Verdict, d.Machine)
		}
	}
	if len(moved) != 2 || moved[0] != "n-a" || moved[1] != "n-b" || held != 18 {
		t.Fatalf("moved %v and held %d; want the 2 oldest (maxPerHour 3, 1 started this hour) and 18 held", moved, held)
	}
}

func TestDryRun(t *testing.T) {
	p := policy()
	p.DryRun = true
	long := t0.Add(-time.Hour)
	r := Decide(Input{Now: t0, Policy: p, Candidates: []Candidate{
		cand("a", "a-0", 0.5, long), cand("a", "a-1", 0.5, long.Add(time.Second)), cand("b", "b-0", 0.5, long.Add(2*time.Second)),
	}})
	got := verdicts(r)
	if got["a-0"] != WouldEvacuate || got["a-1"] != HoldClusterLimit || got["b-0"] != WouldEvacuate {
		t.Fatalf("dry run verdicts = %v: it must report what the limits would let through and evacuate none", got)
	}
}
