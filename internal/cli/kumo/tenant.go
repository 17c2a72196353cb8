package kumo

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
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
		Use:   "add TEAM [--user USER [--out FILE]] [--max-clusters N] [--max-nodes N] [--max-vcpus N]",
		Short: "Admit a user to a team, and set the team's quota",
		Long: `Create the team's namespace (if needed), let USER manage the team's clusters
there (ClusterRole kumo:tenant through a RoleBinding; regions and versions are
readable by every tenant), and write a kubeconfig for USER whose context
defaults to the team's namespace. Running it again changes nothing but
issues a fresh certificate.

The --max-* flags set the team's quota (the TeamQuota "team" in its
namespace): how many clusters, nodes and vCPUs (by the nodes' flavors) its
clusters may take together. A create or scale-up past a limit is refused;
what exists stays when a limit is lowered below it. Running it again with a
flag changes that limit and leaves the others; "default" removes the team's
own limit, so the platform default applies (the TeamQuota "default" in
kumo-system, which no limit is until an operator sets one with kubectl).
--user may be left out to change only the quota.

Local platforms only: the certificate is signed with the management CA of the
data directory. Production installs bind their own identities to kumo:tenant.`,
		Example: `  kumo tenant add team-a --user alice --out alice.kubeconfig
  KUBECONFIG=alice.kubeconfig kumoctl cluster list

  # at most 5 clusters of together 40 nodes; later, 10 clusters
  kumo tenant add team-a --user alice --max-clusters 5 --max-nodes 40
  kumo tenant add team-a --max-clusters 10

  # back to the platform default for clusters
  kumo tenant add team-a --max-clusters default`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Namespace = args[0]
			if o.User == "" && !o.Quota.Any() {
				return errors.New("--user is required, unless --max-clusters, --max-nodes or --max-vcpus change only the team's quota")
			}
			if o.User == "" && out != "" {
				return errors.New("--out writes the kubeconfig of --user, which is missing")
			}
			if !platform.Running(o.DataDir) {
				return notRunning(o.DataDir)
			}
			t, err := platform.AddTenant(cmd.Context(), o)
			if err != nil {
				return err
			}
			if o.User == "" || o.Quota.Any() {
				_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "Quota of team %s: %s\n", o.Namespace, limits(t.Quota.Spec))
			}
			if o.User == "" {
				return nil
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(t.Kubeconfig)
				return err
			}
			if err := os.WriteFile(out, t.Kubeconfig, 0o600); err != nil {
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
	add.Flags().Var(limitFlag{&o.Quota.Clusters}, "max-clusters", `how many clusters the team may have ("default": the platform's)`)
	add.Flags().Var(limitFlag{&o.Quota.Nodes}, "max-nodes", `how many nodes the team's clusters may have together ("default": the platform's)`)
	add.Flags().Var(limitFlag{&o.Quota.VCPUs}, "max-vcpus", `how many vCPUs those nodes may have together ("default": the platform's)`)
	cmd.AddCommand(add)
	return cmd
}

// limitFlag is a --max-* flag: a number, which the API server checks, or
// "default", which removes the team's own limit.
type limitFlag struct{ change *platform.LimitChange }

func (f limitFlag) String() string {
	switch {
	case f.change == nil || !f.change.Set:
		return ""
	case f.change.Value == nil:
		return "default"
	}
	return strconv.FormatInt(*f.change.Value, 10)
}

func (f limitFlag) Set(s string) error {
	if s == "default" {
		*f.change = platform.LimitChange{Set: true}
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number, nor \"default\"", s)
	}
	*f.change = platform.LimitChange{Set: true, Value: &n}
	return nil
}

func (limitFlag) Type() string { return "N" }

// limits describes a team's own limits, e.g. "clusters 5, nodes 40,
// vCPUs: the platform default".
func limits(spec kumov1.TeamQuotaSpec) string {
	var parts []string
	for _, l := range []struct {
		what  string
		value *int64
	}{{"clusters", spec.MaxClusters}, {"nodes", spec.MaxNodes}, {"vCPUs", spec.MaxVCPUs}} {
		if l.value == nil {
			parts = append(parts, l.what+": the platform default")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", l.what, *l.value))
	}
	return strings.Join(parts, ", ")
}
