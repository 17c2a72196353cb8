package nodepool

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// AddOptions are the inputs of `kumoctl nodepool add`.
type AddOptions struct {
	f       *cmdutil.Factory
	Cluster string
	Pool    string
	Nodes   int32
	Flavor  string
	cmdutil.WaitOptions
}

// maxPools is the API's limit on node pools per cluster.
const maxPools = 32

// flavorPattern is the API's pattern for flavor names.
var flavorPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)

// errUnchanged tells addRun that the pool already exists as asked.
var errUnchanged = errors.New("node pool exists with the same spec")

// NewCmdAdd builds `kumoctl nodepool add`; runF replaces the run in tests.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *AddOptions) error) *cobra.Command {
	o := &AddOptions{f: f}
	cmd := &cobra.Command{
		Use:   "add CLUSTER POOL --nodes N [--flavor FLAVOR]",
		Short: "Add a node pool to a cluster",
		Long: `Add a node pool of --nodes VMs of --flavor to a cluster. The flavor and the
free capacity of the cluster's region are checked first, so a refused command
changes nothing.

Adding a pool that already exists with the same flavor and number of nodes
succeeds and changes nothing; a pool of that name with another spec is
refused (change its size with "kumoctl nodepool scale").`,
		Example: `  # two big nodes for batch jobs, waiting until they are Ready
  kumoctl nodepool add demo batch --nodes 2 --flavor m1.xlarge --wait

  # an empty pool, scaled up later
  kumoctl nodepool add demo spare --nodes 0`,
		Args:              cmdutil.ExactArgs(2, "CLUSTER", "POOL"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Cluster, o.Pool = args[0], args[1]
			if !cmd.Flags().Changed("nodes") {
				return cmdutil.UsageError("--nodes is required")
			}
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return addRun(cmd.Context(), o)
		},
	}
	cmd.Flags().Int32Var(&o.Nodes, "nodes", 0, "number of nodes of the new pool (required)")
	cmd.Flags().StringVar(&o.Flavor, "flavor", "m1.medium", "VM size of the nodes (see kumoctl regions -o wide)")
	cmdutil.AddWaitFlags(cmd, &o.WaitOptions, 10*time.Minute)
	_ = cmd.RegisterFlagCompletionFunc("flavor", completeFlavors(f))
	return cmd
}

func (o *AddOptions) validate() error {
	if err := cmdutil.ValidateName("pool", o.Pool, 40); err != nil {
		return err
	}
	if !flavorPattern.MatchString(o.Flavor) {
		return cmdutil.UsageError("invalid flavor %q: a flavor is <family>.<size> such as m1.medium (see `kumoctl regions -o wide`)", o.Flavor)
	}
	return cmdutil.ValidateNodes(o.Nodes)
}

func addRun(ctx context.Context, o *AddOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	want := kumov1.NodePool{Name: o.Pool, Replicas: o.Nodes, Flavor: o.Flavor}
	_, err = cmdutil.UpdateCluster(ctx, c, ns, o.Cluster, func(cl *kumov1.Cluster) error {
		if i, err := cmdutil.FindPool(cl, o.Pool); err == nil {
			if cl.Spec.NodePools[i] == want {
				return errUnchanged
			}
			have := cl.Spec.NodePools[i]
			hint := "pick another name"
			if cmdutil.MayChangeClusters(ctx, c, ns) {
				hint = fmt.Sprintf("change its size with `kumoctl nodepool scale %s %s --nodes N`, or %s", cl.Name, o.Pool, hint)
			}
			return cmdutil.UsageError("cluster %s already has a node pool %q with %d x %s; %s", cl.Name, o.Pool, have.Replicas, have.Flavor, hint)
		}
		if len(cl.Spec.NodePools) >= maxPools {
			return cmdutil.UsageError("cluster %s already has %d node pools, the most a cluster may have", cl.Name, maxPools)
		}
		if err := cmdutil.CheckCapacity(ctx, c, cl.EffectiveRegion(), o.Flavor, o.Nodes); err != nil {
			return err
		}
		cl.Spec.NodePools = append(cl.Spec.NodePools, want)
		return nil
	})
	switch {
	case errors.Is(err, errUnchanged):
		_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Node pool %s of %s already exists with %d x %s (unchanged)\n", o.Pool, o.Cluster, o.Nodes, o.Flavor)
	case err != nil:
		return err
	default:
		_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Node pool %s added to %s: %d x %s\n", o.Pool, o.Cluster, o.Nodes, o.Flavor)
	}
	if !o.Wait {
		return nil
	}
	return cmdutil.WaitForCluster(ctx, o.f, c, ns, o.Cluster, o.Timeout, cmdutil.ClusterReady)
}
