package kubeconfig

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// UseOptions are the inputs of `kumoctl use`.
type UseOptions struct {
	f    *cmdutil.Factory
	Name string
	// Context is kumoctl's --context, recorded on merged contexts.
	Context string
}

// NewCmdUse builds `kumoctl use`; runF replaces the run in tests.
func NewCmdUse(f *cmdutil.Factory, runF func(context.Context, *UseOptions) error) *cobra.Command {
	o := &UseOptions{f: f}
	cmd := &cobra.Command{
		Use:   "use NAME | -",
		Short: "Switch kubectl to a cluster",
		Long: `Make a cluster the current context of your kubeconfig, so that kubectl talks
to it. The context is kumo-<namespace>-<name>; when your kubeconfig does not
have it yet, the cluster's kubeconfig is merged first, as with
"kumoctl kubeconfig NAME --merge --use". Switching needs no access to the
management API once the context is merged.

kumoctl remembers the context that was current before it switched (in your
kubeconfig's preferences): "kumoctl use -" goes back to it, and deleting the
cluster of the current context with "kumoctl cluster delete" does too.`,
		Example: `  kumoctl use demo
  kubectl get nodes

  # back to the context before
  kumoctl use -

  # another team's cluster
  kumoctl use batch -n team-b`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			o.Context = explicitContext(cmd)
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return useRun(cmd.Context(), o)
		},
	}
	return cmd
}

func useRun(ctx context.Context, o *UseOptions) error {
	if o.Name == "-" {
		return usePrevious(o.f)
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	name := cmdutil.TenantContextName(ns, o.Name)
	errOut := o.f.IOStreams.ErrOut
	access := o.f.KubeconfigAccess()
	cfg, err := access.GetStartingConfig()
	if err != nil {
		return fmt.Errorf("reading your kubeconfig: %w", err)
	}
	if _, ok := cfg.Contexts[name]; ok {
		return switchTo(o.f, access, cfg, name)
	}
	ns, data, err := fetchKubeconfig(ctx, o.f, o.Name)
	if err != nil {
		return err
	}
	file, err := merge(access, data, name, tenantRecord(o.f, ns, o.Name, o.Context), true)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(errOut, "Merged context %s into %s; switched to it\n", name, file)
	return nil
}

// usePrevious switches back to the context that was current before the
// last switch kumoctl made.
func usePrevious(f *cmdutil.Factory) error {
	access := f.KubeconfigAccess()
	cfg, err := access.GetStartingConfig()
	if err != nil {
		return fmt.Errorf("reading your kubeconfig: %w", err)
	}
	prev := cmdutil.PreviousContext(cfg)
	if prev == "" {
		return cmdutil.Exit(cmdutil.ExitError, "no previous context to go back to: kumoctl records one when it switches contexts")
	}
	if _, ok := cfg.Contexts[prev]; !ok {
		return cmdutil.Exit(cmdutil.ExitNotFound, "the previous context %s is no longer in your kubeconfig", prev)
	}
	return switchTo(f, access, cfg, prev)
}

// switchTo makes name, a context of cfg, the current one and says so, or
// that it was current already (kubectl may have switched to it).
func switchTo(f *cmdutil.Factory, access clientcmd.ConfigAccess, cfg *clientcmdapi.Config, name string) error {
	prev := cmdutil.PreviousContext(cfg)
	switched := cmdutil.UseContext(cfg, name)
	if switched || cmdutil.PreviousContext(cfg) != prev {
		if err := clientcmd.ModifyConfig(access, *cfg, true); err != nil {
			return fmt.Errorf("writing your kubeconfig: %w", err)
		}
	}
	if !switched {
		_, _ = fmt.Fprintf(f.IOStreams.ErrOut, "Already using context %s\n", name)
		return nil
	}
	_, _ = fmt.Fprintf(f.IOStreams.ErrOut, "Switched to context %s\n", name)
	return nil
}
