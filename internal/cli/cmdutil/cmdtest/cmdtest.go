package cmdtest

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// Update makes Golden rewrite the golden files instead of comparing.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output")

// Now is the pinned clock of test factories.
var Now = time.Date(2026, time.May, 4, 12, 0, 0, 0, time.UTC)

// Namespace is the team namespace of test factories.
const Namespace = "team-a"

// Env is a Factory wired to a real management API server (etcd and
// kube-apiserver with Kumo's CRDs, shared by the tests of a package), and
// the buffers behind its streams.
type Env struct {
	F      *cmdutil.Factory
	In     *bytes.Buffer
	Out    *bytes.Buffer
	ErrOut *bytes.Buffer
	// Kubeconfig is the user's kubeconfig file that F.KubeconfigAccess
	// reads and writes; it does not exist until something writes it.
	Kubeconfig string

	t    testing.TB
	objs []client.Object
	as   *identity // who F acts as; nil: the administrator

	mu   sync.Mutex
	srv  *server       // set once the API holds objs
	user client.Client // F's client when as is set
}

// New returns an Env whose management API holds objs and nothing else of
// Kumo's (Clusters, Machines, Regions, KubernetesReleases, TeamQuotas) and
// nothing else in the team namespaces (Secrets, Events). The API is prepared on first
// use, by F.Client or Client: a test that never talks to the API (flags,
// --help) needs no server and runs under -short; one that does is skipped
// under -short.
//
// objs are created as a client would create them, then their status is
// written through the status subresource. An Event's regarding and related
// objects that name no UID get the UIDs of the objects created before it. The API server sets
// creationTimestamp; an object that sets it is stored with it afterwards,
// so that ages relative to the pinned clock Now are as the object says.
// Tests using New share the server and must not run in parallel.
func New(t testing.TB, objs ...client.Object) *Env {
	t.Helper()
	ios, in, out, errOut := cmdutil.Test()
	e := &Env{t: t, In: in, Out: out, ErrOut: errOut, Kubeconfig: filepath.Join(t.TempDir(), "config")}
	for _, o := range objs {
		e.objs = append(e.objs, o.DeepCopyObject().(client.Object))
	}
	e.F = &cmdutil.Factory{
		IOStreams: ios,
		Client: func() (client.Client, error) {
			srv := e.prepare()
			if e.user != nil {
				return e.user, nil
			}
			return srv.admin, nil
		},
		Namespace: func() (string, error) { return Namespace, nil },
		KubeconfigAccess: func() clientcmd.ConfigAccess {
			return &clientcmd.ClientConfigLoadingRules{Precedence: []string{e.Kubeconfig}}
		},
		Now:          func() time.Time { return Now },
		PollInterval: 10 * time.Millisecond,
	}
	return e
}

// Client returns a client of the management API with every right, to set
// things up and look at what a command did, also when F acts as a
// restricted user (As). It prepares the API on first use, like F.Client.
func (e *Env) Client() client.Client {
	e.t.Helper()
	return e.prepare().admin
}

// SetFreeVCPUs makes a region that reports its capacity report free vCPUs
// free, as if VMs had come or gone.
func (e *Env) SetFreeVCPUs(region string, free int64) {
	e.t.Helper()
	c := e.Client()
	var r kumov1.Region
	if err := c.Get(context.Background(), client.ObjectKey{Name: region}, &r); err != nil {
		e.t.Fatalf("cmdtest: reading region %s: %v", region, err)
	}
	r.Status.UsedVCPUs = r.Status.VCPUs - free
	if err := c.Status().Update(context.Background(), &r); err != nil {
		e.t.Fatalf("cmdtest: updating region %s: %v", region, err)
	}
}

// As makes F talk to the management API as user, whom RBAC allows in
// Namespace what rules allow and nothing else, e.g. to see what a command
// says when it is refused. Call it before the API is first used.
func (e *Env) As(user string, rules ...rbacv1.PolicyRule) *Env {
	e.t.Helper()
	if e.srv != nil {
		e.t.Fatal("cmdtest: As must come before the first use of the API")
	}
	e.as = &identity{User: user, Rules: rules}
	return e
}

// Golden compares got with the file at path, or rewrites the file when
// -update is given. A difference fails the test with a line diff.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file: %v (create it with `go test ./internal/cli/... -update`)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (- golden, + got); if the change is intended, run `go test ./internal/cli/... -update`:\n%s",
			path, Diff(string(want), got))
	}
}

// Diff is a line diff of a and b: "-" lines only in a, "+" lines only in b.
func Diff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			sb.WriteString("  " + x[i] + "\n")
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			sb.WriteString("- " + x[i] + "\n")
			i++
		default:
			sb.WriteString("+ " + y[j] + "\n")
			j++
		}
	}
	return sb.String()
}

// Execute runs cmd as kumoctl runs it, under a root command with kumoctl's
// global flags whose flag errors are usage errors, with env's streams.
func Execute(env *Env, cmd *cobra.Command, args ...string) error {
	root := &cobra.Command{Use: "kumoctl", SilenceUsage: true, SilenceErrors: true}
	(&cmdutil.ConfigFlags{}).AddFlags(root.PersistentFlags())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.UsageError("%v", err) })
	root.SetIn(env.In)
	root.SetOut(env.Out)
	root.SetErr(env.ErrOut)
	root.AddCommand(cmd)
	root.SetArgs(append([]string{cmd.Name()}, args...))
	return root.ExecuteContext(context.Background())
}
