package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runKumo runs the kumo binary and returns its stdout, stderr and exit code.
func runKumo(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(kumoBin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("kumo %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0
}

// startPlatformOnDefaults runs `kumo up` with no port flags: it chooses.
func startPlatformOnDefaults(t testing.TB, extraArgs ...string) *platform {
	t.Helper()
	p := &platform{t: t, dataDir: t.TempDir(), extraArgs: extraArgs}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// terminal is what `kumo up` printed so far.
func (p *platform) terminal() string {
	data, _ := os.ReadFile(filepath.Join(p.dataDir, "kumo-up.log"))
	return string(data)
}

// klogError matches an error line of klog's text format.
var klogError = regexp.MustCompile(`(?m)^E\d{4} `)

// assertStoppedCleanly: `kumo up` exited 0 and logged no error, neither to
// the terminal nor to the manager's log.
func (p *platform) assertStoppedCleanly() {
	p.t.Helper()
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		p.t.Errorf("kumo up exited %d, want 0", code)
	}
	if !strings.Contains(p.terminal(), "Stopping Kumo") {
		p.t.Errorf("kumo up did not stop gracefully:\n%s", p.terminal())
	}
	// The terminal never shows log lines; the manager's log may hold errors
	// of what the test did to the platform (it kills components), but none
	// from the stop itself.
	manager, _ := os.ReadFile(filepath.Join(p.dataDir, "logs", "manager.log"))
	if p.stoppedAt <= int64(len(manager)) {
		manager = manager[p.stoppedAt:]
	}
	for what, text := range map[string]string{"terminal": p.terminal(), "manager.log after Ctrl-C": string(manager)} {
		if l := klogError.FindAllString(text, -1); len(l) > 0 {
			p.t.Errorf("error lines in the %s:\n%s", what, strings.Join(grepLines(text, klogError), "\n"))
		}
	}
}

func grepLines(text string, re *regexp.Regexp) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// TestTwoPlatformsSideBySide: two `kumo up` without port flags run at once,
// every port chosen apart and kept; a taken port stops kumo up before it
// starts anything, naming the flag; each stops cleanly, by `kumo down` and
// by Ctrl-C.
func TestTwoPlatformsSideBySide(t *testing.T) {
	a := startPlatformOnDefaults(t)
	b := startPlatformOnDefaults(t, "-v", "1") // logs on the terminal too

	ports := map[int]string{}
	for _, p := range []*platform{a, b} {
		var cfg map[string]any
		data, err := os.ReadFile(filepath.Join(p.dataDir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatal(err)
		}
		for key, v := range cfg {
			if !strings.HasSuffix(key, "Port") && !strings.HasSuffix(key, "Address") {
				continue // not a port: fidelity and the like
			}
			port := 0
			switch v := v.(type) {
			case float64:
				port = int(v)
			case string:
				_, ps, _ := net.SplitHostPort(v)
				_, _ = fmt.Sscan(ps, &port)
			}
			if port == 0 || port == 8080 || port == 8081 {
				t.Errorf("%s of %s: port %v", key, p.dataDir, v)
			}
			if other, ok := ports[port]; ok {
				t.Errorf("port %d taken twice: %s and %s %s", port, other, p.dataDir, key)
			}
			ports[port] = p.dataDir + " " + key
		}

		out, _, code := runKumo(t, "status", "--data-dir", p.dataDir, "-o", "json")
		var st struct {
			Running bool   `json:"running"`
			PID     int    `json:"pid"`
			API     string `json:"apiServer"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
			t.Fatalf("kumo status -o json: %v, exit %d\n%s", err, code, out)
		}
		if !st.Running || st.PID != p.cmd.Process.Pid || st.API != fmt.Sprintf("https://127.0.0.1:%v", cfg["apiServerPort"]) {
			t.Errorf("kumo status of %s: %+v", p.dataDir, st)
		}
		if out, errOut, code := runKumo(t, "kubectl", "--data-dir", p.dataDir, "get", "regions", "-o", "name"); code != 0 || !strings.Contains(out, "region.kumo.dev/tokyo-1") {
			t.Errorf("kumo kubectl --data-dir %s: exit %d\n%s%s", p.dataDir, code, out, errOut)
		}
	}

	// A port of a's, asked of a third platform: refused before anything starts.
	var aCfg struct {
		APIServerPort int `json:"apiServerPort"`
	}
	data, _ := os.ReadFile(filepath.Join(a.dataDir, "config.json"))
	_ = json.Unmarshal(data, &aCfg)
	c := t.TempDir()
	_, errOut, code := runKumo(t, "up", "--data-dir", c, "--apiserver-port", fmt.Sprint(aCfg.APIServerPort))
	want := fmt.Sprintf("port %d for the management API server is in use by the Kumo platform at %s; stop it or pass --apiserver-port", aCfg.APIServerPort, a.dataDir)
	if code == 0 || !strings.Contains(errOut, want) {
		t.Errorf("kumo up on a taken port: exit %d\n%s\nwant %q", code, errOut, want)
	}
	if _, err := os.Stat(filepath.Join(c, "etcd")); err == nil {
		t.Errorf("kumo up started etcd before finding its port taken")
	}

	// kumo down stops a as Ctrl-C does; b runs on.
	a.markStop()
	if _, errOut, code := runKumo(t, "down", "--data-dir", a.dataDir); code != 0 {
		t.Fatalf("kumo down: exit %d\n%s", code, errOut)
	}
	select {
	case <-a.exited: // down returns when the lock is free: at the very end
	case <-time.After(10 * time.Second):
		t.Fatal("kumo up still runs after kumo down returned")
	}
	a.assertStoppedCleanly()
	if pids := pidsMatching(a.dataDir); len(pids) > 0 {
		t.Errorf("processes of a left after kumo down: %v", pids)
	}
	if _, err := os.Stat(filepath.Join(a.dataDir, "kumo.pid")); err == nil {
		t.Error("kumo.pid left behind")
	}
	b.kubectl("get", "regions")

	// Restarted on its kept ports, a serves its old kubeconfig again.
	a.start()
	if after, _ := os.ReadFile(filepath.Join(a.dataDir, "config.json")); !bytes.Equal(after, data) {
		t.Errorf("ports changed across a restart:\n%s\n%s", data, after)
	}

	b.stop() // Ctrl-C
	b.assertStoppedCleanly()
}

// TestUpTerminal: the terminal shows the banner, then one line per cluster
// event and component restart, no controller logs; those are in
// logs/manager.log for `kumo logs`; `kumo status` lists the clusters.
func TestUpTerminal(t *testing.T) {
	p := startPlatform(t)
	if want := kumoBin + " kubectl get regions"; !strings.Contains(p.terminal(), want) {
		t.Errorf("the banner lacks %q, a command that runs as typed:\n%s", want, p.terminal())
	}

	applyCluster(p, "demo", 1)
	waitClusterReady(p, "demo", "1/1")
	p.eventually(time.Minute, "the Ready line", func() (bool, string) {
		return strings.Contains(p.terminal(), "default/demo is Ready: Kubernetes v1.36.3, 1/1 nodes"), p.terminal()
	})
	uid := p.jsonpath("cluster/demo", ".metadata.uid")
	pid := apiserverPid(t, uid)
	if pid == 0 {
		t.Fatal("no tenant API server")
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	p.eventually(time.Minute, "the restart line", func() (bool, string) {
		return strings.Contains(p.terminal(), "default/demo kube-apiserver exited (signal: killed), restarting it; log: "), p.terminal()
	})
	p.kubectl("patch", "cluster", "demo", "--type", "merge", "-p", `{"spec":{"nodePools":[{"name":"default","replicas":2}]}}`)
	p.eventually(2*time.Minute, "the scaled line", func() (bool, string) {
		return strings.Contains(p.terminal(), "default/demo scaled from 1 to 2 nodes"), p.terminal()
	})

	out, _, code := runKumo(t, "status", "--data-dir", p.dataDir)
	if code != 0 || !regexp.MustCompile(`Ready\s+default/demo\s+v1.36.3\s+2/2`).MatchString(out) || !strings.Contains(out, fmt.Sprintf("(PID %d)", p.cmd.Process.Pid)) {
		t.Errorf("kumo status: exit %d\n%s", code, out)
	}
	if out, _, code := runKumo(t, "logs", "--data-dir", p.dataDir); code != 0 || !strings.Contains(out, `"Starting Controller" controller="cluster"`) {
		t.Errorf("kumo logs: exit %d\n%s", code, out)
	}
	if out, _, code := runKumo(t, "logs", "--data-dir", p.dataDir, "demo", "kube-apiserver", "--tail", "3"); code != 0 || strings.Count(out, "\n") != 3 {
		t.Errorf("kumo logs demo kube-apiserver --tail 3: exit %d\n%s", code, out)
	}
	if _, errOut, code := runKumo(t, "logs", "--data-dir", p.dataDir, "demo", "etcd"); code == 0 || !strings.Contains(errOut, "it has: kube-apiserver, kube-controller-manager, kube-scheduler") {
		t.Errorf("kumo logs demo etcd: exit %d\n%s", code, errOut)
	}

	p.kubectl("delete", "cluster", "demo", "--wait=false")
	p.eventually(2*time.Minute, "the deleted line", func() (bool, string) {
		return strings.Contains(p.terminal(), "default/demo deleted"), p.terminal()
	})
	if l := grepLines(p.terminal(), regexp.MustCompile(`^[IWE]\d{4} `)); len(l) > 0 {
		t.Errorf("log lines on the terminal:\n%s", strings.Join(l, "\n"))
	}

	p.stop()
	p.assertStoppedCleanly()
}

// TestKubectlWithoutPlatform: with no platform at the data directory, kumo
// kubectl says so and how to point it at one, instead of letting kubectl
// fall back to localhost:8080.
func TestKubectlWithoutPlatform(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runKumo(t, "kubectl", "--data-dir", dir, "get", "clusters")
	if code == 0 || !strings.Contains(errOut, "no Kumo platform is running at "+dir) ||
		!strings.Contains(errOut, "KUMO_DATA_DIR=DIR") || strings.Contains(errOut, "8080") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}
