package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// user runs the built kumoctl (and kubectl) as one tenant.
type user struct {
	t          testing.TB
	kubeconfig string
}

// addUser admits name to team with `kumo tenant add` and flags.
func addUser(t testing.TB, p *platform, team, name string, flags ...string) *user {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".kubeconfig")
	args := append([]string{"tenant", "add", team, "--user", name, "--data-dir", p.dataDir, "--out", path}, flags...)
	out, err := exec.Command(kumoBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("kumo tenant add: %v\n%s", err, out)
	}
	return &user{t: t, kubeconfig: path}
}

// run returns stdout, stderr and the exit code of kumoctl.
func (u *user) run(args ...string) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kumoctlBin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+u.kubeconfig)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("running kumoctl: %v", err)
	}
	return stdout.String(), stderr.String(), code
}

// ok runs kumoctl and fails the test unless it exits 0.
func (u *user) ok(args ...string) string {
	u.t.Helper()
	out, errOut, code := u.run(args...)
	if code != 0 {
		u.t.Fatalf("kumoctl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs kumoctl expecting exit code want and a message on stderr.
func (u *user) fails(want int, msg string, args ...string) {
	u.t.Helper()
	out, errOut, code := u.run(args...)
	if code != want || !strings.Contains(errOut, msg) {
		u.t.Errorf("kumoctl %s: exit %d (want %d), stderr %q (want it to contain %q), stdout %q",
			strings.Join(args, " "), code, want, errOut, msg, out)
	}
}

// TestKumoctl drives the tenant CLI against `kumo up`: the whole cluster
// lifecycle for one team, the error cases, and RBAC isolation between teams.
func TestKumoctl(t *testing.T) {
	p := startPlatform(t)
	alice := addUser(t, p, "team-a", "alice")
	bob := addUser(t, p, "team-b", "bob")

	// What the platform offers.
	if out := alice.ok("regions"); !strings.Contains(out, "tokyo-1") || !strings.Contains(out, "osaka-1") {
		t.Errorf("regions:\n%s", out)
	}
	if out := alice.ok("versions"); !strings.Contains(out, "1.36.3") {
		t.Errorf("versions:\n%s", out)
	}

	// Refused commands leave nothing behind.
	alice.fails(3, "not offered", "cluster", "create", "bad", "--version", "1.20", "--region", "tokyo-1")
	alice.fails(3, `region "mars-1" not found`, "cluster", "create", "bad", "--version", "1.36", "--region", "mars-1")
	alice.fails(5, "region tokyo-1 is full", "cluster", "create", "bad", "--version", "1.36", "--region", "tokyo-1", "--nodes", "1000", "--flavor", "m1.2xlarge")
	alice.fails(2, "flavor", "cluster", "create", "bad", "--version", "1.36", "--region", "tokyo-1", "--flavor", "x9.mega")
	alice.fails(2, "--nodes must be between 0 and 1000", "cluster", "create", "bad", "--version", "1.36", "--region", "tokyo-1", "--nodes", "-1")
	alice.fails(2, "invalid cluster name", "cluster", "create", "Bad_Name", "--version", "1.36", "--region", "tokyo-1")
	if out := p.kubectl("get", "clusters", "-A", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Fatalf("refused creates left clusters behind:\n%s", out)
	}

	// Create with --wait and the platform's defaults (kumo up marks
	// tokyo-1 and the newest release): progress as plain lines (no
	// terminal), then the table.
	out, errOut, code := alice.run("cluster", "create", "web", "--nodes", "2", "--wait")
	if code != 0 || !strings.Contains(errOut, "web: Ready, nodes 2/2 ready") || !strings.Contains(out, "Ready") {
		t.Fatalf("create --wait: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "Kubernetes 1.36 (default)") || !strings.Contains(errOut, "tokyo-1 (default") {
		t.Errorf("create does not say which defaults it chose:\n%s", errOut)
	}
	if strings.Contains(errOut, "\r") {
		t.Errorf("progress redrawn with \\r when not on a terminal:\n%q", errOut)
	}
	// Idempotent: the same create again changes nothing.
	if _, errOut, code := alice.run("cluster", "create", "web", "--version", "1.36", "--region", "tokyo-1", "--nodes", "2"); code != 0 || !strings.Contains(errOut, "unchanged") {
		t.Errorf("repeated create: exit %d, %s", code, errOut)
	}

	list := alice.ok("cluster", "list")
	for _, want := range []string{"NAME", "PHASE", "VERSION", "REGION", "NODES", "web", "Ready", "2/2"} {
		if !strings.Contains(list, want) {
			t.Errorf("cluster list lacks %q:\n%s", want, list)
		}
	}
	if js := alice.ok("cluster", "list", "-o", "json"); !strings.Contains(js, `"kind": "List"`) || !strings.Contains(js, `"phase": "Ready"`) {
		t.Errorf("cluster list -o json:\n%s", js)
	}
	desc := alice.ok("cluster", "describe", "web")
	for _, want := range []string{"Conditions:", "ControlPlaneReady", "Node pools:", "Machines:", "Events:", "VMCreated"} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe lacks %q:\n%s", want, desc)
		}
	}
	alice.fails(3, `did you mean "web"`, "cluster", "get", "wbe")

	// Scale out and in, waiting.
	alice.ok("cluster", "scale", "web", "--nodes", "3", "--wait")
	if got := p.jsonpath("cluster/web", ".status.nodes", "-n", "team-a"); got != "3/3" {
		t.Errorf("after scale out: %s", got)
	}
	alice.ok("cluster", "scale", "web", "--nodes", "1", "--wait")
	alice.fails(3, `no node pool "gpu"`, "cluster", "scale", "web", "--pool", "gpu", "--nodes", "1")

	// A second node pool: add, scale, list, delete.
	alice.ok("nodepool", "add", "web", "batch", "--nodes", "1", "--flavor", "m1.large", "--wait")
	alice.ok("nodepool", "scale", "web", "batch", "--nodes", "2", "--wait")
	if pools := alice.ok("nodepool", "list", "web"); !strings.Contains(pools, "batch") || !strings.Contains(pools, "m1.large") {
		t.Errorf("nodepool list:\n%s", pools)
	}
	alice.fails(2, "choose one with --pool", "cluster", "scale", "web", "--nodes", "2")
	alice.ok("nodepool", "delete", "web", "batch", "--yes", "--wait")
	if got := p.jsonpath("cluster/web", ".status.nodes", "-n", "team-a"); got != "1/1" {
		t.Errorf("after deleting pool batch: nodes %s", got)
	}

	// kubeconfig --merge --use, then kubectl against the tenant cluster.
	kcFile := filepath.Join(t.TempDir(), "merged")
	mgmt, err := os.ReadFile(alice.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kcFile, mgmt, 0o600); err != nil {
		t.Fatal(err)
	}
	merged := &user{t: t, kubeconfig: kcFile}
	merged.ok("kubeconfig", "web", "--merge", "--use")
	nodes, err := runKubectl(kcFile, "", "get", "nodes", "--no-headers")
	if err != nil || strings.Count(nodes, " Ready") != 1 {
		t.Errorf("kubectl through the merged context: %v\n%s", err, nodes)
	}
	ctxs, _ := runKubectl(kcFile, "", "config", "get-contexts", "-o", "name")
	if !strings.Contains(ctxs, "kumo-team-a-web") || strings.Count(strings.TrimSpace(ctxs), "\n") < 1 {
		t.Errorf("merge lost or lacks contexts:\n%s", ctxs)
	}

	// Ctrl-C during --wait stops waiting, not the operation.
	cmd := exec.Command(kumoctlBin, "cluster", "create", "bg", "--version", "1.36", "--region", "osaka-1", "--nodes", "1", "--wait")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+alice.kubeconfig)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.eventually(time.Minute, "kumoctl to start waiting", func() (bool, string) {
		return strings.Contains(stderr.String(), "bg: "), stderr.String()
	})
	_ = cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "kumoctl cluster describe bg") {
		t.Errorf("Ctrl-C: %v\n%s", err, stderr.String())
	}
	p.eventually(3*time.Minute, "cluster bg Ready although kumoctl stopped waiting", func() (bool, string) {
		out := p.jsonpath("cluster/bg", ".status.phase", "-n", "team-a")
		return out == "Ready", out
	})
	alice.ok("cluster", "delete", "bg", "--yes")

	// Isolation: bob (team-b) can neither see nor touch team-a.
	if out := bob.ok("cluster", "list"); strings.Contains(out, "web") {
		t.Errorf("bob sees team-a's cluster:\n%s", out)
	}
	bob.fails(4, `"get" on "clusters"`, "cluster", "get", "web", "-n", "team-a")
	bob.fails(4, "you may not", "cluster", "list", "-n", "team-a")
	bob.fails(4, "you may not", "cluster", "list", "-A")
	bob.fails(4, "you may not", "kubeconfig", "web", "-n", "team-a")
	bob.fails(4, "you may not", "cluster", "scale", "web", "-n", "team-a", "--nodes", "5")
	bob.fails(4, "you may not", "cluster", "delete", "web", "-n", "team-a", "--yes")
	if _, err := runKubectl(bob.kubeconfig, "", "get", "secret", "web-kubeconfig", "-n", "team-a"); err == nil {
		t.Error("bob read team-a's kubeconfig secret with kubectl")
	}

	// Delete: refuses without --yes when not interactive, then deletes.
	alice.fails(2, "pass --yes", "cluster", "delete", "web")
	alice.ok("cluster", "delete", "web", "--yes", "--wait")
	if out := p.kubectl("get", "clusters,machines", "-A", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Errorf("left behind after delete:\n%s", out)
	}
	if _, errOut, code := alice.run("cluster", "delete", "web", "--yes"); code != 0 || !strings.Contains(errOut, "nothing to delete") {
		t.Errorf("deleting a deleted cluster: exit %d %s", code, errOut)
	}
}
