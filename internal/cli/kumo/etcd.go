package kumo

import (
	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/platform"
)

func newEtcdCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "etcd",
		Short: "Look after the platform's datastore",
	}
	cmd.AddCommand(newEtcdRepairCommand())
	return cmd
}

func newEtcdRepairCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Free the space of a full etcd: compact, defragment, disarm the NOSPACE alarm",
		Long: `When the management etcd passes its quota (--etcd-quota-backend-bytes) it
raises the NOSPACE alarm and refuses every write; "kumo status" says so and new
clusters are refused. repair compacts etcd's history to the current revision
(older versions of keys go, every current value stays), defragments it to give
the space back, and disarms the alarm. The platform must be running.`,
		Example: `  kumo etcd repair
  kumo etcd repair --data-dir /tmp/kumo2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return platform.RepairEtcd(cmd.Context(), dataDir, cmd.OutOrStdout())
		},
	}
	dataDirFlag(cmd.Flags(), &dataDir)
	return cmd
}
