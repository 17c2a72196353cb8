package kubeconfig

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// KubeconfigOptions are the inputs of `kumoctl kubeconfig`.
type KubeconfigOptions struct {
	f     *cmdutil.Factory
	Name  string
	Merge bool
	Use   bool
	File  string
	// Context is kumoctl's --context, recorded on merged contexts.
	Context string
}

// NewCmdKubeconfig builds `kumoctl kubeconfig`; runF replaces the run in tests.
func NewCmdKubeconfig(f *cmdutil.Factory, runF func(context.Context, *KubeconfigOptions) error) *cobra.Command {
	o := &KubeconfigOptions{f: f}
	cmd := &cobra.Command{
		Use:   "kubeconfig NAME [--merge [--use]] [--file PATH]",
		Short: "Get a kubeconfig for a cluster, or merge it into yours",
		Long: `Get the admin kubeconfig of a cluster, which the platform issues once the
cluster's control plane runs. By default it is printed; --file writes it to
a file only you can read.

--merge adds it to your kubeconfig instead ($KUBECONFIG or ~/.kube/config,
or --kubeconfig; with --file, that file) as context, cluster and user
kumo-<namespace>-<name>, so the kubeconfigs of several clusters live side by
side with the one kumoctl itself uses. Merging again replaces those entries
and leaves everything else alone. --use also makes it the current context,
like "kumoctl use" ("kumoctl use -" goes back). "kumoctl cluster delete"
removes the entries again.`,
		Example: `  # merge and switch to it, then use kubectl
  kumoctl kubeconfig demo --merge --use
  kubectl get nodes

  # a separate file
  kumoctl kubeconfig demo --file demo.kubeconfig
  KUBECONFIG=demo.kubeconfig kubectl get nodes`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			o.Context = explicitContext(cmd)
			if o.Use {
				o.Merge = true
			}
			if cmd.Flags().Changed("file") && o.File == "" {
				return cmdutil.UsageError("--file needs a path")
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return kubeconfigRun(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.Merge, "merge", false, "merge into your kubeconfig instead of printing")
	cmd.Flags().BoolVar(&o.Use, "use", false, "merge and make it the current context (implies --merge)")
	cmd.Flags().StringVar(&o.File, "file", "", "write to this file (mode 0600); with --merge, merge into it")
	return cmd
}

func kubeconfigRun(ctx context.Context, o *KubeconfigOptions) error {
	ns, data, err := fetchKubeconfig(ctx, o.f, o.Name)
	if err != nil {
		return err
	}
	errOut := o.f.IOStreams.ErrOut
	if !o.Merge {
		if o.File == "" {
			_, err := o.f.IOStreams.Out.Write(data)
			return err
		}
		if err := writePrivate(o.File, data); err != nil {
			return err
		}
		_, _ = fmt.Fprintf(errOut, "Wrote the kubeconfig of %s to %s; use it with `KUBECONFIG=%s kubectl get nodes`\n", o.Name, o.File, o.File)
		return nil
	}
	access := o.f.KubeconfigAccess()
	if o.File != "" {
		access = &clientcmd.ClientConfigLoadingRules{Precedence: []string{o.File}}
	}
	name := cmdutil.TenantContextName(ns, o.Name)
	file, err := merge(access, data, name, tenantRecord(o.f, ns, o.Name, o.Context), o.Use)
	if err != nil {
		return err
	}
	if o.Use {
		_, _ = fmt.Fprintf(errOut, "Merged context %s into %s; switched to it\n", name, file)
	} else {
		_, _ = fmt.Fprintf(errOut, "Merged context %s into %s; use it with `kubectl --context %s` or switch to it with `kumoctl use %s`\n", name, file, name, o.Name)
	}
	return nil
}

// writePrivate writes data to path readable only by its owner, also when
// the file existed with a looser mode.
func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if err := fh.Chmod(0o600); err != nil {
		_ = fh.Close()
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if _, err := fh.Write(data); err != nil {
		_ = fh.Close()
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}
