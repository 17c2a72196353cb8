package cmdutil

import "github.com/spf13/cobra"

// CompleteClusterName completes the first positional argument with the
// clusters of the current namespace, and nothing after it.
func CompleteClusterName(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return ClusterNames(cmd.Context(), f), cobra.ShellCompDirectiveNoFileComp
	}
}
