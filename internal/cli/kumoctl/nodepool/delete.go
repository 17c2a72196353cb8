package nodepool

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// DeleteOptions are the inputs of `kumoctl nodepool delete`.
type DeleteOptions struct {
	f       *cmdutil.Factory
	Cluster string
	Pool    string
	Yes     bool
	cmdutil.WaitOptions
}

// NewCmdDelete builds `kumoctl nodepool delete`; runF replaces the run in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	o := &DeleteOptions{f: f}
	cmd := &cobra.Command{
		Use:   "delete CLUSTER POOL [--yes] [--wait]",
		Short: "Delete a node pool and its nodes",
		Long: `Delete a node pool of a cluster. Its nodes are drained (pods are evicted
through the eviction API, honouring PodDisruptionBudgets, and rescheduled on
the other pools if they fit) and their VMs deleted. kumoctl asks for the
pool's name to confirm unless --yes is given; without a terminal, --yes is
required. Deleting a pool that does not exist succeeds.`,
		Example: `  kumoctl nodepool delete demo batch
  kumoctl nodepool delete demo batch --yes --wait`,
		Args:              cmdutil.ExactArgs(2, "CLUSTER", "POOL"),
		ValidArgsFunction: completeClusterThenPool(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Cluster, o.Pool = args[0], args[1]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return deleteRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	cmdutil.AddWaitFlags(cmd, &o.WaitOptions, 10*time.Minute)
	return cmd
}

func deleteRun(ctx context.Context, o *DeleteOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	io := o.f.IOStreams
	cl, err := cmdutil.GetCluster(ctx, c, ns, o.Cluster)
	if err != nil {
		return err
	}
	i, err := cmdutil.FindPool(cl, o.Pool)
	if err != nil {
		_, _ = fmt.Fprintf(io.ErrOut, "Node pool %s does not exist in cluster %s (nothing to delete)\n", o.Pool, o.Cluster)
		return nil
	}
	warning := fmt.Sprintf("This deletes node pool %s of cluster %s in %s with its %d nodes; their pods are evicted.",
		o.Pool, o.Cluster, ns, cl.Spec.NodePools[i].Replicas)
	if err := cmdutil.Confirm(io, o.Yes, fmt.Sprintf("node pool %s of %s", o.Pool, o.Cluster), warning, o.Pool); err != nil {
		return err
	}
	removed := false
	updated, err := cmdutil.UpdateCluster(ctx, c, ns, o.Cluster, func(cl *kumov1.Cluster) error {
		i, err := cmdutil.FindPool(cl, o.Pool)
		if err != nil {
			removed = false // deleted by someone else meanwhile
			return nil
		}
		cl.Spec.NodePools = append(cl.Spec.NodePools[:i], cl.Spec.NodePools[i+1:]...)
		removed = true
		return nil
	})
	if err != nil {
		return err
	}
	if removed {
		_, _ = fmt.Fprintf(io.ErrOut, "Deleting node pool %s of %s\n", o.Pool, o.Cluster)
		if len(updated.Spec.NodePools) == 0 {
			_, _ = fmt.Fprintf(io.ErrOut, "Cluster %s has no node pools left: its pods have nowhere to run until you add one\n", o.Cluster)
		}
	} else {
		_, _ = fmt.Fprintf(io.ErrOut, "Node pool %s does not exist in cluster %s (nothing to delete)\n", o.Pool, o.Cluster)
	}
	if !o.Wait {
		return nil
	}
	return cmdutil.WaitForCluster(ctx, o.f, c, ns, o.Cluster, o.Timeout, cmdutil.ClusterReady)
}
