package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHostMemoryReserve: a platform whose memory reserve leaves no room
// starts no tenant control plane: a new cluster stays Pending with reason
// InsufficientHostMemory, and the operator (terminal, kumo status) and the
// tenant (describe, one Warning event) learn why. Restarted with a reserve
// that leaves room, and keeping it, the platform starts the cluster.
func TestHostMemoryReserve(t *testing.T) {
	p := startPlatform(t, "--host-memory-reserve", "100%")
	if !strings.Contains(p.terminal(), "kept in reserve (100%): room for about 0 tenant control planes") {
		t.Errorf("kumo up does not say there is no room:\n%s", p.terminal())
	}
	alice := addUser(t, p, "team-a", "alice")
	alice.ok("cluster", "create", "web", "--nodes", "1")
	p.eventually(time.Minute, "web Pending for host memory", func() (bool, string) {
		out, _ := p.kubectlErr("get", "cluster", "web", "-n", "team-a", "-o",
			`jsonpath={.status.phase} {.status.conditions[?(@.type=="Ready")].reason}`)
		return out == "Pending InsufficientHostMemory", out
	})
	p.eventually(time.Minute, "the Pending line", func() (bool, string) {
		return strings.Contains(p.terminal(), "team-a/web is Pending: InsufficientHostMemory: not enough memory on the host"), p.terminal()
	})
	if out := alice.ok("cluster", "describe", "web"); !regexp.MustCompile(`(?s)Pending.*InsufficientHostMemory.*kept in reserve`).MatchString(out) {
		t.Errorf("describe does not say why web is Pending:\n%s", out)
	}
	out, _, code := runKumo(t, "status", "--data-dir", p.dataDir)
	if code != 0 || !strings.Contains(out, "Control planes: 0 running, 0 starting, 1 pending (not enough host memory)") ||
		!regexp.MustCompile(`Host memory: .* kept in reserve \(100%\): room for about 0 more`).MatchString(out) {
		t.Errorf("kumo status: exit %d\n%s", code, out)
	}
	if pids := pidsMatching(filepath.Join(p.dataDir, "clusters")); len(pids) > 0 {
		t.Errorf("tenant processes run without room for them: %v", pids)
	}
	// It retries every 10 s; the event is not repeated.
	time.Sleep(12 * time.Second)
	if out := p.kubectl("get", "events", "-n", "team-a", "--field-selector", "reason=InsufficientHostMemory", "-o", "name"); strings.Count(out, "\n") != 1 {
		t.Errorf("want one InsufficientHostMemory event, got:\n%s", out)
	}

	p.stop()
	p.extraArgs = []string{"--host-memory-reserve", "1Gi"}
	p.start()
	p.eventually(3*time.Minute, "web Ready", func() (bool, string) {
		out, _ := p.kubectlErr("get", "cluster", "web", "-n", "team-a", "-o", "jsonpath={.status.phase} {.status.nodes}")
		return out == "Ready 1/1", out
	})
	out, _, _ = runKumo(t, "status", "--data-dir", p.dataDir)
	if !strings.Contains(out, "Control planes: 1 running, 0 starting\n") || !strings.Contains(out, "kept in reserve (1Gi)") {
		t.Errorf("kumo status:\n%s", out)
	}
	// The reserve given is kept for later runs.
	if data, _ := os.ReadFile(filepath.Join(p.dataDir, "config.json")); !strings.Contains(string(data), `"hostMemoryReserve": "1Gi"`) {
		t.Errorf("config.json:\n%s", data)
	}
}

// BenchmarkTeamBurst measures what one team's burst does to another team's
// create: bob's `kumoctl cluster create --wait` (3 nodes) right after
// alice's team applied N clusters (3 nodes each) at once, against the same
// create on the idle platform just before (so that both see the same load
// from the rest of the machine; load-avg is the host's when the burst
// began). It also reports how long alice's burst took to be all Ready, and
// how many tenant components restarted meanwhile (crash loops). Run with:
//
//	go test -run '^$' -bench TeamBurst -benchtime 2x -timeout 60m ./test/e2e/
func BenchmarkTeamBurst(b *testing.B) {
	p := startPlatform(b)
	alice := addUser(b, p, "team-a", "alice")
	bob := addUser(b, p, "team-b", "bob")
	p.eventually(time.Minute, "regions Ready", func() (bool, string) {
		out, _ := p.kubectlErr("get", "regions", "-o", `jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}`)
		return out == "True True", out
	})
	create := func(name string) time.Duration {
		start := time.Now()
		bob.ok("cluster", "create", name, "--wait")
		took := time.Since(start)
		bob.ok("cluster", "delete", name, "--yes", "--wait")
		return took
	}
	create("warm-up") // the first create of a platform reads the catalog cold
	for _, n := range []int{8, 20} {
		b.Run(fmt.Sprintf("burst=%d", n), func(b *testing.B) {
			p.t = b
			var idle, bobTook, aliceTook time.Duration
			var restarts int
			var load float64
			for i := 0; i < b.N; i++ {
				idle += create(fmt.Sprintf("idle-%d-%d", n, i))
				restartsBefore := strings.Count(p.terminal(), " restarting it; log: ")
				var manifest strings.Builder
				for j := range n {
					fmt.Fprintf(&manifest, "---\napiVersion: kumo.dev/v1alpha1\nkind: Cluster\nmetadata: {name: burst-%d-%d-%d}\nspec: {version: \"1.36\", region: tokyo-1, nodePools: [{name: default, replicas: 3}]}\n", n, i, j)
				}
				load += loadAverage(b)
				start := time.Now()
				if out, err := runKubectl(alice.kubeconfig, manifest.String(), "apply", "-f", "-"); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				bobTook += create(fmt.Sprintf("during-%d-%d", n, i))
				p.eventually(15*time.Minute, "alice's clusters Ready", func() (bool, string) {
					out, _ := runKubectl(alice.kubeconfig, "", "get", "clusters", "-o", "jsonpath={range .items[*]}{.status.phase} {.status.nodes}{\"\\n\"}{end}")
					return strings.Count(out, "Ready 3/3") == n, out
				})
				aliceTook += time.Since(start)
				restarts += strings.Count(p.terminal(), " restarting it; log: ") - restartsBefore
				if out, err := runKubectl(alice.kubeconfig, "", "delete", "clusters", "--all", "--timeout=10m"); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
			}
			per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
			b.ReportMetric(per(idle), "s/bob-create-idle")
			b.ReportMetric(per(bobTook), "s/bob-create")
			b.ReportMetric(bobTook.Seconds()/idle.Seconds(), "x-idle")
			b.ReportMetric(per(aliceTook), "s/alice-all-ready")
			b.ReportMetric(float64(restarts)/float64(b.N), "restarts")
			b.ReportMetric(load/float64(b.N), "load-avg")
		})
	}
}

// loadAverage is the host's load average over the last minute.
func loadAverage(tb testing.TB) float64 {
	tb.Helper()
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		tb.Fatal(err)
	}
	var l float64
	if _, err := fmt.Sscan(string(data), &l); err != nil {
		tb.Fatal(err)
	}
	return l
}
