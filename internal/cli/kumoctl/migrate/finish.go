package migrate

import (
	"context"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdFinish builds `kumoctl migrate finish`.
func NewCmdFinish(f *cmdutil.Factory, runF func(context.Context, *ChangeOptions) error) *cobra.Command {
	return newChangeCmd(f, runF, change{
		use:   "finish CLUSTER [--wait]",
		short: "End the soak now: delete the old nodes",
		long: `End the soak now (set it to 0s): once the last step is done, the old nodes
and their VMs are deleted and the cluster reports its new region. After
that there is no rollback.`,
		example: `  kumoctl migrate finish demo --wait`,
		apply: func(m *kumov1.ClusterMigration) error {
			m.Spec.Soak = &metav1.Duration{}
			return nil
		},
		told: "the soak ends once the last step is done",
		done: func(m *kumov1.ClusterMigration) bool { return m.Status.Phase == kumov1.MigrationCompleted },
	})
}
