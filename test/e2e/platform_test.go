package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

var (
	kumoBin    string // the kumo binary under test
	kumoctlBin string // the kumoctl binary under test
	kubectlBin string // kubectl built by the toolchain
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped with -short")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "kumo-e2e-bin-")
	if err != nil {
		panic(err)
	}
	kumoBin = filepath.Join(dir, "kumo")
	kumoctlBin = filepath.Join(dir, "kumoctl")
	build := exec.Command("go", "build", "-o", dir+"/", "../../cmd/kumo", "../../cmd/kumoctl")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Println("building kumo:", err)
		os.Exit(1)
	}
	kubectlBin, err = toolchain.New(toolchain.DefaultDir(), os.Stderr).Kubectl(context.Background(), toolchain.PlatformVersion())
	if err != nil {
		fmt.Println("building kubectl:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// platform is one `kumo up` in its own data directory.
type platform struct {
	t       testing.TB
	dataDir string
	// apiPort and etcd are passed to kumo up unless 0.
	apiPort int
	etcd    int
	cmd     *exec.Cmd
	log     *os.File
	exited  chan struct{}
	// extraArgs are added to `kumo up`.
	extraArgs []string
	// stoppedAt is how long logs/manager.log was when Ctrl-C was sent.
	stoppedAt int64
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// startPlatform runs `kumo up` and waits until the regions are served.
func startPlatform(t testing.TB, extraArgs ...string) *platform {
	t.Helper()
	p := &platform{t: t, dataDir: t.TempDir(), apiPort: freePort(t), etcd: freePort(t), extraArgs: extraArgs}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *platform) start() {
	p.t.Helper()
	log, err := os.OpenFile(filepath.Join(p.dataDir, "kumo-up.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.log = log
	banners := strings.Count(p.terminal(), banner) // kumo-up.log keeps earlier runs'
	// New clusters default to the platform's own minor, so that only the
	// tests that ask for another version build it.
	p.cmd = exec.Command(kumoBin, "up", "--data-dir", p.dataDir, "--default-kubernetes", toolchain.PlatformMinor)
	if p.apiPort != 0 { // else the ports kumo up chooses
		p.cmd.Args = append(p.cmd.Args, "--apiserver-port", fmt.Sprint(p.apiPort), "--etcd-port", fmt.Sprint(p.etcd),
			"--metrics-bind-address", "0", "--health-probe-bind-address", "0")
	}
	p.cmd.Args = append(p.cmd.Args, p.extraArgs...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exited = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	// The banner comes once the manager's webhook answers: before, the API
	// server refuses every Cluster write (it cannot check quotas).
	p.eventually(3*time.Minute, "regions to be served and the banner", func() (bool, string) {
		out, err := p.kubectlErr("get", "regions", "-o", "name")
		up := strings.Count(p.terminal(), banner) > banners
		return err == nil && strings.Contains(out, "region.kumo.dev/tokyo-1") && up, out
	})
}

// banner is how `kumo up` says it takes clusters.
const banner = "Kumo is up."

// stop is Ctrl-C: a graceful stop of everything.
func (p *platform) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
		p.markStop()
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(time.Minute):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	_ = p.log.Close()
	if p.t.Failed() {
		p.dumpLogs()
	}
}

// markStop records where the manager's log stood when a stop was asked for.
func (p *platform) markStop() {
	if fi, err := os.Stat(filepath.Join(p.dataDir, "logs", "manager.log")); err == nil {
		p.stoppedAt = fi.Size()
	}
}

// kill is a crash: SIGKILL, no cleanup. Children die with it (Pdeathsig).
func (p *platform) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	_ = p.log.Close()
	// The children notice their parent's death asynchronously; wait until
	// no process of this data directory is left.
	p.eventually(time.Minute, "children of the killed kumo to exit", func() (bool, string) {
		pids := pidsMatching(p.dataDir)
		return len(pids) == 0, fmt.Sprint(pids)
	})
}

// dumpLogs shows the end of what kumo up printed and of the manager's log
// (the terminal shows only one line per event).
func (p *platform) dumpLogs() {
	for what, path := range map[string]string{
		"kumo up":          filepath.Join(p.dataDir, "kumo-up.log"),
		"logs/manager.log": filepath.Join(p.dataDir, "logs", "manager.log"),
	} {
		data, _ := os.ReadFile(path)
		lines := strings.Split(string(data), "\n")
		if len(lines) > 80 {
			lines = lines[len(lines)-80:]
		}
		p.t.Logf("last lines of %s:\n%s", what, strings.Join(lines, "\n"))
	}
}

func (p *platform) kubeconfig() string { return filepath.Join(p.dataDir, "kubeconfig") }

// kubectl runs kubectl against the management API and fails the test on error.
func (p *platform) kubectl(args ...string) string {
	p.t.Helper()
	out, err := p.kubectlErr(args...)
	if err != nil {
		p.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (p *platform) kubectlErr(args ...string) (string, error) {
	return runKubectl(p.kubeconfig(), "", args...)
}

func runKubectl(kubeconfig, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// eventually polls cond until it holds or the timeout passes.
func (p *platform) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	p.t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, detail := cond()
		if ok {
			if d := time.Since(start); d > 5*time.Second {
				p.t.Logf("waited %s for %s", d.Round(100*time.Millisecond), what)
			}
			return
		}
		last = detail
		select {
		case <-p.exited:
			if p.cmd.ProcessState != nil && !p.cmd.ProcessState.Exited() {
				break
			}
			p.dumpLogs()
			p.t.Fatalf("kumo up exited while waiting for %s", what)
		default:
		}
		time.Sleep(500 * time.Millisecond)
	}
	p.dumpLogs()
	p.t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
}

// jsonpath reads one field with kubectl: resource is e.g. "cluster/demo",
// extra args e.g. "-n", "team-a".
func (p *platform) jsonpath(resource, path string, extra ...string) string {
	args := append([]string{"get", resource, "-o", "jsonpath={" + path + "}"}, extra...)
	out, _ := p.kubectlErr(args...)
	return strings.TrimSpace(out)
}

// tenantKubeconfig extracts the admin kubeconfig of a cluster in the
// default namespace.
func (p *platform) tenantKubeconfig(cluster string) string {
	p.t.Helper()
	return p.tenantKubeconfigIn("default", cluster)
}

// tenantKubeconfigIn extracts the admin kubeconfig of a cluster.
func (p *platform) tenantKubeconfigIn(namespace, cluster string) string {
	p.t.Helper()
	var kc string
	p.eventually(time.Minute, "kubeconfig secret of "+cluster, func() (bool, string) {
		out, err := p.kubectlErr("get", "secret", cluster+"-kubeconfig", "-n", namespace, "-o", "jsonpath={.data.value}")
		kc = out
		return err == nil && out != "", out
	})
	data, err := base64.StdEncoding.DecodeString(kc)
	if err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(p.t.TempDir(), cluster+".kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// simServers reads the sim cloud's servers from (a copy of) its state file,
// through the sim package itself.
func (p *platform) simServers() []cloud.Server {
	p.t.Helper()
	data, err := os.ReadFile(filepath.Join(p.dataDir, "sim.json"))
	if err != nil {
		p.t.Fatal(err)
	}
	copyPath := filepath.Join(p.t.TempDir(), "sim.json")
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		p.t.Fatal(err)
	}
	c, err := sim.New(sim.Options{StatePath: copyPath})
	if err != nil {
		p.t.Fatal(err)
	}
	var out []cloud.Server
	for _, region := range []string{"tokyo-1", "osaka-1"} {
		servers, err := c.ListServers(context.Background(), region, nil)
		if err != nil && !cloud.IsNotFound(err) {
			p.t.Fatal(err)
		}
		out = append(out, servers...)
	}
	return out
}

// pidsMatching lists processes whose command line mentions s.
func pidsMatching(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(s)) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && bytes.Contains(st, []byte(") Z ")) {
			continue // a zombie is already dead
		}
		out = append(out, pid)
	}
	return out
}
