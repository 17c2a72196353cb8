package migrate

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// ListOptions are the inputs of `kumoctl migrate list`.
type ListOptions struct {
	f             *cmdutil.Factory
	AllNamespaces bool
	Output        string
}

// NewCmdList builds `kumoctl migrate list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	o := &ListOptions{f: f}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List your team's migrations",
		Long: `List the migrations of your team's namespace (or with -A of every namespace you
may read): running ones and the last finished one of each cluster.`,
		Example: `  kumoctl migrate list
  kumoctl migrate list -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return listRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "list the migrations of every namespace you may read")
	cmdutil.AddOutputFlag(cmd, &o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func listRun(ctx context.Context, o *ListOptions) error {
	var list kumov1.ClusterMigrationList
	if _, err := cmdutil.ListTeam(ctx, o.f, &list, o.AllNamespaces, "migrations"); err != nil {
		return err
	}
	items := list.Items
	if o.Output == cmdutil.OutputJSON || o.Output == cmdutil.OutputYAML {
		for i := range items {
			items[i].APIVersion, items[i].Kind = kumov1.GroupVersion.String(), "ClusterMigration"
		}
		return cmdutil.PrintStructured(o.f.IOStreams.Out, o.Output, cmdutil.NewList(items))
	}
	if len(items) == 0 {
		_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "No migrations; start one with `kumoctl migrate start CLUSTER --to REGION`\n")
		return nil
	}
	headers := []string{"CLUSTER", "FROM", "TO", "PHASE", "STEP", "NODES", "AGE"}
	if o.AllNamespaces {
		headers = append([]string{"NAMESPACE"}, headers...)
	}
	t := cmdutil.NewTable(o.f.IOStreams.Out, headers...)
	now := o.f.Now()
	for _, m := range items {
		row := []string{m.Spec.ClusterName, cmdutil.OrNone(m.Status.SourceRegion), m.Spec.TargetRegion,
			cmdutil.OrNone(string(m.Status.Phase)), fmt.Sprintf("%d/%d", m.Status.Step, len(m.StepPercents())),
			fmt.Sprintf("%d/%d", m.Status.NodesInSource, m.Status.NodesInTarget), cmdutil.Age(now, m.CreationTimestamp)}
		if o.AllNamespaces {
			row = append([]string{m.Namespace}, row...)
		}
		t.Row(row...)
	}
	return t.Flush()
}
