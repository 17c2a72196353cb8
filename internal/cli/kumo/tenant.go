package kumo

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/platform"
)

func newTenantCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Manage the teams that use the platform",
	}
	var o platform.AddTenantOptions
	var out string
	add := &cobra.Command{
		Use:   "add TEAM --user USER [--out FILE]",
		Short: "Admit a user to a team and write their kubeconfig",
		Long: `Create the team's namespace (if needed), let USER manage the team's clusters
there (ClusterRole kumo:tenant through a RoleBinding; regions and versions are
readable by every tenant), and write a kubeconfig for USER whose context
defaults to the team's namespace. Running it again changes nothing but
issues a fresh certificate.

Local platforms only: the certificate is signed with the management CA of the
data directory. Production installs bind their own identities to kumo:tenant.`,
		Example: `  kumo tenant add team-a --user alice --out alice.kubeconfig
  KUBECONFIG=alice.kubeconfig kumoctl cluster list`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Namespace = args[0]
			if !platform.Running(o.DataDir) {
				return notRunning(o.DataDir)
			}
			kc, err := platform.AddTenant(cmd.Context(), o)
			if err != nil {
				return err
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(kc)
				return err
			}
			if err := os.WriteFile(out, kc, 0o600); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "User %s may now manage clusters in namespace %s; kubeconfig written to %s\nTry: KUBECONFIG=%s %s cluster list\n",
				o.User, o.Namespace, out, platform.ShellQuote(out), sibling("kumoctl"))
			return nil
		},
	}
	dataDirFlag(add.Flags(), &o.DataDir)
	add.Flags().StringVar(&o.User, "user", "", "user name (the certificate's common name)")
	add.Flags().StringVarP(&out, "out", "o", "", "write the kubeconfig here instead of stdout")
	_ = add.MarkFlagRequired("user")
	cmd.AddCommand(add)
	return cmd
}
