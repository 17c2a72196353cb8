package e2e

import (
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMigration moves a 10-node cluster running a 30-pod Deployment under a
// PodDisruptionBudget between regions with `kumoctl migrate`, on one
// platform: refused requests, a rollback at 50%, a migration sampled
// throughout (never fewer than 10 schedulable Ready nodes, never fewer
// available pods than the budget), and a migration back during which
// `kumo up` is killed with SIGKILL ten times.
func TestMigration(t *testing.T) {
	p := startPlatform(t, "--vm-boot-delay", "1s")
	alice := addUser(t, p, "team-a", "alice", "--max-nodes", "40")
	alice.ok("cluster", "create", "mig", "--region", "tokyo-1", "--nodes", "10", "--wait")
	kc := filepath.Join(t.TempDir(), "mig.kubeconfig")
	alice.ok("kubeconfig", "mig", "--file", kc)
	original := nodeNames(t, kc)
	if len(original) != 10 {
		t.Fatalf("want 10 nodes, got %v", original)
	}
	for _, args := range [][]string{
		{"create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "--replicas=30"},
		{"create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=27"},
	} {
		if out, err := runKubectl(kc, "", args...); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	p.eventually(3*time.Minute, "30 available pods", func() (bool, string) { return available(kc) == 30, "" })

	t.Log("step: refused")
	{
		alice.fails(2, "region nowhere-1 does not exist", "migrate", "start", "mig", "--to", "nowhere-1")
		alice.fails(2, "runs in tokyo-1 already", "migrate", "start", "mig", "--to", "tokyo-1")
		alice.fails(2, "--steps must end at 100", "migrate", "start", "mig", "--to", "osaka-1", "--steps", "50")
		alice.fails(3, "has no migration", "migrate", "status", "mig2")
	}

	t.Log("step: rollback at 50%")
	{
		alice.ok("migrate", "start", "mig", "--to", "osaka-1", "--steps", "50,100", "--approval", "manual", "--soak", "1h", "--wait")
		status := alice.ok("migrate", "status", "mig")
		if !strings.Contains(status, "Phase:       WaitingForApproval") || !strings.Contains(status, "5 in osaka-1") {
			t.Fatalf("after the first step:\n%s", status)
		}
		alice.fails(2, "node pools cannot change while the cluster migrates", "cluster", "scale", "mig", "--nodes", "12")
		alice.ok("migrate", "rollback", "mig", "--wait")
		if got := nodeNames(t, kc); !equal(got, original) {
			t.Errorf("after the rollback the nodes are %v, want %v", got, original)
		}
		if n := countServers(p, "osaka-1"); n != 0 {
			t.Errorf("osaka-1 has %d VMs after the rollback", n)
		}
		p.eventually(2*time.Minute, "30 available pods", func() (bool, string) { return available(kc) == 30, "" })
	}

	t.Log("step: to osaka-1, sampled")
	{
		stop := sample(t, kc, 10, 27)
		alice.ok("migrate", "start", "mig", "--to", "osaka-1", "--steps", "25,50,100", "--soak", "0s", "--wait")
		stop()
		if out := alice.ok("cluster", "describe", "mig"); !strings.Contains(out, "Region:      osaka-1 (migrated from tokyo-1)") {
			t.Errorf("cluster describe:\n%s", out)
		}
		if n := countServers(p, "tokyo-1"); n != 0 {
			t.Errorf("tokyo-1 has %d VMs after the migration", n)
		}
		assertOneVMPerMachine(p, 10, "-n", "team-a")
	}

	t.Log("step: back to tokyo-1, killed ten times")
	{
		// Ten steps of one node each: long enough for ten kills.
		alice.ok("migrate", "start", "mig", "--to", "tokyo-1", "--steps", "10,20,30,40,50,60,70,80,90,100", "--soak", "0s")
		for i := range 10 {
			if p.jsonpath("clustermigration/mig", ".status.phase", "-n", "team-a") == "Completed" {
				t.Fatalf("the migration completed after %d kills; the fault test needs ten in one migration", i)
			}
			time.Sleep(time.Duration(500+rand.IntN(4000)) * time.Millisecond)
			t.Logf("kill %d at %s", i+1, p.jsonpath("clustermigration/mig", ".status.phase", "-n", "team-a"))
			p.kill()
			p.start()
		}
		p.eventually(10*time.Minute, "the migration to complete", func() (bool, string) {
			out := p.jsonpath("clustermigration/mig", ".status.phase", "-n", "team-a")
			return out == "Completed", out
		})
		assertOneVMPerMachine(p, 10, "-n", "team-a")
		if n := countServers(p, "osaka-1"); n != 0 {
			t.Errorf("osaka-1 has %d VMs after the migration back", n)
		}
		p.eventually(3*time.Minute, "30 available pods", func() (bool, string) { return available(kc) == 30, "" })
	}
}

// sample checks every second, until the returned stop, that the cluster
// has at least nodes Ready schedulable nodes and the Deployment at least
// pods available, and fails the test for each sample that does not.
func sample(t *testing.T, kc string, nodes, pods int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Second):
			}
			if n := schedulableNodes(kc); n >= 0 && n < nodes {
				t.Errorf("%s: %d schedulable Ready nodes, want at least %d", time.Now().Format(time.TimeOnly), n, nodes)
			}
			if n := available(kc); n >= 0 && n < pods {
				t.Errorf("%s: %d available pods, want at least %d", time.Now().Format(time.TimeOnly), n, pods)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// schedulableNodes counts Ready nodes without SchedulingDisabled (-1 if
// the tenant API does not answer).
func schedulableNodes(kc string) int {
	out, err := runKubectl(kc, "", "get", "nodes", "--no-headers")
	if err != nil {
		return -1
	}
	n := 0
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "Ready" {
			n++
		}
	}
	return n
}

// available is the Deployment's availableReplicas (-1 if unknown).
func available(kc string) int {
	out, err := runKubectl(kc, "", "get", "deployment", "web", "-o", "jsonpath={.status.availableReplicas}")
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		return 0
	}
	return n
}

func nodeNames(t *testing.T, kc string) []string {
	t.Helper()
	out, err := runKubectl(kc, "", "get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	names := strings.Fields(out)
	sort.Strings(names)
	return names
}

func countServers(p *platform, region string) int {
	n := 0
	for _, s := range p.simServers() {
		if s.Region == region {
			n++
		}
	}
	return n
}

func equal(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}
