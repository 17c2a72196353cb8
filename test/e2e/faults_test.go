package e2e

import (
	"bytes"
	"context"
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

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
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
	p := startPlatform(t, "--metrics-bind-address", metricsAddr, "--etcd-quota-backend-bytes", fmt.Sprint(etcdQuota))
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
		if c.tenant && c.kind == "kube-apiserver" && c.sig == syscall.SIGSTOP {
			if !degraded {
				t.Errorf("%s: cluster web never read Degraded", name)
			}
			// What the tenant sees (describe shows the last 15 events).
			assertDescribe(t, alice, "web",
				`ComponentUnhealthy\s.*kube-apiserver not live for 15s, restarting`,
				`ComponentRestarted\s.*kube-apiserver restarted`,
				`ComponentRecovered\s.*kube-apiserver is live again`,
				// The controller-manager exits when its API server goes, so
				// the last problem before recovery may be its.
				`ControlPlaneRecovered\s.*Control plane recovered \(was: kube-`)
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
		return strings.HasPrefix(msg, "kube-apiserver crash-looping") && strings.Contains(msg, "address already in use"), msg
	})
	looping := time.Since(start)
	_ = squatter.Close()
	freed := time.Now()
	p.eventually(60*time.Second, "web Ready again once the port is free", tenantOK)
	t.Logf("port taken: reported crash-looping after %s, Ready %s after the port was freed",
		looping.Round(100*time.Millisecond), time.Since(freed).Round(100*time.Millisecond))

	assertDescribe(t, alice, "web", `ComponentCrashLooping\s.*kube-apiserver crash-looping: exited \d+ times soon after starting`)
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

	// etcd out of space: refused clearly, reported, repaired, nothing lost.
	start = time.Now()
	fillEtcd(t, p)
	p.eventually(30*time.Second, "kumo status to report NOSPACE", func() (bool, string) {
		out, _, _ := runKumo(t, "status", "--data-dir", p.dataDir)
		return strings.Contains(out, "out of space (NOSPACE alarm)") && strings.Contains(out, "etcd repair"), out
	})
	p.eventually(30*time.Second, "a new cluster to be refused with the reason", func() (bool, string) {
		_, errOut, code := alice.run("cluster", "create", "late", "--nodes", "0")
		return code != 0 && strings.Contains(errOut, "out of space (NOSPACE alarm)"), errOut
	})
	out, errOut, code := runKumo(t, "etcd", "repair", "--data-dir", p.dataDir)
	if code != 0 || !strings.Contains(out, "Disarmed the NOSPACE alarm") {
		t.Fatalf("kumo etcd repair: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("NOSPACE: repaired %s after the alarm:\n%s", time.Since(start).Round(100*time.Millisecond), out)
	p.eventually(30*time.Second, "a new cluster to be taken again", func() (bool, string) {
		_, errOut, code := alice.run("cluster", "create", "late", "--nodes", "0")
		return code == 0, errOut
	})
	p.eventually(60*time.Second, "the platform and web to serve after the repair", platformOK)
	t.Logf("Fault injection took %s", time.Since(begin).Round(time.Second))
}

// etcdQuota is the fault platform's etcd quota: small enough to fill in a
// few seconds, far above what the platform itself writes in the test.
const etcdQuota = 128 << 20

// fillEtcd writes to the platform's etcd beside the API server's keys
// until it raises NOSPACE, as a runaway writer would.
func fillEtcd(t *testing.T, p *platform) {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{fmt.Sprintf("http://127.0.0.1:%d", p.etcd)}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cli.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	big := strings.Repeat("x", 1<<20)
	for i := range etcdQuota >> 20 {
		if _, err := cli.Put(ctx, "/e2e/filler", fmt.Sprint(i)+big); err != nil {
			if strings.Contains(err.Error(), "database space exceeded") {
				return
			}
			t.Fatal(err)
		}
	}
	t.Fatal("etcd never ran out of space")
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

// assertDescribe checks that `kumoctl cluster describe` shows each pattern.
func assertDescribe(t *testing.T, u *user, cluster string, patterns ...string) {
	t.Helper()
	desc := u.ok("cluster", "describe", cluster)
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(desc) {
			t.Errorf("describe lacks %s:\n%s", p, desc)
		}
	}
}
