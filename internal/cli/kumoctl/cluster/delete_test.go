package cluster

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdDelete(t *testing.T) {
	tests := map[string]struct {
		args []string       // after `kumoctl cluster delete`
		want *DeleteOptions // what the run gets, without f; nil when refused
		code int            // exit code when refused
		err  string         // part of the error when refused
	}{
		"asks by default": {args: []string{"demo"}, want: &DeleteOptions{Name: "demo", WaitOptions: defaultWait}},
		"--yes --wait":    {args: []string{"demo", "--yes", "--wait", "--timeout", "15m"}, want: &DeleteOptions{Name: "demo", Yes: true, WaitOptions: cmdutil.WaitOptions{Wait: true, Timeout: 15 * time.Minute}}},
		"-y -w":           {args: []string{"demo", "-yw"}, want: &DeleteOptions{Name: "demo", Yes: true, WaitOptions: cmdutil.WaitOptions{Wait: true, Timeout: 10 * time.Minute}}},
		"name required":   {code: cmdutil.ExitUsage, err: "missing NAME"},
		"one at a time":   {args: []string{"demo", "batch"}, code: cmdutil.ExitUsage, err: `too many arguments ["batch"]`},
		"unknown flag":    {args: []string{"demo", "--force"}, code: cmdutil.ExitUsage, err: "unknown flag: --force"},
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
