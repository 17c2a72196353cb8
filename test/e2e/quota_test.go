package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestQuotas drives team quotas through `kumo tenant add`, kumoctl and
// kubectl with two teams: bad limits are refused by the API server, five
// racing creates against --max-clusters 2 leave exactly two, a scale-up
// past the platform default is refused with exit 2, lowering a limit below
// usage keeps the cluster and marks the team over quota, and operators
// list every team with kubectl.
func TestQuotas(t *testing.T) {
	p := startPlatform(t)

	// Bad limits never get in: the API server's schema refuses them.
	for patch, want := range map[string]string{
		`{"spec":{"maxClusters":-1}}`: "should be greater than or equal to 0",
		`{"spec":{"maxNodes":"ten"}}`: "must be of type integer",
	} {
		out, err := p.kubectlErr("-n", "kumo-system", "patch", "teamquota", "default", "--type", "merge", "-p", patch)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("kubectl patch %s: %v\n%s", patch, err, out)
		}
	}
	if _, errOut, code := runKumo(t, "tenant", "add", "team-a", "--max-vcpus=-4", "--data-dir", p.dataDir); code == 0 || !strings.Contains(errOut, "spec.maxVCPUs") {
		t.Errorf("kumo tenant add --max-vcpus=-4: exit %d\n%s", code, errOut)
	}

	// The platform default: 3 nodes a team. team-a may have 2 clusters
	// (and 10 nodes); team-b has no limits of its own.
	p.kubectl("-n", "kumo-system", "patch", "teamquota", "default", "--type", "merge", "-p", `{"spec":{"maxNodes":3}}`)
	alice := addUser(t, p, "team-a", "alice", "--max-clusters", "2", "--max-nodes", "10")
	bob := addUser(t, p, "team-b", "bob")

	// Five creates race against --max-clusters 2: exactly two win, the
	// others are told the limit, the usage and who can raise it.
	type result struct {
		code   int
		errOut string
	}
	results := make([]result, 5)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			_, errOut, code := alice.run("cluster", "create", fmt.Sprintf("race-%d", i), "--nodes", "0")
			results[i] = result{code, errOut}
		})
	}
	wg.Wait()
	won := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			won++
		case r.code != 2 || !strings.Contains(r.errOut, `team "team-a" may have at most 2 clusters and has 2; ask a platform operator to raise it: kumo tenant add team-a --max-clusters N`):
			t.Errorf("a refused create: exit %d\n%s", r.code, r.errOut)
		}
	}
	if got := strings.Fields(p.kubectl("get", "clusters", "-n", "team-a", "-o", "name")); won != 2 || len(got) != 2 {
		t.Errorf("%d creates succeeded, clusters %v; want exactly 2", won, got)
	}

	// team-b: the platform default of 3 nodes holds.
	bob.ok("cluster", "create", "web", "--nodes", "2")
	bob.fails(2, `team "team-b" may have at most 3 nodes (the platform default) and has 2 (this change adds 2); ask a platform operator to raise it: kumo tenant add team-b --max-nodes N`,
		"cluster", "scale", "web", "--nodes", "4")
	bob.fails(2, "at most 3 nodes (the platform default) and has 2 (this change adds 2)", "nodepool", "add", "web", "batch", "--nodes", "2")
	if out := bob.ok("quota"); !regexp.MustCompile(`(?m)^nodes\s+2\s+3 \(platform default\)\s+1$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^clusters\s+1\s+none\s+-$`).MatchString(out) {
		t.Errorf("kumoctl quota:\n%s", out)
	}
	var q struct {
		Kind   string `json:"kind"`
		Status struct {
			Used struct{ Clusters, Nodes, VCPUs int64 } `json:"used"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(bob.ok("quota", "-o", "json")), &q); err != nil || q.Kind != "TeamQuota" || q.Status.Used.Nodes != 2 || q.Status.Used.VCPUs != 4 {
		t.Errorf("kumoctl quota -o json: %v %+v", err, q)
	}

	// The operator lowers team-b's limit below what it has: the cluster
	// stays, growth is refused, shrinking is not, and the status says so.
	if _, errOut, code := runKumo(t, "tenant", "add", "team-b", "--max-nodes", "1", "--data-dir", p.dataDir); code != 0 ||
		!strings.Contains(errOut, "Quota of team team-b: clusters: the platform default, nodes 1, vCPUs: the platform default") {
		t.Fatalf("kumo tenant add team-b --max-nodes 1: exit %d\n%s", code, errOut)
	}
	p.eventually(time.Minute, "team-b over quota", func() (bool, string) {
		_, errOut, _ := bob.run("quota")
		return strings.Contains(errOut, "Over quota: team team-b has 2 nodes of at most 1"), errOut
	})
	bob.fails(2, "at most 1 node and has 2 (this change adds 1)", "cluster", "scale", "web", "--nodes", "3")
	if got := p.jsonpath("cluster/web", ".spec.nodePools[0].replicas", "-n", "team-b"); got != "2" {
		t.Errorf("web has %s nodes after the limit was lowered, want 2", got)
	}
	bob.ok("cluster", "scale", "web", "--nodes", "1")

	// Operators see every team, and the defaults, with kubectl.
	p.eventually(time.Minute, "every team's usage", func() (bool, string) {
		out := p.kubectl("get", "teamquotas", "-A")
		ok := regexp.MustCompile(`(?m)^NAMESPACE\s+NAME\s+CLUSTERS\s+NODES\s+VCPUS\s+WITHIN QUOTA\s+AGE$`).MatchString(out) &&
			regexp.MustCompile(`(?m)^kumo-system\s+default\s+-/none\s+-/3\s+-/none\s`).MatchString(out) &&
			regexp.MustCompile(`(?m)^team-a\s+team\s+2/2\s+0/10\s+0/none\s+True\s`).MatchString(out) &&
			regexp.MustCompile(`(?m)^team-b\s+team\s+1/none\s+1/1\s+2/none\s+True\s`).MatchString(out)
		return ok, out
	})

	// Tenants read their own quota, never change it, nor read another's.
	if out, err := runKubectl(bob.kubeconfig, "", "-n", "team-b", "patch", "teamquota", "team", "--type", "merge", "-p", `{"spec":{"maxNodes":100}}`); err == nil || !strings.Contains(out, "forbidden") {
		t.Errorf("bob raised his own quota: %v\n%s", err, out)
	}
	bob.fails(4, "you may not", "quota", "-n", "team-a")
}
