package migrate

import (
	"context"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdRollback builds `kumoctl migrate rollback`.
func NewCmdRollback(f *cmdutil.Factory, runF func(context.Context, *ChangeOptions) error) *cobra.Command {
	return newChangeCmd(f, runF, change{
		use:   "rollback CLUSTER [--wait]",
		short: "Put the cluster back in its region, as it was",
		long: `Roll a migration back: the old nodes, which stay cordoned until the soak ends,
take work again at once, then the new nodes are drained (PodDisruptionBudgets
honoured) and deleted. The cluster ends as it began: the same nodes, all in
its old region. Possible until the soak ends; a rollback cannot be undone.`,
		example: `  kumoctl migrate rollback demo --wait`,
		apply: func(m *kumov1.ClusterMigration) error {
			if m.Status.Phase == kumov1.MigrationSoaking && m.Status.SoakStartedAt != nil && soakOver(m) {
				return cmdutil.Exit(cmdutil.ExitError, "the soak of the migration of %s is over and the old nodes are being deleted: too late to roll back", m.Name)
			}
			m.Spec.Rollback = true
			return nil
		},
		told: "rolling back",
		done: func(m *kumov1.ClusterMigration) bool { return m.Status.Phase == kumov1.MigrationRolledBack },
	})
}

// soakOver: the controller has begun deleting the old nodes.
func soakOver(m *kumov1.ClusterMigration) bool {
	c := findProgressing(m)
	return c != nil && c.Reason == kumov1.CompletingReason
}
