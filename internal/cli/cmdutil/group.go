package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"
)

// Group makes cmd, a command that only groups subcommands, print its help
// when run alone and refuse an unknown subcommand with a usage error;
// cobra would print the help and exit 0, so a typo in a script would pass.
func Group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		hint := ""
		if close := Closest(args[0], names, 2); len(close) > 0 {
			hint = "; did you mean " + strings.Join(close, " or ") + "?"
		}
		return UsageError("unknown command %q for %q%s (see %s --help)", args[0], c.CommandPath(), hint, c.CommandPath())
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	return cmd
}
