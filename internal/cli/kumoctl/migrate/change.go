package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// ChangeOptions are the inputs of the commands that steer a running
// migration: next, pause, resume, rollback and finish.
type ChangeOptions struct {
	f    *cmdutil.Factory
	Name string
	cmdutil.WaitOptions
}

// change describes one steering command.
type change struct {
	use, short, long, example string
	// apply changes the spec, or refuses with a coded error.
	apply func(*kumov1.ClusterMigration) error
	// done, when set, gives the command --wait: what it waits for.
	done func(*kumov1.ClusterMigration) bool
	// told is what the command says it did.
	told string
}

// newChangeCmd builds a steering command; runF replaces the run in tests.
func newChangeCmd(f *cmdutil.Factory, runF func(context.Context, *ChangeOptions) error, ch change) *cobra.Command {
	o := &ChangeOptions{f: f}
	cmd := &cobra.Command{
		Use:               ch.use,
		Short:             ch.short,
		Long:              ch.long,
		Example:           ch.example,
		Args:              cmdutil.ExactArgs(1, "CLUSTER"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return changeRun(cmd.Context(), o, ch)
		},
	}
	if ch.done != nil {
		cmdutil.AddWaitFlags(cmd, &o.WaitOptions, 30*time.Minute)
	}
	return cmd
}

func changeRun(ctx context.Context, o *ChangeOptions, ch change) error {
	m, err := updateMigration(ctx, o.f, o.Name, ch.apply)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Migration of %s to %s: %s\n", o.Name, m.Spec.TargetRegion, ch.told)
	if o.Wait && ch.done != nil {
		return waitMigration(ctx, o.f, o.Name, o.Timeout, ch.done)
	}
	return nil
}
