package cluster

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdDescribe(t *testing.T) {
	tests := map[string]struct {
		args []string         // after `kumoctl cluster describe`
		want *DescribeOptions // what the run gets, without f; nil when refused
		code int              // exit code when refused
		err  string           // part of the error when refused
	}{
		"describe":      {args: []string{"demo"}, want: &DescribeOptions{Name: "demo"}},
		"name required": {code: cmdutil.ExitUsage, err: "missing NAME; usage: kumoctl describe NAME"},
		"one name":      {args: []string{"demo", "batch"}, code: cmdutil.ExitUsage, err: `too many arguments ["batch"]`},
		"no -o":         {args: []string{"demo", "-o", "yaml"}, code: cmdutil.ExitUsage, err: "unknown shorthand flag: 'o'"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *DescribeOptions
			cmd := NewCmdDescribe(env.F, func(_ context.Context, o *DescribeOptions) error { got = o; return nil })
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
