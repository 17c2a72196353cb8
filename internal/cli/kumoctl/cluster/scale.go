package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
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
			if o.Nodes < 0 || o.Nodes > 1000 {
				return cmdutil.UsageError("--nodes must be between 0 and 1000, not %d", o.Nodes)
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
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	var from int32
	var pool string
	cluster, err := cmdutil.UpdateCluster(ctx, c, ns, o.Name, func(cl *kumov1.Cluster) error {
		pool = o.Pool
		if pool == "" {
			if len(cl.Spec.NodePools) != 1 {
				var names []string
				for _, p := range cl.Spec.NodePools {
					names = append(names, p.Name)
				}
				return cmdutil.UsageError("cluster %s has %d node pools; choose one with --pool (%s)", cl.Name, len(names), cmdutil.OrNone(strings.Join(names, ", ")))
			}
			pool = cl.Spec.NodePools[0].Name
		}
		i, err := cmdutil.FindPool(cl, pool)
		if err != nil {
			return err
		}
		from = cl.Spec.NodePools[i].Replicas
		if o.Nodes > from {
			if err := cmdutil.CheckCapacity(ctx, c, cl.Spec.Region, cl.Spec.NodePools[i].Flavor, o.Nodes-from); err != nil {
				return err
			}
		}
		cl.Spec.NodePools[i].Replicas = o.Nodes
		return nil
	})
	if err != nil {
		return err
	}
	if from == o.Nodes {
		_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Pool %s of %s already has %d nodes (unchanged)\n", pool, o.Name, o.Nodes)
	} else {
		_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Scaling pool %s of %s from %d to %d nodes\n", pool, o.Name, from, o.Nodes)
	}
	if !o.Wait {
		return nil
	}
	_ = cluster
	return cmdutil.WaitForCluster(ctx, o.f, c, ns, o.Name, o.Timeout, cmdutil.ClusterReady)
}
