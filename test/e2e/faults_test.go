package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaultInjection freezes (SIGSTOP) and kills (SIGKILL) each kind of
// component on one platform, one after the other, and checks that each is
// replaced without help within 60 s, that the frozen process is gone, that
// no data was lost, and that the tenant saw it all in events. The last
// case restarts a tenant API server whose port someone else took: it
// crash-loops, says so, and recovers once the port is free.
func TestFaultInjection(t *testing.T) {
	begin := time.Now()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startPlatform(t, "--metrics-bind-address", metricsAddr)
	alice := addUser(t, p, "faults", "alice")
	alice.ok("cluster", "create", "web", "--nodes", "1", "--wait")
	uid := p.jsonpath("cluster/web", ".metadata.uid", "-n", "faults")
	kc := p.tenantKubeconfigIn("faults", "web")
	// Data that must survive every fault, in the tenant and the platform.
	if out, err := runKubectl(kc, "", "create", "configmap", "survivor", "--from-literal=k=tenant"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	p.kubectl("create", "configmap", "survivor", "-n", "faults", "--from-literal=k=platform")
	t.Logf("Platform and cluster ready in %s", time.Since(begin).Round(time.Second))

	tenantOK := func() (bool, string) {
		phase := p.jsonpath("cluster/web", ".status.phase", "-n", "faults")
		out, err := runKubectl(kc, "", "get", "configmap", "survivor", "-o", "jsonpath={.data.k}")
		return phase == "Ready" && err == nil && out == "tenant", phase + " " + out
	}
	platformOK := func() (bool, string) {
		out, err := p.kubectlErr("get", "configmap", "survivor", "-n", "faults", "-o", "jsonpath={.data.k}", "--request-timeout=2s")
		if err != nil || out != "platform" {
			return false, out
		}
		return tenantOK()
	}
	for _, c := range []struct {
		kind string
		// tenant: the component of cluster web, else the platform's.
		tenant bool
		sig    syscall.Signal
	}{
		{"kube-apiserver", true, syscall.SIGSTOP},
		{"kube-apiserver", true, syscall.SIGKILL},
		{"kube-controller-manager", true, syscall.SIGSTOP},
		{"kube-scheduler", true, syscall.SIGSTOP},
		{"kube-scheduler", true, syscall.SIGKILL},
		{"etcd", false, syscall.SIGSTOP},
		{"etcd", false, syscall.SIGKILL},
		{"kube-apiserver", false, syscall.SIGSTOP},
		{"kube-controller-manager", false, syscall.SIGKILL},
	} {
		owner := "platform"
		if c.tenant {
			owner = "web"
		}
		name := fmt.Sprintf("%s %s %s", c.sig, owner, c.kind)
		cuid := ""
		if c.tenant {
			cuid = uid
		}
		old := componentPid(p, c.kind, cuid)
		if old == 0 {
			t.Fatalf("%s: no process", name)
		}
		start := time.Now()
		if err := syscall.Kill(old, c.sig); err != nil {
			t.Fatal(err)
		}
		var degraded bool
		var replaced time.Duration
		p.eventually(60*time.Second, name+": replaced and serving", func() (bool, string) {
			if c.tenant && c.kind == "kube-apiserver" && !degraded {
				degraded = p.jsonpath("cluster/web", ".status.phase", "-n", "faults") == "Degraded"
			}
			pid := componentPid(p, c.kind, cuid)
			if replaced == 0 && pid != 0 && pid != old && !alive(old) {
				replaced = time.Since(start)
			}
			if replaced == 0 {
				return false, fmt.Sprintf("pid %d (was %d)", pid, old)
			}
			return platformOK()
		})
		_ = syscall.Kill(old, syscall.SIGCONT) // in case it survived a failed check
		t.Logf("%s: replaced after %s, serving again after %s", name, replaced.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
		if n := len(componentPids(p, c.kind, cuid)); n != 1 {
			t.Errorf("%s: %d processes afterwards", name, n)
		}
		if c.tenant && c.kind == "kube-apiserver" && c.sig == syscall.SIGSTOP && !degraded {
			t.Errorf("%s: cluster web never read Degraded", name)
		}
	}

	// A tenant API server that restarts and finds its port taken.
	port := p.jsonpath("cluster/web", ".spec.controlPlane.endpoint.port", "-n", "faults")
	old := componentPid(p, "kube-apiserver", uid)
	start := time.Now()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var squatter net.Listener
	p.eventually(10*time.Second, "taking the port of the killed API server", func() (bool, string) {
		l, err := net.Listen("tcp", "127.0.0.1:"+port)
		squatter = l
		return err == nil, fmt.Sprint(err)
	})
	p.eventually(60*time.Second, "web to say its API server crash-loops", func() (bool, string) {
		msg := p.jsonpath("cluster/web", `.status.conditions[?(@.type=="ControlPlaneReady")].message`, "-n", "faults")
		return strings.HasPrefix(msg, "kube-apiserver crash-looping"), msg
	})
	_ = squatter.Close()
	p.eventually(60*time.Second, "web Ready again once the port is free", tenantOK)
	t.Logf("port taken: crash-looping, Ready %s after the port was freed (%s in all)", time.Since(start).Round(100*time.Millisecond), time.Since(start).Round(time.Second))

	// What the tenant sees.
	desc := alice.ok("cluster", "describe", "web")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`ComponentUnhealthy\s.*kube-apiserver not live for 15s, restarting`),
		regexp.MustCompile(`ComponentRestarted\s.*kube-apiserver restarted`),
		regexp.MustCompile(`ComponentRecovered\s.*kube-apiserver is live again`),
		regexp.MustCompile(`ControlPlaneRecovered`),
		regexp.MustCompile(`ComponentCrashLooping\s.*kube-apiserver crash-looping`),
		regexp.MustCompile(`ComponentUnhealthy\s.*kube-scheduler not live for 15s`),
	} {
		if !want.MatchString(desc) {
			t.Errorf("describe lacks %s:\n%s", want, desc)
		}
	}
	// What the operator's Prometheus sees.
	metrics := scrape(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{
		`kumo_component_restarts_total{cluster="faults/web",component="kube-apiserver"}`,
		`kumo_component_probe_failures_total{cluster="faults/web",component="kube-apiserver",probe="liveness"}`,
		`kumo_component_restarts_total{cluster="",component="etcd"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	t.Logf("Fault injection took %s", time.Since(begin).Round(time.Second))
}

// componentPids finds the processes of a component kind (the binary's
// name) of the tenant cluster uid, or of the platform when uid is "".
func componentPids(p *platform, kind, uid string) []int {
	var out []int
	for _, pid := range pidsMatching(p.dataDir) {
		exe, err := os.Readlink(filepath.Join("/proc", fmt.Sprint(pid), "exe"))
		if err != nil || filepath.Base(exe) != kind {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "cmdline"))
		tenant := bytes.Contains(cmdline, []byte("/clusters/"))
		if (uid == "" && !tenant) || (uid != "" && bytes.Contains(cmdline, []byte(uid))) {
			out = append(out, pid)
		}
	}
	return out
}

func componentPid(p *platform, kind, uid string) int {
	if pids := componentPids(p, kind, uid); len(pids) > 0 {
		return pids[0]
	}
	return 0
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "stat"))
	return err == nil && !strings.Contains(string(data), ") Z ")
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a test's one scrape
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
