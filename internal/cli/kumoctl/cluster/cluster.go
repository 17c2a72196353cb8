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
		Example: `  kumoctl cluster create demo --wait
  kumoctl cluster create batch --version 1.36 --region tokyo-1 --nodes 5 --wait
  kumoctl cluster list
  kumoctl cluster describe demo
  kumoctl cluster scale demo --nodes 5 --wait
  kumoctl cluster delete demo --yes`,
	}
	cmdutil.Group(cmd)
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
