package cluster

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdScale(t *testing.T) {
	tests := map[string]struct {
		args []string      // after `kumoctl cluster scale`
		want *ScaleOptions // what the run gets, without f; nil when refused
		code int           // exit code when refused
		err  string        // part of the error when refused
	}{
		"the only pool":       {args: []string{"demo", "--nodes", "5"}, want: &ScaleOptions{Name: "demo", Nodes: 5, WaitOptions: defaultWait}},
		"a pool, waiting":     {args: []string{"demo", "--pool", "gpu", "--nodes", "0", "-w", "--timeout", "30s"}, want: &ScaleOptions{Name: "demo", Pool: "gpu", Nodes: 0, WaitOptions: cmdutil.WaitOptions{Wait: true, Timeout: 30 * time.Second}}},
		"--nodes is required": {args: []string{"demo"}, code: cmdutil.ExitUsage, err: "--nodes is required"},
		"negative nodes":      {args: []string{"demo", "--nodes=-3"}, code: cmdutil.ExitUsage, err: "--nodes must be between 0 and 1000, not -3"},
		"too many nodes":      {args: []string{"demo", "--nodes", "5000"}, code: cmdutil.ExitUsage, err: "not 5000"},
		"nodes not a number":  {args: []string{"demo", "--nodes", "+"}, code: cmdutil.ExitUsage, err: "invalid argument"},
		"name required":       {args: []string{"--nodes", "1"}, code: cmdutil.ExitUsage, err: "missing NAME"},
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
