package kumoctl_test

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
	"github.com/kumo-dev/kumo/internal/cli/kumoctl"
)

// run runs `kumoctl args...` against env, as Execute does.
func run(env *cmdtest.Env, args ...string) error {
	root := kumoctl.NewCmdRoot(env.F, &cmdutil.ConfigFlags{})
	root.SetArgs(args)
	return root.ExecuteContext(context.Background())
}

// tree returns the commands of kumoctl, depth first, as a user sees them:
// with cobra's help and completion commands, without hidden ones.
func tree(env *cmdtest.Env) []*cobra.Command {
	root := kumoctl.NewCmdRoot(env.F, &cmdutil.ConfigFlags{})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var out []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		out = append(out, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// cobraOwned reports whether cobra, not kumoctl, provides the command.
func cobraOwned(c *cobra.Command) bool {
	path := c.CommandPath()
	return path == "kumoctl help" || path == "kumoctl completion" || strings.HasPrefix(path, "kumoctl completion ")
}
