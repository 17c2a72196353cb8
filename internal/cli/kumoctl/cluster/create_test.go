package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// defaultWait is what --wait and --timeout give when not set.
var defaultWait = cmdutil.WaitOptions{Timeout: 10 * time.Minute}

func TestNewCmdCreate(t *testing.T) {
	required := []string{"--version", "1.36", "--region", "tokyo-1"}
	tests := map[string]struct {
		args []string       // after `kumoctl cluster create`
		want *CreateOptions // what the run gets, without f; nil when refused
		code int            // exit code when refused
		err  string         // part of the error when refused
	}{
		"defaults": {
			args: []string{"demo"},
			want: &CreateOptions{Name: "demo", Nodes: 3, Flavor: "m1.medium", Pool: "default", Output: "table", WaitOptions: defaultWait},
		},
		"version and region": {
			args: append([]string{"demo"}, required...),
			want: &CreateOptions{Name: "demo", Version: "1.36", Region: "tokyo-1", Nodes: 3, Flavor: "m1.medium", Pool: "default", Output: "table", WaitOptions: defaultWait},
		},
		"every flag": {
			args: []string{"batch", "--version", "1.35.5", "--region", "osaka-1", "--nodes", "0", "--flavor", "m1.xlarge", "--pool", "jobs", "-o", "yaml", "--wait", "--timeout", "20m"},
			want: &CreateOptions{Name: "batch", Version: "1.35.5", Region: "osaka-1", Nodes: 0, Flavor: "m1.xlarge", Pool: "jobs", Output: "yaml",
				WaitOptions: cmdutil.WaitOptions{Wait: true, Timeout: 20 * time.Minute}},
		},
		"-o name":            {args: append([]string{"demo", "-o", "name"}, required...), want: &CreateOptions{Name: "demo", Version: "1.36", Region: "tokyo-1", Nodes: 3, Flavor: "m1.medium", Pool: "default", Output: "name", WaitOptions: defaultWait}},
		"name required":      {args: required, code: cmdutil.ExitUsage, err: "missing NAME"},
		"one name":           {args: append([]string{"a", "b"}, required...), code: cmdutil.ExitUsage, err: `too many arguments ["b"]`},
		"invalid name":       {args: append([]string{"Demo"}, required...), code: cmdutil.ExitUsage, err: `invalid cluster name "Demo"`},
		"name too long":      {args: append([]string{strings.Repeat("a", 41)}, required...), code: cmdutil.ExitUsage, err: "at most 40 characters"},
		"invalid pool name":  {args: append([]string{"demo", "--pool", "my_pool"}, required...), code: cmdutil.ExitUsage, err: `invalid pool name "my_pool"`},
		"negative nodes":     {args: append([]string{"demo", "--nodes=-1"}, required...), code: cmdutil.ExitUsage, err: "--nodes must be between 0 and 1000, not -1"},
		"too many nodes":     {args: append([]string{"demo", "--nodes", "1001"}, required...), code: cmdutil.ExitUsage, err: "--nodes must be between 0 and 1000, not 1001"},
		"nodes not a number": {args: append([]string{"demo", "--nodes", "many"}, required...), code: cmdutil.ExitUsage, err: `invalid argument "many"`},
		"no wide output":     {args: append([]string{"demo", "-o", "wide"}, required...), code: cmdutil.ExitUsage, err: `unknown output format "wide"`},
		"invalid --timeout":  {args: append([]string{"demo", "--timeout", "10"}, required...), code: cmdutil.ExitUsage, err: "missing unit in duration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *CreateOptions
			cmd := NewCmdCreate(env.F, func(_ context.Context, o *CreateOptions) error { got = o; return nil })
			err := cmdtest.Execute(env, cmd, tc.args...)
			if tc.want == nil {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
				g.Expect(got).To(BeNil(), "the run must not start")
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tc.want.f = env.F
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

// markDefault marks a KubernetesRelease or Region of the env as the
// default, as an operator does.
func markDefault(t *testing.T, env *cmdtest.Env, obj client.Object, name string) {
	t.Helper()
	c := env.Client()
	if err := c.Get(context.Background(), client.ObjectKey{Name: name}, obj); err != nil {
		t.Fatal(err)
	}
	switch o := obj.(type) {
	case *kumov1.KubernetesRelease:
		o.Spec.Default = true
	case *kumov1.Region:
		o.Spec.Default = true
	}
	if err := c.Update(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

func TestCreateRun(t *testing.T) {
	defaults := CreateOptions{Name: "web", Nodes: 3, Flavor: "m1.medium", Pool: "default", Output: cmdutil.OutputName}
	with := func(mutate func(*CreateOptions)) CreateOptions {
		o := defaults
		mutate(&o)
		return o
	}
	tests := map[string]struct {
		opts    CreateOptions // the command's inputs, without f
		marked  string        // the region the operator marked default, with release 1.35.5
		free    int64         // when not 0, osaka-1's free vCPUs (World has it full)
		code    int           // the exit code
		stderr  string        // what is said (or the error)
		version string        // the cluster's spec.version after
		region  string        // the cluster's spec.region after
	}{
		"the newest Supported version, the region with the most free vCPUs": {
			opts:    defaults,
			stderr:  "Cluster web created in team-a: Kubernetes 1.36 (default), 3 x m1.medium in tokyo-1 (default: most free vCPUs)\n",
			version: "1.36", region: "tokyo-1",
		},
		"the version and region the operator marked, with less room": {
			opts: defaults, marked: "osaka-1", free: 6,
			stderr:  "Cluster web created in team-a: Kubernetes 1.35 (default), 3 x m1.medium in osaka-1 (default region)\n",
			version: "1.35", region: "osaka-1",
		},
		"the region the operator marked is full": {
			opts: defaults, marked: "osaka-1", free: 4,
			stderr:  "Cluster web created in team-a: Kubernetes 1.35 (default), 3 x m1.medium in tokyo-1 (default: osaka-1 is full; most free vCPUs)\n",
			version: "1.35", region: "tokyo-1",
		},
		"the region the operator marked is not Ready": {
			opts: defaults, marked: "nagoya-1",
			stderr:  "Cluster web created in team-a: Kubernetes 1.35 (default), 3 x m1.medium in tokyo-1 (default: nagoya-1 is not Ready; most free vCPUs)\n",
			version: "1.35", region: "tokyo-1",
		},
		"the region the operator marked lacks the flavor": {
			opts: with(func(o *CreateOptions) { o.Flavor = "m1.small" }), marked: "osaka-1", free: 100,
			stderr:  "Cluster web created in team-a: Kubernetes 1.35 (default), 3 x m1.small in tokyo-1 (default: osaka-1 does not offer m1.small; most free vCPUs)\n",
			version: "1.35", region: "tokyo-1",
		},
		"flags win": {
			opts: with(func(o *CreateOptions) { o.Version, o.Region = "1.36.2", "tokyo-1" }), marked: "osaka-1", free: 100,
			stderr:  "Cluster web created in team-a: Kubernetes 1.36.2, 3 x m1.medium in tokyo-1\n",
			version: "1.36.2", region: "tokyo-1",
		},
		"no region has room": {
			opts: with(func(o *CreateOptions) { o.Nodes, o.Flavor = 5, "m1.xlarge" }),
			code: cmdutil.ExitFailed, stderr: "no region has room for 5 x m1.xlarge: tokyo-1 has 32 vCPUs free (40 needed), nagoya-1 is not Ready, osaka-1 has 0 vCPUs free (40 needed)",
		},
		// batch exists in osaka-1, which is full with its own VMs among
		// others: running create again (after --wait gave up, say) checks no
		// capacity and picks no defaults.
		"again: the same spec in a full region": {
			opts: with(func(o *CreateOptions) {
				o.Name, o.Version, o.Region, o.Nodes, o.Flavor = "batch", "1.36", "osaka-1", 5, "m1.xlarge"
			}),
			stderr:  "Cluster batch already exists in team-a (unchanged)\n",
			version: "1.36", region: "osaka-1",
		},
		"again: the same spec, the region left to the default that has no room": {
			opts:    with(func(o *CreateOptions) { o.Name, o.Nodes, o.Flavor = "batch", 5, "m1.xlarge" }),
			stderr:  "Cluster batch already exists in team-a (unchanged)\n",
			version: "1.36", region: "osaka-1",
		},
		"again: another spec": {
			opts: with(func(o *CreateOptions) { o.Name, o.Region, o.Nodes, o.Flavor = "batch", "osaka-1", 6, "m1.xlarge" }),
			code: cmdutil.ExitError, stderr: `cluster "batch" already exists in "team-a" with a different spec`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			if tc.free != 0 {
				env.SetFreeVCPUs("osaka-1", tc.free)
			}
			if tc.marked != "" {
				markDefault(t, env, &kumov1.KubernetesRelease{}, "v1.35.5")
				markDefault(t, env, &kumov1.Region{}, tc.marked)
			}
			o := tc.opts
			o.f = env.F
			key := client.ObjectKey{Namespace: cmdtest.Namespace, Name: o.Name}
			var before, cl kumov1.Cluster
			_ = env.Client().Get(context.Background(), key, &before) // absent unless the test is of a rerun
			err := createRun(context.Background(), &o)
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code), "error: %v", err)
			getErr := env.Client().Get(context.Background(), key, &cl)
			if before.ResourceVersion != "" {
				g.Expect(getErr).NotTo(HaveOccurred())
				g.Expect(cl.ResourceVersion).To(Equal(before.ResourceVersion), "an existing cluster must not change")
			}
			if err != nil {
				g.Expect(err.Error()).To(ContainSubstring(tc.stderr))
				if before.ResourceVersion == "" {
					g.Expect(apierrors.IsNotFound(getErr)).To(BeTrue(), "a refused create leaves nothing behind")
				}
				return
			}
			g.Expect(env.ErrOut.String()).To(Equal(tc.stderr))
			g.Expect(env.Out.String()).To(Equal("cluster/" + o.Name + "\n"))
			g.Expect(getErr).NotTo(HaveOccurred())
			g.Expect(cl.Spec.Version).To(Equal(tc.version))
			g.Expect(cl.Spec.Region).To(Equal(tc.region))
			g.Expect(cl.Spec.NodePools).To(Equal(o.nodePools()))
		})
	}

	// web exists; what happens before it is created again.
	again := map[string]func(*cmdtest.Env) *missesOnce{
		"with defaults that changed since": func(env *cmdtest.Env) *missesOnce {
			markDefault(t, env, &kumov1.KubernetesRelease{}, "v1.35.5")
			markDefault(t, env, &kumov1.Region{}, "nagoya-1")
			return nil
		},
		"losing the race to another create": func(env *cmdtest.Env) *missesOnce {
			// The other create lands between this one's read and its create.
			racing := &missesOnce{Client: env.Client()}
			env.F.Client = func() (client.Client, error) { return racing, nil }
			return racing
		},
	}
	for name, meddle := range again {
		t.Run("again "+name+" is unchanged", func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			o := defaults
			o.f = env.F
			g.Expect(createRun(context.Background(), &o)).To(Succeed())
			racing := meddle(env)
			env.ErrOut.Reset()
			g.Expect(createRun(context.Background(), &o)).To(Succeed())
			g.Expect(env.ErrOut.String()).To(Equal("Cluster web already exists in team-a (unchanged)\n"))
			if racing != nil {
				g.Expect(racing.missed).To(BeTrue(), "the create raced")
			}
		})
	}
}

// missesOnce is a client whose first read of a Cluster finds nothing, as
// if another create made it just after.
type missesOnce struct {
	client.Client
	missed bool
}

func (c *missesOnce) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*kumov1.Cluster); ok && !c.missed {
		c.missed = true
		return apierrors.NewNotFound(schema.GroupResource{Group: kumov1.GroupVersion.Group, Resource: "clusters"}, key.Name)
	}
	return c.Client.Get(ctx, key, obj, opts...)
}
