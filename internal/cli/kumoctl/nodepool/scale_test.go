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

func TestNewCmdScale(t *testing.T) {
	tests := map[string]struct {
		args []string      // after `kumoctl nodepool scale`
		want *ScaleOptions // what the run gets, without f; nil when refused
		code int           // exit code when refused
		err  string        // part of the error when refused
	}{
		"scale":               {args: []string{"demo", "gpu", "--nodes", "3"}, want: &ScaleOptions{Cluster: "demo", Pool: "gpu", Nodes: 3, WaitOptions: defaultWait}},
		"to zero and waiting": {args: []string{"demo", "gpu", "--nodes", "0", "--wait", "--timeout", "1m"}, want: &ScaleOptions{Cluster: "demo", Pool: "gpu", Nodes: 0, WaitOptions: waitFor(true, time.Minute)}},
		"--nodes is required": {args: []string{"demo", "gpu"}, code: cmdutil.ExitUsage, err: "--nodes is required"},
		"pool is required":    {args: []string{"demo", "--nodes", "1"}, code: cmdutil.ExitUsage, err: "missing POOL"},
		"negative nodes":      {args: []string{"demo", "gpu", "--nodes=-2"}, code: cmdutil.ExitUsage, err: "between 0 and 1000, not -2"},
		"nodes not a number":  {args: []string{"demo", "gpu", "--nodes", "1.5"}, code: cmdutil.ExitUsage, err: "invalid argument"},
		"too many arguments":  {args: []string{"demo", "gpu", "x", "--nodes", "1"}, code: cmdutil.ExitUsage, err: "too many arguments"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *ScaleOptions
			cmd := NewCmdScale(env.F, func(_ context.Context, o *ScaleOptions) error { got = o; return nil })
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

func TestScaleRun(t *testing.T) {
	tests := map[string]struct {
		opts   ScaleOptions      // the command's inputs, without f
		extra  []client.Object   // objects besides cmdtest.World
		code   int               // the exit code
		stderr string            // part of the message (on stderr, or the error)
		pools  []kumov1.NodePool // the cluster's pools afterwards
	}{
		"scale out": {
			opts:   ScaleOptions{Cluster: "demo", Pool: "gpu", Nodes: 3},
			stderr: "Scaling pool gpu of demo from 1 to 3 nodes\n",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 3, Flavor: "g1.large"}},
		},
		"scale in needs no capacity": {
			opts:   ScaleOptions{Cluster: "batch", Pool: "default", Nodes: 1},
			stderr: "Scaling pool default of batch from 5 to 1 nodes\n",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 1, Flavor: "m1.xlarge"}},
		},
		"the same size is unchanged": {
			opts:   ScaleOptions{Cluster: "demo", Pool: "default", Nodes: 3},
			stderr: "Pool default of demo already has 3 nodes (unchanged)\n",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
		},
		"only the added nodes need room": {
			// 8 more g1.large need 32 vCPUs, exactly what tokyo-1 has free.
			opts:   ScaleOptions{Cluster: "demo", Pool: "gpu", Nodes: 9},
			stderr: "from 1 to 9 nodes",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 9, Flavor: "g1.large"}},
		},
		"more than the region has free": {
			opts:   ScaleOptions{Cluster: "demo", Pool: "gpu", Nodes: 10},
			code:   cmdutil.ExitFailed,
			stderr: "region tokyo-1 is full: 9 x g1.large needs 36 vCPUs, 32 free",
			pools:  []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
		},
		"an unknown pool names the pools": {
			opts:   ScaleOptions{Cluster: "demo", Pool: "gpus", Nodes: 2},
			code:   cmdutil.ExitNotFound,
			stderr: `cluster demo has no node pool "gpus"; pools: default, gpu`,
		},
		"an unknown cluster names the close ones": {
			opts:   ScaleOptions{Cluster: "bach", Pool: "default", Nodes: 2},
			code:   cmdutil.ExitNotFound,
			stderr: `cluster "bach" not found in namespace "team-a"; did you mean "batch"?`,
		},
		"--wait reports a machine the region cannot place": {
			opts:   ScaleOptions{Cluster: "demo", Pool: "gpu", Nodes: 2, WaitOptions: waitFor(true, time.Minute)},
			extra:  []client.Object{stuckMachine()},
			code:   cmdutil.ExitFailed,
			stderr: "demo: machine demo-gpu-zz9xx: no hypervisor has 4 vCPUs free",
		},
		"--wait returns once the cluster is Ready": {
			opts:   ScaleOptions{Cluster: "demo", Pool: "default", Nodes: 3, WaitOptions: waitFor(true, time.Minute)},
			stderr: "demo: 3/3 nodes ready (0s)\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, world(tc.extra...)...)
			o := tc.opts
			o.f = env.F
			err := scaleRun(context.Background(), &o)
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
