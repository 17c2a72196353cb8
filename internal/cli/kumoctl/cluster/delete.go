package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// DeleteOptions are the inputs of `kumoctl cluster delete`.
type DeleteOptions struct {
	f    *cmdutil.Factory
	Name string
	Yes  bool
	cmdutil.WaitOptions
}

// NewCmdDelete builds `kumoctl cluster delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	o := &DeleteOptions{f: f}
	cmd := &cobra.Command{
		Use:   "delete NAME [--yes] [--wait]",
		Short: "Delete a cluster and everything it runs",
		Long: `Delete a cluster: its nodes' VMs, its control plane, its data and its
kubeconfig. There is no undo. kumoctl asks for the cluster's name to confirm
unless --yes is given; without a terminal, --yes is required.
Deleting a cluster that is already gone succeeds.

The context, cluster and user that "kumoctl kubeconfig --merge" or
"kumoctl use" put into your kubeconfig for it are removed too. If that
context was current, kubectl goes back to the context that was current
before kumoctl switched to it (or else to the management API's).`,
		Example: `  kumoctl cluster delete demo
  kumoctl cluster delete demo --yes --wait`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return deleteRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation")
	cmdutil.AddWaitFlags(cmd, &o.WaitOptions, 10*time.Minute)
	return cmd
}

func deleteRun(ctx context.Context, o *DeleteOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	io := o.f.IOStreams
	cluster, err := cmdutil.GetCluster(ctx, c, ns, o.Name)
	if cmdutil.CodeOf(err) == cmdutil.ExitNotFound {
		_, _ = fmt.Fprintf(io.ErrOut, "Cluster %s does not exist in %s (nothing to delete)\n", o.Name, ns)
		forgetKubeconfig(o.f, ns, o.Name)
		return nil
	}
	if err != nil {
		return err
	}
	warning := fmt.Sprintf("This deletes cluster %s in %s with its %d nodes and all its data.", o.Name, ns, cluster.DesiredReplicas())
	if err := cmdutil.Confirm(io, o.Yes, "cluster "+o.Name, warning, o.Name); err != nil {
		return err
	}
	if err := c.Delete(ctx, cluster); err != nil && !apierrors.IsNotFound(err) {
		return cmdutil.APIError(err, "delete cluster "+o.Name, ns)
	}
	_, _ = fmt.Fprintf(io.ErrOut, "Deleting cluster %s in %s\n", o.Name, ns)
	forgetKubeconfig(o.f, ns, o.Name)
	if !o.Wait {
		return nil
	}
	return cmdutil.WaitForCluster(ctx, o.f, c, ns, o.Name, o.Timeout, cmdutil.ClusterGone)
}

// forgetKubeconfig removes from the user's kubeconfig what kumoctl merged
// for a deleted cluster, as `kind delete cluster` does, and says so. The
// cluster goes either way, so a kubeconfig that cannot be changed is a
// warning, not an error.
func forgetKubeconfig(f *cmdutil.Factory, namespace, name string) {
	errOut := f.IOStreams.ErrOut
	access := f.KubeconfigAccess()
	cfg, err := access.GetStartingConfig()
	if err != nil {
		_, _ = fmt.Fprintf(errOut, "Warning: reading your kubeconfig to remove the context of %s: %v\n", name, err)
		return
	}
	r := cmdutil.RemoveTenantContexts(cfg, namespace, name)
	if len(r.Contexts) == 0 {
		return
	}
	if err := clientcmd.ModifyConfig(access, *cfg, true); err != nil {
		_, _ = fmt.Fprintf(errOut, "Warning: removing context %s from your kubeconfig: %v; remove it with `kubectl config delete-context %s`\n",
			r.Contexts[0], err, r.Contexts[0])
		return
	}
	file := r.File
	if file == "" {
		file = access.GetDefaultFilename()
	}
	msg := fmt.Sprintf("Removed context %s from %s", strings.Join(r.Contexts, ", "), file)
	switch {
	case !r.WasCurrent:
	case r.CurrentContext != "":
		msg += "; switched back to context " + r.CurrentContext
	default:
		msg += "; no context is current now: pick one with `kubectl config use-context`"
	}
	_, _ = fmt.Fprintln(errOut, msg)
}
