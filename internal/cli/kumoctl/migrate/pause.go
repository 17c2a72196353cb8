package migrate

import (
	"context"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdPause builds `kumoctl migrate pause`.
func NewCmdPause(f *cmdutil.Factory, runF func(context.Context, *ChangeOptions) error) *cobra.Command {
	return newChangeCmd(f, runF, change{
		use:   "pause CLUSTER",
		short: "Stop a migration where it is",
		long: `Stop a migration where it is: nothing more is created or drained until
"kumoctl migrate resume". A rollback still works while paused.`,
		example: `  kumoctl migrate pause demo`,
		apply:   func(m *kumov1.ClusterMigration) error { m.Spec.Paused = true; return nil },
		told:    "paused",
	})
}
