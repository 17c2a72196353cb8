package migrate

import (
	"context"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdNext builds `kumoctl migrate next`.
func NewCmdNext(f *cmdutil.Factory, runF func(context.Context, *ChangeOptions) error) *cobra.Command {
	return newChangeCmd(f, runF, change{
		use:   "next CLUSTER",
		short: "Approve the next step of a manual migration",
		long: `Start the next step of a migration started with --approval manual. It refuses
while the current step still runs: approve only what you have seen work.`,
		example: `  kumoctl migrate next demo --wait`,
		apply: func(m *kumov1.ClusterMigration) error {
			if m.Spec.Approval != kumov1.ApprovalManual {
				return cmdutil.Exit(cmdutil.ExitError, "the migration of %s approves its steps by itself (approval Automatic)", m.Name)
			}
			if m.Status.Phase != kumov1.MigrationWaitingForApproval {
				return cmdutil.Exit(cmdutil.ExitError, "the migration of %s does not wait for approval: %s", m.Name, progress(m))
			}
			m.Spec.ApprovedSteps = m.Status.Step + 1
			return nil
		},
		told: "approved the next step",
		done: func(m *kumov1.ClusterMigration) bool {
			return m.Status.Phase == kumov1.MigrationWaitingForApproval && m.Status.Step >= m.Spec.ApprovedSteps ||
				m.Status.Phase == kumov1.MigrationSoaking || m.Status.Phase == kumov1.MigrationCompleted
		},
	})
}
