package kumo

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// run runs kumo with args, as typed after "bin/kumo", and returns what it
// printed on stdout and stderr.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	self = "bin/kumo"
	root := NewRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestPlatformCommandsAreDocumented: the commands that work with a platform
// have a one-line Short, a Long, examples, and --data-dir.
func TestPlatformCommandsAreDocumented(t *testing.T) {
	for _, c := range NewRootCommand().Commands() {
		switch c.Name() {
		case "up", "status", "logs", "down", "kubectl":
		default:
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(c.Short).NotTo(BeEmpty())
			g.Expect(c.Short).NotTo(ContainSubstring("\n"))
			g.Expect(c.Long).NotTo(BeEmpty())
			g.Expect(c.Example).To(HavePrefix("  "))
			if c.Name() != "kubectl" { // parses its own
				g.Expect(c.Flags().Lookup("data-dir")).NotTo(BeNil())
			}
		})
	}
}

func TestSplitDataDir(t *testing.T) {
	tests := map[string]struct {
		args    []string
		dir     string
		rest    []string
		wantErr bool
	}{
		"none":            {args: []string{"get", "clusters"}, rest: []string{"get", "clusters"}},
		"two words":       {args: []string{"--data-dir", "/d", "get", "clusters"}, dir: "/d", rest: []string{"get", "clusters"}},
		"one word":        {args: []string{"--data-dir=/d", "get"}, dir: "/d", rest: []string{"get"}},
		"kubectl's after": {args: []string{"get", "--data-dir", "/d"}, rest: []string{"get", "--data-dir", "/d"}},
		"missing the dir": {args: []string{"--data-dir"}, wantErr: true},
		"an empty dir":    {args: []string{"--data-dir="}, wantErr: true},
		"no args at all":  {},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir, rest, err := splitDataDir(tt.args)
			if tt.wantErr {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(dir).To(Equal(tt.dir))
			g.Expect(rest).To(HaveExactElements(tt.rest))
		})
	}
}

func TestSetEnvReplaces(t *testing.T) {
	g := NewWithT(t)
	g.Expect(setEnv([]string{"A=1", "KUBECONFIG=/x", "B=2"}, "KUBECONFIG", "/y")).To(Equal([]string{"A=1", "B=2", "KUBECONFIG=/y"}))
}

// TestKubectlWithoutPlatform: kubectl is never pointed at a kubeconfig that
// does not exist (it would fall back to localhost:8080); kumo says where it
// looked and how to point it elsewhere.
func TestKubectlWithoutPlatform(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"--data-dir":    {"kubectl", "--data-dir", dir, "get", "clusters"},
		"--data-dir=":   {"kubectl", "--data-dir=" + dir, "get", "clusters"},
		"KUMO_DATA_DIR": {"kubectl", "get", "clusters"},
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			t.Setenv("KUMO_DATA_DIR", dir)
			t.Setenv("KUBECONFIG", "")
			if strings.HasPrefix(args[1], "--data-dir") {
				t.Setenv("KUBECONFIG", "/some/other/config") // --data-dir wins
			}
			_, _, err := run(t, args...)
			g.Expect(err).To(MatchError(ContainSubstring("no Kumo platform is running at " + dir)))
			g.Expect(err.Error()).To(ContainSubstring(`Start one with "bin/kumo up`))
			g.Expect(err.Error()).To(ContainSubstring("--data-dir DIR, KUMO_DATA_DIR=DIR, or the \"export KUBECONFIG=...\" line"))
		})
	}
}

func TestTenantAddWithoutPlatform(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	_, _, err := run(t, "tenant", "add", "team-a", "--user", "alice", "--data-dir", dir)
	g.Expect(err).To(MatchError(ContainSubstring("no Kumo platform is running at " + dir)))
	g.Expect(err.Error()).To(ContainSubstring(`"bin/kumo up --data-dir ` + dir + `"`))
}

// TestTenantAddFlags: --user may be left out only to change the quota;
// limits are numbers, which the API server checks (negative ones too), or
// "default".
func TestTenantAddFlags(t *testing.T) {
	tests := map[string]struct {
		args []string // after "tenant add team-a"
		err  string   // part of the error; "no Kumo platform" when the flags pass
	}{
		"nothing to do":          {err: "--user is required, unless --max-clusters, --max-nodes or --max-vcpus change only the team's quota"},
		"only the quota":         {args: []string{"--max-clusters", "3"}, err: "no Kumo platform is running"},
		"every limit":            {args: []string{"--user", "alice", "--max-clusters", "3", "--max-nodes", "30", "--max-vcpus", "120"}, err: "no Kumo platform is running"},
		"back to the default":    {args: []string{"--max-vcpus", "default"}, err: "no Kumo platform is running"},
		"negative, for the API":  {args: []string{"--max-nodes", "-1"}, err: "no Kumo platform is running"},
		"not a number":           {args: []string{"--max-nodes", "ten"}, err: `invalid argument "ten" for "--max-nodes" flag: "ten" is not a number, nor "default"`},
		"a kubeconfig of nobody": {args: []string{"--max-nodes", "3", "--out", "x.kubeconfig"}, err: "--out writes the kubeconfig of --user, which is missing"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			args := append([]string{"tenant", "add", "team-a", "--data-dir", t.TempDir()}, tc.args...)
			_, _, err := run(t, args...)
			g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
		})
	}
}

// TestSimLoadFlags: one of --machine, --hypervisor (each with --cpu) and
// --clear, or none to show the load.
func TestSimLoadFlags(t *testing.T) {
	tests := map[string]struct {
		args []string // after "sim load"
		err  string   // part of the error; "no Kumo platform" when the flags pass
	}{
		"show":                {err: "no Kumo platform is running"},
		"a machine":           {args: []string{"--machine", "team-a/web-default-0", "--cpu", "2"}, err: "no Kumo platform is running"},
		"a hypervisor":        {args: []string{"--hypervisor", "tokyo-1/tokyo-1-hv-001", "--cpu", "40.5"}, err: "no Kumo platform is running"},
		"clear":               {args: []string{"--clear"}, err: "no Kumo platform is running"},
		"no cores":            {args: []string{"--machine", "team-a/web-default-0"}, err: "--cpu CORES is required"},
		"cores of nobody":     {args: []string{"--cpu", "2"}, err: "--cpu needs --machine or --hypervisor"},
		"two at once":         {args: []string{"--machine", "a/b", "--clear"}, err: "give one of --machine, --hypervisor and --clear"},
		"negative":            {args: []string{"--hypervisor", "r/h", "--cpu", "-1"}, err: "--cpu -1: need a number of cores, 0 or more"},
		"not a number":        {args: []string{"--hypervisor", "r/h", "--cpu", "NaN"}, err: "--cpu NaN: need a number of cores"},
		"not a number at all": {args: []string{"--hypervisor", "r/h", "--cpu", "many"}, err: `invalid argument "many" for "--cpu" flag`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			args := append([]string{"sim", "load", "--data-dir", t.TempDir()}, tc.args...)
			_, _, err := run(t, args...)
			g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
		})
	}
}

func TestStatusWithoutPlatform(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	out, _, err := run(t, "status", "--data-dir", dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal("No Kumo platform is running at " + dir + ".\nStart one with: bin/kumo up --data-dir " + dir + "\n"))

	out, _, err = run(t, "status", "--data-dir", dir, "-o", "json")
	g.Expect(err).NotTo(HaveOccurred())
	var s map[string]any
	g.Expect(json.Unmarshal([]byte(out), &s)).To(Succeed())
	g.Expect(s).To(HaveKeyWithValue("running", false))
	g.Expect(s).To(HaveKeyWithValue("dataDir", dir))

	_, _, err = run(t, "status", "--data-dir", dir, "-o", "yaml")
	g.Expect(err).To(MatchError(`unknown output format "yaml"; only json`))
}

func TestDownWithoutPlatform(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	_, errOut, err := run(t, "down", "--data-dir", dir)
	g.Expect(err).NotTo(HaveOccurred(), "nothing to stop is not an error")
	g.Expect(errOut).To(Equal("Nothing to stop: no Kumo platform is running at " + dir + "\n"))
}

func TestLogs(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	g.Expect(os.MkdirAll(logs, 0o700)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(logs, "manager.log"), []byte("one\ntwo\nthree\n"), 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(logs, "etcd.log"), []byte("etcd\n"), 0o600)).To(Succeed())

	out, _, err := run(t, "logs", "--data-dir", dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal("one\ntwo\nthree\n"))
	out, _, err = run(t, "logs", "--data-dir", dir, "--tail", "2")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal("two\nthree\n"))
	out, _, err = run(t, "logs", "etcd", "--data-dir", dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal("etcd\n"))
	_, _, err = run(t, "logs", "team-a/demo", "--data-dir", dir)
	g.Expect(err).To(MatchError(ContainSubstring("no cluster team-a/demo")))
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestLogsFollow(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "manager.log")
	g.Expect(os.MkdirAll(filepath.Dir(path), 0o700)).To(Succeed())
	g.Expect(os.WriteFile(path, []byte("old\n"), 0o600)).To(Succeed())

	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- logsRun(ctx, &logsOptions{DataDir: dir, Follow: true, Tail: -1, Poll: 10 * time.Millisecond}, &out)
	}()
	g.Eventually(out.String).Should(Equal("old\n"))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	g.Expect(err).NotTo(HaveOccurred())
	_, _ = f.WriteString("new\n")
	_ = f.Close()
	g.Eventually(out.String).Should(Equal("old\nnew\n"))

	// Truncated (a new run's log): read again from the start.
	g.Expect(os.WriteFile(path, []byte("x\n"), 0o600)).To(Succeed())
	g.Eventually(out.String).Should(Equal("old\nnew\nx\n"))
	cancel()
	g.Eventually(done).Should(Receive(BeNil()))
}

// TestBenchTenantsFlags: bad flags are refused before any platform starts.
func TestBenchTenantsFlags(t *testing.T) {
	tests := map[string]struct {
		args []string // after `kumo bench tenants`
		want string   // in the error
	}{
		"no burst":       {[]string{"--burst", "0"}, "--burst and --storm-connections must be at least 1"},
		"no connections": {[]string{"--storm-connections", "0"}, "--burst and --storm-connections must be at least 1"},
		"no storm":       {[]string{"--storm-seconds", "0"}, "--storm-seconds must be positive"},
		"yaml":           {[]string{"-o", "yaml"}, "yaml"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, _, err := run(t, append([]string{"bench", "tenants", "--data-dir", t.TempDir()}, tt.args...)...)
			g.Expect(err).To(MatchError(ContainSubstring(tt.want)))
		})
	}
}
