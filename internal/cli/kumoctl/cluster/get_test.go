package cluster

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdGet(t *testing.T) {
	tests := map[string]struct {
		args []string    // after `kumoctl cluster get`
		want *GetOptions // what the run gets, without f; nil when refused
		code int         // exit code when refused
		err  string      // part of the error when refused
	}{
		"table":          {args: []string{"demo"}, want: &GetOptions{Name: "demo", Output: "table"}},
		"yaml":           {args: []string{"demo", "-o", "yaml"}, want: &GetOptions{Name: "demo", Output: "yaml"}},
		"name required":  {code: cmdutil.ExitUsage, err: "missing NAME"},
		"one name":       {args: []string{"demo", "web"}, code: cmdutil.ExitUsage, err: "too many arguments"},
		"unknown output": {args: []string{"demo", "-o", "jsonpath"}, code: cmdutil.ExitUsage, err: `unknown output format "jsonpath"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *GetOptions
			cmd := NewCmdGet(env.F, func(_ context.Context, o *GetOptions) error { got = o; return nil })
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
