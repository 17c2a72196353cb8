package cmdutil

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/catalog"
)

// What a new cluster gets unless told otherwise.
const (
	DefaultNodes  int32 = 3
	DefaultFlavor       = "m1.medium"
)

// Why a region was chosen for a cluster that named none.
const (
	RegionMarkedDefault = "default region"
	RegionMostFree      = "default: most free vCPUs"
)

// DefaultRelease is the release a new cluster gets without a version: the
// Supported release an operator marked default (the newest, should several
// be), else the newest Supported one; nil when none is Supported. releases
// are newest first, as Releases returns them.
func DefaultRelease(releases []kumov1.KubernetesRelease) *kumov1.KubernetesRelease {
	var newest *kumov1.KubernetesRelease
	for i := range releases {
		r := &releases[i]
		if !supported(r) {
			continue
		}
		if r.Spec.Default {
			return r
		}
		if newest == nil {
			newest = r
		}
	}
	return newest
}

// DefaultVersion returns the default release as a cluster spec carries
// it: its minor ("1.36") when it is the newest patch of that minor, so the
// cluster reads as "the newest 1.36", else the exact version.
func DefaultVersion(ctx context.Context, c client.Client) (string, error) {
	releases, err := Releases(ctx, c)
	if err != nil {
		return "", err
	}
	def := DefaultRelease(releases)
	if def == nil {
		return "", Exit(ExitNotFound, "the platform offers no Kubernetes version for new clusters yet; ask the platform team")
	}
	minor := Minor(def.Spec.Version)
	for _, r := range releases {
		if strings.HasPrefix(r.Spec.Version, minor+".") {
			if r.Spec.Version == def.Spec.Version {
				return minor, nil // the newest of its minor
			}
			break
		}
	}
	return def.Spec.Version, nil
}

// supported: new clusters may get the release without naming it (an empty
// state is the API's default, Supported).
func supported(r *kumov1.KubernetesRelease) bool {
	return catalog.State(r) == kumov1.ReleaseSupported
}

// PickRegion chooses the region for nodes of flavor in a cluster that names
// none: the region an operator marked default (the first by name, should
// several be) if it can take them, else of the regions that can, the one
// with the most free vCPUs. A region can take the nodes when its cloud
// answers (Ready), it offers the flavor and has the vCPUs free. why is
// RegionMarkedDefault, RegionMostFree, or says why the marked region was
// passed over ("default: tokyo-1 is full; most free vCPUs"); nil when no
// region can take the nodes.
func PickRegion(regions []kumov1.Region, flavor string, nodes int32) (region *kumov1.Region, why string) {
	var marked *kumov1.Region
	for i := range regions {
		if r := &regions[i]; r.Spec.Default && (marked == nil || r.Name < marked.Name) {
			marked = r
		}
	}
	if marked != nil && roomFor(marked, flavor, nodes).problem == "" {
		return marked, RegionMarkedDefault
	}
	for _, r := range byFree(regions) {
		if roomFor(r, flavor, nodes).problem != "" {
			continue
		}
		if marked != nil {
			return r, fmt.Sprintf("default: %s %s; most free vCPUs", marked.Name, roomFor(marked, flavor, nodes).problem)
		}
		return r, RegionMostFree
	}
	return nil, ""
}

// DefaultRegion is PickRegion over the platform's regions, with an error
// that says why none fits.
func DefaultRegion(ctx context.Context, c client.Client, flavor string, nodes int32) (string, string, error) {
	var list kumov1.RegionList
	if err := c.List(ctx, &list); err != nil {
		return "", "", APIError(err, "list regions", "")
	}
	if len(list.Items) == 0 {
		return "", "", Exit(ExitNotFound, "the platform has no regions yet; ask the platform team")
	}
	region, why := PickRegion(list.Items, flavor, nodes)
	if region == nil {
		var each []string
		for _, r := range byFree(list.Items) {
			room := roomFor(r, flavor, nodes)
			if room.problem == regionFull {
				each = append(each, fmt.Sprintf("%s has %d vCPUs free (%d needed)", r.Name, room.free, room.need))
			} else {
				each = append(each, r.Name+" "+room.problem)
			}
		}
		return "", "", Exit(ExitFailed, "no region has room for %d x %s: %s; ask for fewer nodes or a smaller flavor (see `kumoctl regions`)",
			nodes, flavor, strings.Join(each, ", "))
	}
	return region.Name, why, nil
}

// regionFull is the problem of a region without the vCPUs free.
const regionFull = "is full"

// room is what a region has for some nodes: the vCPUs they need and it has
// free, and what keeps it from taking them ("" when nothing does).
type room struct {
	need, free int64
	problem    string
}

func roomFor(r *kumov1.Region, flavor string, nodes int32) room {
	if !meta.IsStatusConditionTrue(r.Status.Conditions, kumov1.ReadyCondition) {
		return room{problem: "is not Ready"}
	}
	for _, f := range r.Status.Flavors {
		if f.Name != flavor {
			continue
		}
		rm := room{need: int64(f.VCPUs) * int64(nodes), free: free(r)}
		if rm.need > rm.free {
			rm.problem = regionFull
		}
		return rm
	}
	return room{problem: "does not offer " + flavor}
}

// byFree orders regions most free vCPUs first, then by name.
func byFree(regions []kumov1.Region) []*kumov1.Region {
	sorted := make([]*kumov1.Region, 0, len(regions))
	for i := range regions {
		sorted = append(sorted, &regions[i])
	}
	sort.Slice(sorted, func(i, j int) bool {
		fi, fj := free(sorted[i]), free(sorted[j])
		if fi != fj {
			return fi > fj
		}
		return sorted[i].Name < sorted[j].Name
	})
	return sorted
}

// free is the vCPUs a region has free, as it last reported.
func free(r *kumov1.Region) int64 { return max(r.Status.VCPUs-r.Status.UsedVCPUs, 0) }
