package cluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// ListOptions are the inputs of `kumoctl cluster list`.
type ListOptions struct {
	f             *cmdutil.Factory
	AllNamespaces bool
	Output        string
}

// NewCmdList builds `kumoctl cluster list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	o := &ListOptions{f: f}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your team's clusters",
		Long: `List the clusters of your team's namespace, or with -A of every namespace you
may read. The table shows each cluster's phase (Provisioning, Ready, Scaling,
Deleting, Failed), version, region and ready/desired nodes.`,
		Example: `  kumoctl cluster list
  kumoctl cluster list -A -o wide
  kumoctl cluster list -o json | jq '.items[].status.phase'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(o.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return listRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "list the clusters of every namespace you may read")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

func listRun(ctx context.Context, o *ListOptions) error {
	var list kumov1.ClusterList
	ns, err := cmdutil.ListTeam(ctx, o.f, &list, o.AllNamespaces, "clusters")
	if err != nil {
		return err
	}
	items := list.Items
	switch o.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		for i := range items {
			items[i].APIVersion, items[i].Kind = kumov1.GroupVersion.String(), "Cluster"
		}
		return cmdutil.PrintStructured(o.f.IOStreams.Out, o.Output, cmdutil.NewList(items))
	case cmdutil.OutputName:
		for _, cl := range items {
			_, _ = fmt.Fprintf(o.f.IOStreams.Out, "cluster/%s\n", cl.Name)
		}
		return nil
	}
	if len(items) == 0 {
		c, err := o.f.Client()
		if err != nil {
			return err
		}
		return sayNoClusters(ctx, o, c, ns)
	}
	return printClusterTable(o.f, items, o.AllNamespaces, o.Output == cmdutil.OutputWide)
}

func printClusterTable(f *cmdutil.Factory, items []kumov1.Cluster, withNamespace, wide bool) error {
	headers := []string{"NAME", "PHASE", "VERSION", "REGION", "NODES", "AGE"}
	if withNamespace {
		headers = append([]string{"NAMESPACE"}, headers...)
	}
	if wide {
		headers = append(headers, "RUNNING", "POOLS", "ENDPOINT")
	}
	t := cmdutil.NewTable(f.IOStreams.Out, headers...)
	now := f.Now()
	for _, cl := range items {
		nodes := cl.Status.Nodes
		if nodes == "" {
			nodes = fmt.Sprintf("0/%d", cl.DesiredReplicas())
		}
		row := []string{cl.Name, cmdutil.OrNone(string(cl.Status.Phase)), cl.Spec.Version, cl.EffectiveRegion(), nodes, cmdutil.Age(now, cl.CreationTimestamp)}
		if withNamespace {
			row = append([]string{cl.Namespace}, row...)
		}
		if wide {
			var pools []string
			for _, p := range cl.Spec.NodePools {
				pools = append(pools, fmt.Sprintf("%s:%dx%s", p.Name, p.Replicas, p.Flavor))
			}
			endpoint := ""
			if e := cl.Spec.ControlPlane.Endpoint; e != nil {
				endpoint = fmt.Sprintf("https://%s:%d", e.Host, e.Port)
			}
			row = append(row, cmdutil.OrNone(cl.Status.Version), cmdutil.OrNone(strings.Join(pools, ",")), cmdutil.OrNone(endpoint))
		}
		t.Row(row...)
	}
	return t.Flush()
}

// sayNoClusters says there are none, and how to create one if the caller
// may create clusters in their namespace.
func sayNoClusters(ctx context.Context, o *ListOptions, c client.Client, ns string) error {
	where := fmt.Sprintf("namespace %q", ns)
	if o.AllNamespaces {
		where = "any namespace you may read"
		var err error
		if ns, err = o.f.Namespace(); err != nil {
			return err
		}
	}
	msg := fmt.Sprintf("No clusters in %s.", where)
	if cmdutil.MayCreateClusters(ctx, c, ns) {
		msg += " Create one with `kumoctl cluster create NAME`."
	}
	_, _ = fmt.Fprintln(o.f.IOStreams.ErrOut, msg)
	return nil
}
