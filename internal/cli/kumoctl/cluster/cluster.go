// Package cluster holds the `kumoctl cluster` commands, one per file.
package cluster

import (
	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdCluster groups the cluster commands.
func NewCmdCluster(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "cluster",
		Aliases: []string{"clusters"},
		Short:   "Create, list, inspect, scale and delete your team's clusters",
		Long: `A cluster is a Kubernetes control plane run by the platform plus node pools of
VMs in one region. Your team's clusters live in your team's namespace.`,
	}
	cmd.AddCommand(
		NewCmdCreate(f, nil),
		NewCmdList(f, nil),
		NewCmdGet(f, nil),
		NewCmdDescribe(f, nil),
		NewCmdScale(f, nil),
		NewCmdDelete(f, nil),
	)
	return cmd
}

// completeClusterNames completes the first argument with cluster names.
func completeClusterNames(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cmdutil.ClusterNames(cmd.Context(), f), cobra.ShellCompDirectiveNoFileComp
	}
}
