package cluster

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdList(t *testing.T) {
	tests := map[string]struct {
		args []string     // after `kumoctl cluster list`
		want *ListOptions // what the run gets, without f; nil when refused
		code int          // exit code when refused
		err  string       // part of the error when refused
	}{
		"table":                {want: &ListOptions{Output: "table"}},
		"all namespaces, wide": {args: []string{"-A", "-o", "wide"}, want: &ListOptions{AllNamespaces: true, Output: "wide"}},
		"long flags":           {args: []string{"--all-namespaces", "--output", "json"}, want: &ListOptions{AllNamespaces: true, Output: "json"}},
		"names":                {args: []string{"-oname"}, want: &ListOptions{Output: "name"}},
		"unknown output":       {args: []string{"-o", "csv"}, code: cmdutil.ExitUsage, err: `unknown output format "csv"`},
		"no arguments":         {args: []string{"demo"}, code: cmdutil.ExitUsage, err: `kumoctl list takes no arguments, got ["demo"]`},
		"unknown flag":         {args: []string{"--watch"}, code: cmdutil.ExitUsage, err: "unknown flag: --watch"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *ListOptions
			cmd := NewCmdList(env.F, func(_ context.Context, o *ListOptions) error { got = o; return nil })
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

// TestListRunWithoutClusters: an empty list suggests creating a cluster
// only to who may.
func TestListRunWithoutClusters(t *testing.T) {
	tests := map[string]struct {
		rules  []rbacv1.PolicyRule // what the caller may do in team-a; nil: everything
		all    bool                // -A
		stderr string              // what is said
	}{
		"who may create is told how":     {stderr: "No clusters in namespace \"team-a\". Create one with `kumoctl cluster create NAME`.\n"},
		"-A: creating in one's own team": {all: true, stderr: "No clusters in any namespace you may read. Create one with `kumoctl cluster create NAME`.\n"},
		"who may only read is told no more": {
			rules:  []rbacv1.PolicyRule{{APIGroups: []string{kumov1.GroupVersion.Group}, Resources: []string{"clusters"}, Verbs: []string{"get", "list"}}},
			stderr: "No clusters in namespace \"team-a\".\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			if tc.rules != nil {
				env.As("carol", tc.rules...)
			}
			g.Expect(listRun(context.Background(), &ListOptions{f: env.F, AllNamespaces: tc.all, Output: cmdutil.OutputTable})).To(Succeed())
			g.Expect(env.Out.String()).To(BeEmpty())
			g.Expect(env.ErrOut.String()).To(Equal(tc.stderr))
		})
	}
}
