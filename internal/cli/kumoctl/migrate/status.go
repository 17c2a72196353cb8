package migrate

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// StatusOptions are the inputs of `kumoctl migrate status`.
type StatusOptions struct {
	f      *cmdutil.Factory
	Name   string
	Output string
}

// NewCmdStatus builds `kumoctl migrate status`.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	o := &StatusOptions{f: f}
	cmd := &cobra.Command{
		Use:   "status CLUSTER [-o json|yaml]",
		Short: "Show a cluster's migration",
		Long: `Show where a cluster's migration is: its phase, step, the Ready nodes in each
region, the drains in progress and its conditions (Accepted, Progressing,
DrainBlocked). With -o json or -o yaml, the ClusterMigration object.`,
		Example: `  kumoctl migrate status demo
  kumoctl migrate status demo -o yaml`,
		Args:              cmdutil.ExactArgs(1, "CLUSTER"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := cmdutil.ValidateOutput(o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return statusRun(cmd.Context(), o)
		},
	}
	cmdutil.AddOutputFlag(cmd, &o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	return cmd
}

func statusRun(ctx context.Context, o *StatusOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	m, err := getMigration(ctx, c, ns, o.Name)
	if err != nil {
		return err
	}
	return printMigration(o.f, o.Output, m)
}
