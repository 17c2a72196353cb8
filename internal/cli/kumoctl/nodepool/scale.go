package nodepool

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// ScaleOptions are the inputs of `kumoctl nodepool scale`.
type ScaleOptions struct {
	f       *cmdutil.Factory
	Cluster string
	Pool    string
	Nodes   int32
	cmdutil.WaitOptions
}

// NewCmdScale builds `kumoctl nodepool scale`; runF replaces the run in tests.
func NewCmdScale(f *cmdutil.Factory, runF func(context.Context, *ScaleOptions) error) *cobra.Command {
	o := &ScaleOptions{f: f}
	cmd := &cobra.Command{
		Use:   "scale CLUSTER POOL --nodes N",
		Short: "Change the number of nodes of a node pool",
		Long: `Set how many nodes a node pool has. Scaling out boots new VMs, after checking
that the region has room for them; scaling in first drains the nodes it
removes (cordon, then evict pods through the eviction API so
PodDisruptionBudgets are honoured), then deletes their VMs. A pool may be
scaled to 0 nodes and back.`,
		Example: `  kumoctl nodepool scale demo batch --nodes 5 --wait
  kumoctl nodepool scale demo batch --nodes 0`,
		Args:              cmdutil.ExactArgs(2, "CLUSTER", "POOL"),
		ValidArgsFunction: completeClusterThenPool(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Cluster, o.Pool = args[0], args[1]
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
	cmd.Flags().Int32Var(&o.Nodes, "nodes", 0, "the number of nodes the pool should have (required)")
	cmdutil.AddWaitFlags(cmd, &o.WaitOptions, 10*time.Minute)
	return cmd
}

func scaleRun(ctx context.Context, o *ScaleOptions) error {
	return cmdutil.ScalePool(ctx, o.f, o.Cluster, o.Pool, o.Nodes, o.WaitOptions)
}
