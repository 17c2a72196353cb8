package migrate

import (
	"context"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdResume builds `kumoctl migrate resume`.
func NewCmdResume(f *cmdutil.Factory, runF func(context.Context, *ChangeOptions) error) *cobra.Command {
	return newChangeCmd(f, runF, change{
		use:     "resume CLUSTER",
		short:   "Resume a paused migration",
		long:    `Resume a migration paused with "kumoctl migrate pause".`,
		example: `  kumoctl migrate resume demo`,
		apply:   func(m *kumov1.ClusterMigration) error { m.Spec.Paused = false; return nil },
		told:    "resumed",
	})
}
