package platform

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// RegionsOptions are the inputs of `kumoctl regions`.
type RegionsOptions struct {
	f      *cmdutil.Factory
	Output string
}

// unknown fills the capacity cells of a region whose cloud does not answer.
const unknown = "<unknown>"

var regionFormats = []string{cmdutil.OutputTable, cmdutil.OutputWide, cmdutil.OutputJSON, cmdutil.OutputYAML}

// NewCmdRegions builds `kumoctl regions`; runF replaces the run in tests.
func NewCmdRegions(f *cmdutil.Factory, runF func(context.Context, *RegionsOptions) error) *cobra.Command {
	o := &RegionsOptions{f: f}
	cmd := &cobra.Command{
		Use:     "regions",
		Aliases: []string{"region"},
		Short:   "List the regions clusters can run in, and their free capacity",
		Long: `List the regions (clouds) the platform runs clusters in: the cloud behind
each, its hypervisors, its free and total vCPUs and the number of VMs
(servers) it runs. A cluster's nodes need free vCPUs in its region; pick a
region with room before creating a cluster or adding nodes. A region whose
cloud does not answer shows its capacity as <unknown>.

DEFAULT marks the region "kumoctl cluster create" picks without --region
(for its default 3 x m1.medium): the one the platform team marked if it is
Ready, offers m1.medium and has room, else the Ready region with the most
free vCPUs that has room.

-o wide also shows the VM flavors each region offers, as
name(vCPUs/memory), and how many vCPUs it sells per physical core
(OVERCOMMIT).`,
		Example: `  kumoctl regions
  kumoctl regions -o wide
  kumoctl regions -o json | jq '.items[] | {name: .metadata.name, free: (.status.vcpus - .status.usedVCPUs)}'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(o.Output, regionFormats...); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return regionsRun(cmd.Context(), o)
		},
	}
	cmdutil.AddOutputFlag(cmd, &o.Output, regionFormats...)
	return cmd
}

func regionsRun(ctx context.Context, o *RegionsOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	var list kumov1.RegionList
	if err := c.List(ctx, &list); err != nil {
		return cmdutil.APIError(err, "list regions", "")
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	switch o.Output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		for i := range items {
			items[i].APIVersion, items[i].Kind = kumov1.GroupVersion.String(), "Region"
		}
		return cmdutil.PrintStructured(o.f.IOStreams.Out, o.Output, cmdutil.NewList(items))
	}
	if len(items) == 0 {
		_, _ = fmt.Fprintln(o.f.IOStreams.ErrOut, "No regions yet: the platform team has not published any.")
		return nil
	}
	wide := o.Output == cmdutil.OutputWide
	def, _ := cmdutil.PickRegion(items, cmdutil.DefaultFlavor, cmdutil.DefaultNodes)
	headers := []string{"NAME", "PROVIDER", "HYPERVISORS", "VCPUS FREE/TOTAL", "SERVERS", "DEFAULT"}
	if wide {
		headers = append(headers, "FLAVORS", "OVERCOMMIT")
	}
	t := cmdutil.NewTable(o.f.IOStreams.Out, headers...)
	for i, r := range items {
		provider := r.Spec.Provider
		if provider == "" {
			provider = kumov1.ProviderSim
		}
		s := r.Status
		row := []string{r.Name, string(provider), unknown, unknown, unknown}
		// Capacity is only known while the cloud answers.
		if meta.IsStatusConditionTrue(s.Conditions, kumov1.ReadyCondition) {
			row = []string{r.Name, string(provider), fmt.Sprint(s.Hypervisors), fmt.Sprintf("%d/%d", max(s.VCPUs-s.UsedVCPUs, 0), s.VCPUs), fmt.Sprint(s.Servers)}
		}
		row = append(row, yesNo(&items[i] == def))
		if wide {
			overcommit := r.Spec.CPUOvercommitRatio
			if overcommit == 0 {
				overcommit = 4 // the API's default
			}
			row = append(row, cmdutil.OrNone(flavors(s.Flavors)), fmt.Sprintf("%dx", overcommit))
		}
		t.Row(row...)
	}
	return t.Flush()
}

// flavors lists flavors smallest first as name(vCPUs/memory).
func flavors(fs []kumov1.FlavorInfo) string {
	fs = append([]kumov1.FlavorInfo(nil), fs...)
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].VCPUs != fs[j].VCPUs {
			return fs[i].VCPUs < fs[j].VCPUs
		}
		if fs[i].MemoryMiB != fs[j].MemoryMiB {
			return fs[i].MemoryMiB < fs[j].MemoryMiB
		}
		return fs[i].Name < fs[j].Name
	})
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s(%d/%s)", f.Name, f.VCPUs, memory(f.MemoryMiB)))
	}
	return strings.Join(parts, ",")
}

// memory shows MiB as Gi when whole, else as Mi.
func memory(mib int64) string {
	if mib%1024 == 0 {
		return fmt.Sprintf("%dGi", mib/1024)
	}
	return fmt.Sprintf("%dMi", mib)
}
