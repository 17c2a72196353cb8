package cluster

import (
	"context"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// GetOptions are the inputs of `kumoctl cluster get`.
type GetOptions struct {
	f      *cmdutil.Factory
	Name   string
	Output string
}

// NewCmdGet builds `kumoctl cluster get`.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *GetOptions) error) *cobra.Command {
	o := &GetOptions{f: f}
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show one cluster",
		Long:  `Show one cluster as a table row, or in full with -o yaml or -o json.`,
		Example: `  kumoctl cluster get demo
  kumoctl cluster get demo -o yaml`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := cmdutil.ValidateOutput(o.Output); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return getRun(cmd.Context(), o)
		},
	}
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

func getRun(ctx context.Context, o *GetOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	cluster, err := cmdutil.GetCluster(ctx, c, ns, o.Name)
	if err != nil {
		return err
	}
	if o.Output == cmdutil.OutputWide {
		return printClusterTable(o.f, []kumov1.Cluster{*cluster}, false, true)
	}
	return printCluster(o.f, o.Output, cluster)
}
