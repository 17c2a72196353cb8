package nodepool

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdDelete(t *testing.T) {
	tests := map[string]struct {
		args []string       // after `kumoctl nodepool delete`
		want *DeleteOptions // what the run gets, without f; nil when refused
		code int            // exit code when refused
		err  string         // part of the error when refused
	}{
		"asks by default":    {args: []string{"demo", "gpu"}, want: &DeleteOptions{Cluster: "demo", Pool: "gpu", WaitOptions: defaultWait}},
		"--yes --wait":       {args: []string{"demo", "gpu", "--yes", "--wait", "--timeout", "2m"}, want: &DeleteOptions{Cluster: "demo", Pool: "gpu", Yes: true, WaitOptions: waitFor(true, 2*time.Minute)}},
		"-y":                 {args: []string{"demo", "gpu", "-y"}, want: &DeleteOptions{Cluster: "demo", Pool: "gpu", Yes: true, WaitOptions: defaultWait}},
		"pool is required":   {args: []string{"demo"}, code: cmdutil.ExitUsage, err: "missing POOL"},
		"too many arguments": {args: []string{"demo", "gpu", "default"}, code: cmdutil.ExitUsage, err: `too many arguments ["default"]`},
		"--yes takes no value": {
			args: []string{"demo", "gpu", "--yes=maybe"}, code: cmdutil.ExitUsage, err: "invalid argument",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *DeleteOptions
			cmd := NewCmdDelete(env.F, func(_ context.Context, o *DeleteOptions) error { got = o; return nil })
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

func TestDeleteRun(t *testing.T) {
	demoPools := []kumov1.NodePool{{Name: "default", Replicas: 3, Flavor: "m1.medium"}, {Name: "gpu", Replicas: 1, Flavor: "g1.large"}}
	tests := map[string]struct {
		opts     DeleteOptions     // the command's inputs, without f
		terminal bool              // whether stdout is a terminal
		answer   string            // typed at the confirmation prompt
		code     int               // the exit code
		stderr   string            // part of the message (on stderr, or the error)
		pools    []kumov1.NodePool // the cluster's pools afterwards
		report   string            // the progress line after which the platform reports the change applied
	}{
		"--yes deletes": {
			opts:   DeleteOptions{Cluster: "demo", Pool: "gpu", Yes: true},
			stderr: "Deleting node pool gpu of demo\n",
			pools:  demoPools[:1],
		},
		"the confirmed pool is deleted": {
			opts: DeleteOptions{Cluster: "demo", Pool: "gpu"}, terminal: true, answer: "gpu\n",
			stderr: "This deletes node pool gpu of cluster demo in team-a with its 1 nodes; their pods are evicted.\nType \"gpu\" to confirm: Deleting node pool gpu of demo\n",
			pools:  demoPools[:1],
		},
		"a wrong answer deletes nothing": {
			opts: DeleteOptions{Cluster: "demo", Pool: "gpu"}, terminal: true, answer: "demo\n",
			code: cmdutil.ExitError, stderr: "not confirmed; nothing deleted",
			pools: demoPools,
		},
		"without a terminal --yes is required": {
			opts: DeleteOptions{Cluster: "demo", Pool: "gpu"},
			code: cmdutil.ExitUsage, stderr: "refusing to delete node pool gpu of demo without confirmation: pass --yes",
			pools: demoPools,
		},
		"a missing pool is nothing to delete": {
			opts:   DeleteOptions{Cluster: "demo", Pool: "batch"},
			stderr: "Node pool batch does not exist in cluster demo (nothing to delete)\n",
			pools:  demoPools,
		},
		"the last pool says the cluster has none left": {
			opts:   DeleteOptions{Cluster: "batch", Pool: "default", Yes: true},
			stderr: "Deleting node pool default of batch\nCluster batch has no node pools left",
			pools:  []kumov1.NodePool{},
		},
		"an unknown cluster is not found": {
			opts:   DeleteOptions{Cluster: "dem", Pool: "gpu", Yes: true},
			code:   cmdutil.ExitNotFound,
			stderr: `cluster "dem" not found in namespace "team-a"; did you mean "demo"?`,
		},
		"--wait waits until the platform has applied the change": {
			opts:   DeleteOptions{Cluster: "demo", Pool: "gpu", Yes: true, WaitOptions: waitFor(true, time.Minute)},
			stderr: "Deleting node pool gpu of demo\ndemo: waiting for the platform to pick up the change (0s)\ndemo: Ready, nodes 3/3 ready (0s)\n",
			pools:  demoPools[:1],
			report: "demo: waiting for the platform to pick up the change",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			env.F.IOStreams.SetTerminal(tc.terminal)
			env.In.WriteString(tc.answer)
			o := tc.opts
			o.f = env.F
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var reported <-chan error
			if tc.report != "" {
				errOut := &lockedWriter{w: env.ErrOut}
				env.F.IOStreams.ErrOut = errOut
				reported = reportApplied(ctx, t, env, tc.opts.Cluster, func() bool { return strings.Contains(errOut.String(), tc.report) })
			}
			err := deleteRun(ctx, &o)
			if reported != nil {
				cancel()
				g.Expect(<-reported).To(Succeed())
			}
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code), "error: %v", err)
			if err != nil {
				g.Expect(err.Error() + env.ErrOut.String()).To(ContainSubstring(tc.stderr))
			} else {
				g.Expect(env.ErrOut.String()).To(ContainSubstring(tc.stderr))
			}
			if tc.pools != nil {
				g.Expect(pools(t, env, tc.opts.Cluster)).To(ConsistOf(tc.pools))
			}
		})
	}
}
