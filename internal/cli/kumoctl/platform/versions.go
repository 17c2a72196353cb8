package platform

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/catalog"
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
		Long: `List the Kubernetes versions the platform offers, newest first, with their
state, end of support and upgrade targets.

A version moves through four states: Preview (new clusters may ask for it by
version; never the default), Supported (new clusters and upgrades), Deprecated
(clusters on it keep running and are told to upgrade; no new clusters) and
Removed (no new clusters; clusters still on it must upgrade). Give a version
as a minor ("1.36") or an exact patch ("1.36.3").

DEFAULT marks the version new clusters get without --version, the one to
pick unless you need another: the one the platform team marked, else the
newest Supported version. END OF SUPPORT is when the platform stops
supporting the version; clusters on it are told ahead of time
("kumoctl cluster describe"). UPGRADE TO is where a cluster on the version
may upgrade: the next minor, one at a time, never back.`,
		Example: `  kumoctl versions
  kumoctl versions -o json | jq -r '.items[] | select(.spec.state == "Supported") | .spec.version'
  kumoctl versions -o json | jq -r '.items[] | "\(.spec.version) -> \(.upgradeTargets | join(","))"'`,
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
		items := make([]versionItem, len(releases))
		for i, r := range releases {
			r.APIVersion, r.Kind = kumov1.GroupVersion.String(), "KubernetesRelease"
			items[i] = versionItem{KubernetesRelease: r, UpgradeTargets: orEmpty(catalog.UpgradeTargets(releases, r.Spec.Version))}
		}
		return cmdutil.PrintStructured(o.f.IOStreams.Out, o.Output, cmdutil.NewList(items))
	}
	if len(releases) == 0 {
		_, _ = fmt.Fprintln(o.f.IOStreams.ErrOut, "No Kubernetes versions offered yet: the platform team has not published any.")
		return nil
	}
	t := cmdutil.NewTable(o.f.IOStreams.Out, "VERSION", "MINOR", "STATE", "DEFAULT", "END OF SUPPORT", "UPGRADE TO")
	def := cmdutil.DefaultRelease(releases)
	for i := range releases {
		r := &releases[i]
		eos := ""
		if r.Spec.EndOfSupport != nil {
			eos = r.Spec.EndOfSupport.UTC().Format(time.DateOnly)
		}
		targets := strings.Join(catalog.UpgradeTargets(releases, r.Spec.Version), ", ")
		t.Row(r.Spec.Version, catalog.Minor(r.Spec.Version), string(catalog.State(r)), yesNo(r == def), cmdutil.OrNone(eos), cmdutil.OrNone(targets))
	}
	return t.Flush()
}

// versionItem is a release as `kumoctl versions -o json|yaml` prints it:
// the KubernetesRelease and the upgrade targets kumoctl works out from the
// catalog (the same rule the upgrade follows).
type versionItem struct {
	kumov1.KubernetesRelease `json:",inline"`
	UpgradeTargets           []string `json:"upgradeTargets"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
