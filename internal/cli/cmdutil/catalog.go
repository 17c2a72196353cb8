package cmdutil

import (
	"context"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/catalog"
)

// Releases lists the offered Kubernetes releases, newest first.
func Releases(ctx context.Context, c client.Client) ([]kumov1.KubernetesRelease, error) {
	var list kumov1.KubernetesReleaseList
	if err := c.List(ctx, &list); err != nil {
		return nil, APIError(err, "list Kubernetes versions", "")
	}
	catalog.Sort(list.Items)
	return list.Items, nil
}

// ResolveVersion checks a requested version ("1.36" or "1.36.3") against the
// catalog and returns it as the cluster spec should carry it.
func ResolveVersion(ctx context.Context, c client.Client, requested string) (string, error) {
	want := strings.TrimPrefix(requested, "v")
	releases, err := Releases(ctx, c)
	if err != nil {
		return "", err
	}
	var offered []string
	for i := range releases {
		if forNewClusters(&releases[i]) {
			offered = append(offered, releases[i].Spec.Version)
		}
	}
	if r := catalog.Find(releases, want); r != nil {
		if !forNewClusters(r) {
			return "", Exit(ExitNotFound, "Kubernetes %s is %s and not offered for new clusters; offered: %s", r.Spec.Version, catalog.State(r), strings.Join(offered, ", "))
		}
		return want, nil
	}
	return "", Exit(ExitNotFound, "Kubernetes %s is not offered; offered versions: %s (see `kumoctl versions`)", requested, strings.Join(offered, ", "))
}

// GetRegion reads a region; a missing one names the existing regions.
func GetRegion(ctx context.Context, c client.Client, name string) (*kumov1.Region, error) {
	region := &kumov1.Region{}
	err := c.Get(ctx, client.ObjectKey{Name: name}, region)
	if err == nil {
		return region, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, APIError(err, "read region "+name, "")
	}
	var list kumov1.RegionList
	if c.List(ctx, &list) != nil {
		return nil, Exit(ExitNotFound, "region %q not found", name)
	}
	var names []string
	for _, r := range list.Items {
		names = append(names, r.Name)
	}
	sort.Strings(names)
	return nil, Exit(ExitNotFound, "region %q not found; regions: %s (see `kumoctl regions`)", name, OrNone(strings.Join(names, ", ")))
}

// CheckCapacity refuses a request the region cannot hold, before anything
// is created: an unknown flavor, or more vCPUs than are free.
func CheckCapacity(ctx context.Context, c client.Client, regionName, flavor string, nodes int32) error {
	region, err := GetRegion(ctx, c, regionName)
	if err != nil {
		return err
	}
	if len(region.Status.Flavors) == 0 {
		return nil // the region has not reported yet; the controller will check
	}
	var names []string
	for _, f := range region.Status.Flavors {
		names = append(names, f.Name)
		if f.Name != flavor {
			continue
		}
		need := int64(f.VCPUs) * int64(nodes)
		free := region.Status.VCPUs - region.Status.UsedVCPUs
		if need > free {
			another := "another region"
			if Allowed(ctx, c, "list", regionsResource, "") {
				another += " (`kumoctl regions`)"
			}
			return Exit(ExitFailed, "region %s is full: %d x %s needs %d vCPUs, %d free; pick %s, fewer nodes or a smaller flavor",
				regionName, nodes, flavor, need, free, another)
		}
		return nil
	}
	return UsageError("flavor %q is not offered in %s; flavors: %s", flavor, regionName, strings.Join(names, ", "))
}

// Minor is "1.36" of "1.36.3" (a version without a patch is its own minor).
func Minor(version string) string { return catalog.Minor(version) }

// forNewClusters: a new cluster may ask for the release (a Preview one
// only by name).
func forNewClusters(r *kumov1.KubernetesRelease) bool {
	s := catalog.State(r)
	return s == kumov1.ReleaseSupported || s == kumov1.ReleasePreview
}

// CompleteRegions completes --region, describing the one a cluster gets
// without it (for the command's --flavor and --nodes, if it has them) as
// the default.
func CompleteRegions(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var list kumov1.RegionList
		if c.List(cmd.Context(), &list) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		flavor, nodes := DefaultFlavor, DefaultNodes
		if fl := cmd.Flags().Lookup("flavor"); fl != nil {
			flavor = fl.Value.String()
		}
		if n, err := cmd.Flags().GetInt32("nodes"); err == nil {
			nodes = n
		}
		def, _ := PickRegion(list.Items, flavor, nodes)
		var out []string
		for i, r := range list.Items {
			out = append(out, withDefault(r.Name, &list.Items[i] == def))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteVersions completes --version with the offered minors and
// patches, describing the default one as such.
func CompleteVersions(f *Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		c, err := f.Client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		releases, err := Releases(cmd.Context(), c)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		def, _ := DefaultVersion(cmd.Context(), c)
		var out []string
		seen := map[string]bool{}
		for _, r := range releases {
			minor := Minor(r.Spec.Version)
			if !seen[minor] {
				seen[minor] = true
				out = append(out, withDefault(minor, minor == def))
			}
			out = append(out, withDefault(r.Spec.Version, r.Spec.Version == def))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// withDefault describes a completion as the default (shells that show
// descriptions show it).
func withDefault(value string, isDefault bool) string {
	if isDefault {
		return value + "\tdefault"
	}
	return value
}

// ClusterNames lists the cluster names of the current namespace, for completion.
func ClusterNames(ctx context.Context, f *Factory) []string {
	c, err := f.Client()
	if err != nil {
		return nil
	}
	ns, err := f.Namespace()
	if err != nil {
		return nil
	}
	var list kumov1.ClusterList
	if c.List(ctx, &list, client.InNamespace(ns)) != nil {
		return nil
	}
	var out []string
	for _, cl := range list.Items {
		out = append(out, cl.Name)
	}
	return out
}
