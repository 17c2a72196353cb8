package nodepool

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdAdd(t *testing.T) {
	tests := map[string]struct {
		args []string    // after `kumoctl nodepool add`
		want *AddOptions // what the run gets, without f; nil when refused
		code int         // exit code when refused
		err  string      // part of the error when refused
	}{
		"defaults": {
			args: []string{"demo", "batch", "--nodes", "2"},
			want: &AddOptions{Cluster: "demo", Pool: "batch", Nodes: 2, Flavor: "m1.medium", WaitOptions: defaultWait},
		},
		"every flag": {
			args: []string{"demo", "batch", "--nodes", "0", "--flavor", "m1.xlarge", "-w", "--timeout", "90s"},
			want: &AddOptions{Cluster: "demo", Pool: "batch", Nodes: 0, Flavor: "m1.xlarge", WaitOptions: waitFor(true, 90*time.Second)},
		},
		"--nodes is required":   {args: []string{"demo", "batch"}, code: cmdutil.ExitUsage, err: "--nodes is required"},
		"pool is required":      {args: []string{"demo", "--nodes", "1"}, code: cmdutil.ExitUsage, err: "missing POOL"},
		"no arguments":          {args: []string{"--nodes", "1"}, code: cmdutil.ExitUsage, err: "missing CLUSTER and POOL"},
		"too many arguments":    {args: []string{"demo", "a", "b", "--nodes", "1"}, code: cmdutil.ExitUsage, err: "too many arguments"},
		"negative nodes":        {args: []string{"demo", "batch", "--nodes", "-1"}, code: cmdutil.ExitUsage, err: "between 0 and 1000"},
		"too many nodes":        {args: []string{"demo", "batch", "--nodes", "1001"}, code: cmdutil.ExitUsage, err: "between 0 and 1000"},
		"nodes not a number":    {args: []string{"demo", "batch", "--nodes", "three"}, code: cmdutil.ExitUsage, err: "invalid argument"},
		"invalid pool name":     {args: []string{"demo", "GPU_pool", "--nodes", "1"}, code: cmdutil.ExitUsage, err: `invalid pool name "GPU_pool"`},
		"pool name too long":    {args: []string{"demo", "p23456789012345678901234567890123456789012", "--nodes", "1"}, code: cmdutil.ExitUsage, err: "at most 40"},
		"invalid flavor":        {args: []string{"demo", "batch", "--nodes", "1", "--flavor", "large"}, code: cmdutil.ExitUsage, err: `invalid flavor "large"`},
		"unknown flag":          {args: []string{"demo", "batch", "--nodes", "1", "--size", "2"}, code: cmdutil.ExitUsage, err: "unknown flag: --size"},
		"invalid --timeout":     {args: []string{"demo", "batch", "--nodes", "1", "--timeout", "soon"}, code: cmdutil.ExitUsage, err: "invalid argument"},
		"global flags accepted": {args: []string{"demo", "batch", "--nodes", "1", "-n", "team-b"}, want: &AddOptions{Cluster: "demo", Pool: "batch", Nodes: 1, Flavor: "m1.medium", WaitOptions: defaultWait}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *AddOptions
			cmd := NewCmdAdd(env.F, func(_ context.Context, o *AddOptions) error { got = o; return nil })
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

func TestAddRun(t *testing.T) {
	tests := map[string]struct {
		opts   AddOptions        // the command's inputs, without f
		extra  []client.Object   // objects besides cmdtest.World
		code   int               // the exit code
		stderr string            // part of the message (on stderr, or the error)
		pools  []kumov1.NodePool // the cluster's pools afterwards
	}{
		"adds a pool": {
			opts:   AddOptions{Cluster: "demo", Pool: "batch", Nodes: 2, Flavor: "m1.xlarge"},
			stderr: "Node pool batch added to demo: 2 x m1.xlarge\n",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}, {Name: "batch", Replicas: 2, Flavor: "m1.xlarge"}},
		},
		"the same pool again is unchanged": {
			opts:   AddOptions{Cluster: "demo", Pool: "gpu", Nodes: 1, Flavor: "g1.large"},
			stderr: "Node pool gpu of demo already exists with 1 x g1.large (unchanged)\n",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
		},
		"a pool of that name with another size is refused": {
			opts:   AddOptions{Cluster: "demo", Pool: "gpu", Nodes: 2, Flavor: "g1.large"},
			code:   cmdutil.ExitUsage,
			stderr: `cluster demo already has a node pool "gpu" with 1 x g1.large; change its size with ` + "`kumoctl nodepool scale demo gpu --nodes N`",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
		},
		"a pool of that name with another flavor is refused": {
			opts: AddOptions{Cluster: "demo", Pool: "gpu", Nodes: 1, Flavor: "m1.small"},
			code: cmdutil.ExitUsage, stderr: `already has a node pool "gpu"`,
			pools: []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
		},
		"more vCPUs than the region has free": {
			opts: AddOptions{Cluster: "demo", Pool: "big", Nodes: 5, Flavor: "m1.xlarge"},
			code: cmdutil.ExitFailed, stderr: "region tokyo-1 is full: 5 x m1.xlarge needs 40 vCPUs, 32 free",
			pools: []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
		},
		"a flavor the region does not offer": {
			opts: AddOptions{Cluster: "demo", Pool: "tiny", Nodes: 1, Flavor: "t1.nano"},
			code: cmdutil.ExitUsage, stderr: `flavor "t1.nano" is not offered in tokyo-1; flavors: m1.small, m1.medium, m1.xlarge, g1.large`,
			pools: []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
		},
		"an empty pool fits anywhere": {
			opts:   AddOptions{Cluster: "batch", Pool: "spare", Nodes: 0, Flavor: "m1.xlarge"},
			stderr: "Node pool spare added to batch: 0 x m1.xlarge\n",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 5, Flavor: "m1.xlarge"}, {Name: "spare", Replicas: 0, Flavor: "m1.xlarge"}},
		},
		"an unknown cluster names the close ones": {
			opts: AddOptions{Cluster: "dmeo", Pool: "batch", Nodes: 1, Flavor: "m1.medium"},
			code: cmdutil.ExitNotFound, stderr: `cluster "dmeo" not found in namespace "team-a"; did you mean "demo"?`,
		},
		"--wait reports a machine the region cannot place": {
			opts:   AddOptions{Cluster: "demo", Pool: "batch", Nodes: 1, Flavor: "m1.medium", WaitOptions: waitFor(true, time.Minute)},
			extra:  []client.Object{stuckMachine()},
			code:   cmdutil.ExitFailed,
			stderr: "demo: machine demo-gpu-zz9xx: no hypervisor has 4 vCPUs free",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}, {Name: "batch", Replicas: 1, Flavor: "m1.medium"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, world(tc.extra...)...)
			o := tc.opts
			o.f = env.F
			err := addRun(context.Background(), &o)
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code), "error: %v", err)
			if err != nil {
				g.Expect(err.Error() + env.ErrOut.String()).To(ContainSubstring(tc.stderr))
			} else {
				g.Expect(env.ErrOut.String()).To(ContainSubstring(tc.stderr))
			}
			if tc.pools != nil {
				g.Expect(pools(t, env, tc.opts.Cluster)).To(Equal(tc.pools))
			}
		})
	}
}
