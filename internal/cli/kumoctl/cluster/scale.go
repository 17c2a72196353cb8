package cluster

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// ScaleOptions are the inputs of `kumoctl cluster scale`.
type ScaleOptions struct {
	f     *cmdutil.Factory
	Name  string
	Nodes int32
	Pool  string
	cmdutil.WaitOptions
}

// NewCmdScale builds `kumoctl cluster scale`.
func NewCmdScale(f *cmdutil.Factory, runF func(context.Context, *ScaleOptions) error) *cobra.Command {
	o := &ScaleOptions{f: f}
	cmd := &cobra.Command{
		Use:   "scale NAME --nodes N [--pool POOL]",
		Short: "Change the number of nodes of a cluster's node pool",
		Long: `Set how many nodes a node pool has. Scaling out boots new VMs; scaling in
first drains the nodes it removes (cordon, then evict pods through the
eviction API so PodDisruptionBudgets are honoured), then deletes their VMs.

--pool may be left out when the cluster has a single pool.`,
		Example: `  kumoctl cluster scale demo --nodes 5 --wait
  kumoctl cluster scale demo --pool gpu --nodes 0`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if !cmd.Flags().Changed("nodes") {
				return cmdutil.UsageError("--nodes is required")
			}
			if err := cmdutil.ValidateNodes(o.Nodes); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return scaleRun(cmd.Context(), o)
		},
	}
	cmd.Flags().Int32Var(&o.Nodes, "nodes", 0, "the number of nodes the pool should have")
	cmd.Flags().StringVar(&o.Pool, "pool", "", "node pool to scale (default: the only pool)")
	cmdutil.AddWaitFlags(cmd, &o.WaitOptions, 10*time.Minute)
	return cmd
}

func scaleRun(ctx context.Context, o *ScaleOptions) error {
	return cmdutil.ScalePool(ctx, o.f, o.Name, o.Pool, o.Nodes, o.WaitOptions)
}
