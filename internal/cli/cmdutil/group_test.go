package cmdutil_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestGroup(t *testing.T) {
	tests := map[string]struct {
		args []string // after the group's name
		code int      // the exit code
		err  string   // the error, if any
		help bool     // whether the group's help is printed
	}{
		"alone prints its help":  {help: true},
		"a subcommand runs":      {args: []string{"scale"}},
		"a typo suggests":        {args: []string{"sclae"}, code: cmdutil.ExitUsage, err: `unknown command "sclae" for "kumoctl pool"; did you mean scale? (see kumoctl pool --help)`},
		"nothing close":          {args: []string{"frobnicate"}, code: cmdutil.ExitUsage, err: `unknown command "frobnicate" for "kumoctl pool" (see kumoctl pool --help)`},
		"hidden are not offered": {args: []string{"secre"}, code: cmdutil.ExitUsage, err: `unknown command "secre" for "kumoctl pool" (see kumoctl pool --help)`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			group := &cobra.Command{Use: "pool", Short: "Pools"}
			group.AddCommand(
				&cobra.Command{Use: "scale", RunE: func(*cobra.Command, []string) error { return nil }},
				&cobra.Command{Use: "secret", Hidden: true, RunE: func(*cobra.Command, []string) error { return nil }},
			)
			err := cmdtest.Execute(env, cmdutil.Group(group), tc.args...)
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
			if tc.err != "" {
				g.Expect(err).To(MatchError(tc.err))
			}
			if tc.help {
				g.Expect(env.Out.String()).To(ContainSubstring("Available Commands:\n  scale"))
			}
		})
	}
}

func TestCompleteClusterName(t *testing.T) {
	g := NewWithT(t)
	env := cmdtest.New(t, cmdtest.World()...)
	complete := cmdutil.CompleteClusterName(env.F)
	cmd := &cobra.Command{}
	cmd.SetContext(context.Background())
	names, directive := complete(cmd, nil, "")
	g.Expect(names).To(ConsistOf("demo", "batch"), "the clusters of team-a only")
	g.Expect(directive).To(Equal(cobra.ShellCompDirectiveNoFileComp))
	names, _ = complete(cmd, []string{"demo"}, "")
	g.Expect(names).To(BeEmpty(), "only the first argument is a cluster")
}
