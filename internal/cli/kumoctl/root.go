package kumoctl

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/kumoctl/cluster"
	"github.com/kumo-dev/kumo/internal/cli/kumoctl/kubeconfig"
	"github.com/kumo-dev/kumo/internal/cli/kumoctl/migrate"
	"github.com/kumo-dev/kumo/internal/cli/kumoctl/nodepool"
	"github.com/kumo-dev/kumo/internal/cli/kumoctl/platform"
	"github.com/kumo-dev/kumo/internal/cli/kumoctl/quota"
)

// Execute runs kumoctl and returns the exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	flags := &cmdutil.ConfigFlags{}
	f := cmdutil.New(cmdutil.System(), flags)
	root := NewCmdRoot(f, flags)
	err := root.ExecuteContext(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command") {
		// Cobra's own argument errors are usage errors too.
		err = cmdutil.UsageError("%v", err)
	}
	if err != nil {
		_, _ = fmt.Fprintln(f.IOStreams.ErrOut, "Error:", err)
	}
	return cmdutil.CodeOf(err)
}

// NewCmdRoot builds the command tree around a factory.
func NewCmdRoot(f *cmdutil.Factory, flags *cmdutil.ConfigFlags) *cobra.Command {
	root := &cobra.Command{
		Use:   "kumoctl",
		Short: "Self-service Kubernetes clusters on your company's clouds",
		Long: `kumoctl creates, scales and deletes your team's Kubernetes clusters on the
platform's clouds, and hands you kubeconfigs for them. No tickets: what your
team may do, you do here.

It talks only to the Kumo management API, with the kubeconfig and context you
use for kubectl (--kubeconfig, --context). Your team is the namespace of that
context; -n picks another team you belong to.

Exit codes:
  0  success
  1  an error not listed below
  2  bad flags or arguments, or a spec the platform refused (also one
     that would pass your team's quota: see "kumoctl quota")
  3  not found (cluster, node pool, region or version)
  4  permission denied: your account may not do this in that namespace
  5  the operation failed (--wait saw the failure)
  6  --wait timed out; the operation goes on
  130 interrupted; the operation goes on`,
		Example: `  # a 3-node cluster of the default version in the default region,
  # waiting until it is Ready
  kumoctl cluster create demo --wait

  # use it with kubectl
  kumoctl kubeconfig demo --merge --use
  kubectl get nodes

  # what the platform offers, and what your team may still take
  kumoctl regions
  kumoctl versions
  kumoctl quota`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmdutil.Group(root)
	flags.AddFlags(root.PersistentFlags())
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.UsageError("%v", err) })
	root.AddGroup(
		&cobra.Group{ID: "clusters", Title: "Clusters:"},
		&cobra.Group{ID: "access", Title: "Access:"},
		&cobra.Group{ID: "platform", Title: "What the platform offers your team:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("clusters", cluster.NewCmdCluster(f), nodepool.NewCmdNodePool(f), migrate.NewCmdMigrate(f))
	add("access", kubeconfig.NewCmdKubeconfig(f, nil), kubeconfig.NewCmdUse(f, nil))
	add("platform", platform.NewCmdRegions(f, nil), platform.NewCmdVersions(f, nil), quota.NewCmdQuota(f, nil))
	root.AddCommand(NewCmdVersion(f))
	return root
}
