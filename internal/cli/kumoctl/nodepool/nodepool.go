package nodepool

import (
	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdNodePool groups the node pool commands.
func NewCmdNodePool(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "nodepool",
		Aliases: []string{"nodepools", "np"},
		Short:   "List, add, scale and delete the node pools of a cluster",
		Long: `A node pool is a group of identical worker nodes of one cluster: a number of
VMs of one flavor. A cluster may have several pools, for example a default
pool for most workloads and a pool of bigger VMs for batch jobs. Nodes carry
the label kumo.dev/pool=<pool>, so pods can be scheduled onto a pool with a
nodeSelector.`,
		Example: `  kumoctl nodepool list demo
  kumoctl nodepool add demo batch --nodes 2 --flavor m1.xlarge --wait
  kumoctl nodepool scale demo batch --nodes 5
  kumoctl nodepool delete demo batch --yes`,
	}
	cmd.AddCommand(
		NewCmdList(f, nil),
		NewCmdAdd(f, nil),
		NewCmdScale(f, nil),
		NewCmdDelete(f, nil),
	)
	return cmdutil.Group(cmd)
}

// completeClusterThenPool completes CLUSTER with cluster names and POOL
// with the pools of that cluster.
func completeClusterThenPool(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return cmdutil.ClusterNames(cmd.Context(), f), cobra.ShellCompDirectiveNoFileComp
		case 1:
			cl, err := completionCluster(cmd, f, args[0])
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, p := range cl.Spec.NodePools {
				names = append(names, p.Name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFlavors completes --flavor with the flavors of the region of
// the cluster named by the first argument.
func completeFlavors(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cl, err := completionCluster(cmd, f, args[0])
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		region, err := cmdutil.GetRegion(cmd.Context(), c, cl.EffectiveRegion())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, fl := range region.Status.Flavors {
			names = append(names, fl.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

func completionCluster(cmd *cobra.Command, f *cmdutil.Factory, name string) (*kumov1.Cluster, error) {
	c, err := f.Client()
	if err != nil {
		return nil, err
	}
	ns, err := f.Namespace()
	if err != nil {
		return nil, err
	}
	return cmdutil.GetCluster(cmd.Context(), c, ns, name)
}
