package platform

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// VersionsOptions are the inputs of `kumoctl versions`.
type VersionsOptions struct {
	f      *cmdutil.Factory
	Output string
}

var versionFormats = []string{cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML}

// NewCmdVersions builds `kumoctl versions`; runF replaces the run in tests.
func NewCmdVersions(f *cmdutil.Factory, runF func(context.Context, *VersionsOptions) error) *cobra.Command {
	o := &VersionsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "versions",
		Short: "List the Kubernetes versions clusters can run",
		Long: `List the Kubernetes versions the platform offers, newest first. New clusters
may use Supported versions, given as a minor ("1.36") or an exact patch
("1.36.3"); Deprecated versions keep running where they run but are not
offered for new clusters. DEFAULT marks the version new clusters get without
--version, the one to pick unless you need another: the one the platform
team marked, else the newest Supported version.`,
		Example: `  kumoctl versions
  kumoctl versions -o json | jq -r '.items[] | select(.spec.state == "Supported") | .spec.version'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(o.Output, versionFormats...); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return versionsRun(cmd.Context(), o)
		},
	}
	cmdutil.AddOutputFlag(cmd, &o.Output, versionFormats...)
	return cmd
}

func versionsRun(ctx context.Context, o *VersionsOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	releases, err := cmdutil.Releases(ctx, c)
	if err != nil {
		return err
	}
	switch o.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		for i := range releases {
			releases[i].APIVersion, releases[i].Kind = kumov1.GroupVersion.String(), "KubernetesRelease"
		}
		return cmdutil.PrintStructured(o.f.IOStreams.Out, o.Output, cmdutil.NewList(releases))
	}
	if len(releases) == 0 {
		_, _ = fmt.Fprintln(o.f.IOStreams.ErrOut, "No Kubernetes versions offered yet: the platform team has not published any.")
		return nil
	}
	t := cmdutil.NewTable(o.f.IOStreams.Out, "VERSION", "MINOR", "STATE", "DEFAULT")
	def := cmdutil.DefaultRelease(releases)
	for i, r := range releases {
		state := r.Spec.State
		if state == "" {
			state = kumov1.ReleaseSupported // the API's default
		}
		t.Row(r.Spec.Version, cmdutil.Minor(r.Spec.Version), string(state), yesNo(&releases[i] == def))
	}
	return t.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
