package nodepool

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// ListOptions are the inputs of `kumoctl nodepool list`.
type ListOptions struct {
	f       *cmdutil.Factory
	Cluster string
	Output  string
}

var listFormats = []string{cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML}

// NewCmdList builds `kumoctl nodepool list`; runF replaces the run in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	o := &ListOptions{f: f}
	cmd := &cobra.Command{
		Use:     "list CLUSTER",
		Aliases: []string{"ls"},
		Short:   "List the node pools of a cluster",
		Long: `List the node pools of a cluster: each pool's flavor, the number of nodes
asked for (DESIRED), the number of VMs that exist (CURRENT) and how many of
them are Ready nodes (READY). CURRENT and READY catch up with DESIRED while
the platform scales the pool.`,
		Example: `  kumoctl nodepool list demo
  kumoctl nodepool list demo -o json | jq '.items[] | select(.status.readyReplicas < .replicas)'`,
		Args:              cmdutil.ExactArgs(1, "CLUSTER"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Cluster = args[0]
			if err := cmdutil.ValidateOutput(o.Output, listFormats...); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return listRun(cmd.Context(), o)
		},
	}
	cmdutil.AddOutputFlag(cmd, &o.Output, listFormats...)
	return cmd
}

// PoolList is what -o json and -o yaml print: the pools of one cluster,
// each with its spec and status side by side.
type PoolList struct {
	Cluster   string     `json:"cluster"`
	Namespace string     `json:"namespace"`
	Items     []PoolView `json:"items"`
}

// PoolView is one node pool.
type PoolView struct {
	kumov1.NodePool `json:",inline"`
	Status          PoolStatusView `json:"status"`
}

// PoolStatusView is what the platform observed of a pool.
type PoolStatusView struct {
	Replicas      int32 `json:"replicas"`
	ReadyReplicas int32 `json:"readyReplicas"`
}

func listRun(ctx context.Context, o *ListOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	cl, err := cmdutil.GetCluster(ctx, c, ns, o.Cluster)
	if err != nil {
		return err
	}
	status := map[string]kumov1.NodePoolStatus{}
	for _, s := range cl.Status.NodePools {
		status[s.Name] = s
	}
	list := PoolList{Cluster: cl.Name, Namespace: cl.Namespace, Items: []PoolView{}}
	for _, p := range cl.Spec.NodePools {
		s := status[p.Name]
		list.Items = append(list.Items, PoolView{NodePool: p, Status: PoolStatusView{Replicas: s.Replicas, ReadyReplicas: s.ReadyReplicas}})
	}
	if o.Output != cmdutil.OutputTable {
		return cmdutil.PrintStructured(o.f.IOStreams.Out, o.Output, list)
	}
	if len(list.Items) == 0 {
		msg := fmt.Sprintf("Cluster %s has no node pools.", cl.Name)
		if cmdutil.MayChangeClusters(ctx, c, ns) {
			msg += fmt.Sprintf(" Add one with `kumoctl nodepool add %s POOL --nodes N`.", cl.Name)
		}
		_, _ = fmt.Fprintln(o.f.IOStreams.ErrOut, msg)
		return nil
	}
	t := cmdutil.NewTable(o.f.IOStreams.Out, "NAME", "FLAVOR", "DESIRED", "CURRENT", "READY")
	for _, p := range list.Items {
		t.Row(p.Name, p.Flavor, fmt.Sprint(p.Replicas), fmt.Sprint(p.Status.Replicas), fmt.Sprint(p.Status.ReadyReplicas))
	}
	return t.Flush()
}
