package quota

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// reservationTTL is how long a reservation waits for the controller to
// see its write. A write that failed after admission (a create of a name
// that exists, say) holds its reservation this long; a write the cache
// has not shown within it (a watch that lags by a minute) would be
// undercounted afterwards, so it is long for a cache and short for a
// team waiting for a refused create to count again.
const reservationTTL = time.Minute

// flavorTable maps region, then flavor, to vCPUs, as the Regions report
// them (status.flavors, which the region controller reads from the cloud).
type flavorTable map[string]map[string]int64

func flavorsOf(regions []kumov1.Region) flavorTable {
	t := flavorTable{}
	for _, r := range regions {
		m := map[string]int64{}
		for _, f := range r.Status.Flavors {
			m[f.Name] = int64(f.VCPUs)
		}
		t[r.Name] = m
	}
	return t
}

// vcpus are a flavor's vCPUs in a region, if the region reports it.
func (t flavorTable) vcpus(region, flavor string) (int64, bool) {
	n, ok := t[region][flavor]
	return n, ok
}

// usage is what a cluster asks for: itself, its pools' nodes and their
// vCPUs. A pool of a flavor the region does not report counts no vCPUs:
// the cloud refuses its VMs (the cluster reports InvalidFlavor). A nil
// cluster takes nothing.
func usage(c *kumov1.Cluster, t flavorTable) kumov1.QuotaUsage {
	if c == nil {
		return kumov1.QuotaUsage{}
	}
	u := kumov1.QuotaUsage{Clusters: 1}
	for _, p := range c.Spec.NodePools {
		u.Nodes += int64(p.Replicas)
		n, _ := t.vcpus(c.EffectiveRegion(), p.Flavor)
		u.VCPUs += int64(p.Replicas) * n
	}
	return u
}

// unknownGrowth are the indices of the pools of c that grow from old (nil
// for a new cluster) in a flavor whose vCPUs the region does not report,
// and which a vCPU limit therefore cannot count.
func unknownGrowth(old, c *kumov1.Cluster, t flavorTable) []int {
	var out []int
	for i, p := range c.Spec.NodePools {
		if _, ok := t.vcpus(c.EffectiveRegion(), p.Flavor); ok || p.Replicas == 0 {
			continue
		}
		grows := true
		if old != nil {
			for _, o := range old.Spec.NodePools {
				if o.Name == p.Name && o.Flavor == p.Flavor && o.Replicas >= p.Replicas {
					grows = false
				}
			}
		}
		if grows {
			out = append(out, i)
		}
	}
	return out
}

func add(a, b kumov1.QuotaUsage) kumov1.QuotaUsage {
	return kumov1.QuotaUsage{Clusters: a.Clusters + b.Clusters, Nodes: a.Nodes + b.Nodes, VCPUs: a.VCPUs + b.VCPUs}
}

// beyond is what a takes beyond b, resource by resource (never negative).
func beyond(a, b kumov1.QuotaUsage) kumov1.QuotaUsage {
	return kumov1.QuotaUsage{Clusters: max(a.Clusters-b.Clusters, 0), Nodes: max(a.Nodes-b.Nodes, 0), VCPUs: max(a.VCPUs-b.VCPUs, 0)}
}

func most(a, b kumov1.QuotaUsage) kumov1.QuotaUsage {
	return kumov1.QuotaUsage{Clusters: max(a.Clusters, b.Clusters), Nodes: max(a.Nodes, b.Nodes), VCPUs: max(a.VCPUs, b.VCPUs)}
}

// count is what a team's clusters take, those being deleted aside (the
// team cannot take them back, and their VMs go on their own), plus what
// each pending reservation holds beyond what its cluster shows. keep are
// the reservations still pending: those whose cluster the list does not
// show at their generation yet and that are younger than reservationTTL.
// next is how soon the oldest of them expires (0 when none is left).
func count(clusters []kumov1.Cluster, pending []kumov1.QuotaReservation, t flavorTable, now time.Time) (used kumov1.QuotaUsage, keep []kumov1.QuotaReservation, next time.Duration) {
	byUID := make(map[types.UID]*kumov1.Cluster, len(clusters))
	for i := range clusters {
		c := &clusters[i]
		byUID[c.UID] = c
		if c.DeletionTimestamp.IsZero() {
			used = add(used, usage(c, t))
		}
	}
	for _, r := range pending {
		c, seen := byUID[r.UID]
		if seen && c.Generation >= r.Generation {
			continue // counted above, as it is now
		}
		left := r.Time.Add(reservationTTL).Sub(now)
		if left <= 0 {
			continue
		}
		var shown kumov1.QuotaUsage
		if seen && c.DeletionTimestamp.IsZero() {
			shown = usage(c, t)
		}
		used = add(used, beyond(r.Usage, shown))
		keep = append(keep, r)
		if next == 0 || left < next {
			next = left
		}
	}
	return used, keep, next
}

// resource is one thing a quota limits, with what people and the
// commands call it.
type resource struct {
	one, many string // "cluster", "clusters"
	flag      string // of `kumo tenant add`
	own       func(kumov1.TeamQuotaSpec) *int64
	limit     func(kumov1.QuotaLimits) *int64
	amount    func(kumov1.QuotaUsage) int64
}

var resources = []resource{
	{one: "cluster", many: "clusters", flag: "--max-clusters",
		own:    func(s kumov1.TeamQuotaSpec) *int64 { return s.MaxClusters },
		limit:  func(l kumov1.QuotaLimits) *int64 { return l.Clusters },
		amount: func(u kumov1.QuotaUsage) int64 { return u.Clusters }},
	{one: "node", many: "nodes", flag: "--max-nodes",
		own:    func(s kumov1.TeamQuotaSpec) *int64 { return s.MaxNodes },
		limit:  func(l kumov1.QuotaLimits) *int64 { return l.Nodes },
		amount: func(u kumov1.QuotaUsage) int64 { return u.Nodes }},
	{one: "vCPU", many: "vCPUs", flag: "--max-vcpus",
		own:    func(s kumov1.TeamQuotaSpec) *int64 { return s.MaxVCPUs },
		limit:  func(l kumov1.QuotaLimits) *int64 { return l.VCPUs },
		amount: func(u kumov1.QuotaUsage) int64 { return u.VCPUs }},
}

func (r resource) of(n int64) string {
	if n == 1 {
		return "1 " + r.one
	}
	return fmt.Sprintf("%d %s", n, r.many)
}

// exceeded says which limits of team adding delta to used would pass,
// what is used and who can raise them; "" when none would.
func exceeded(team string, spec kumov1.TeamQuotaSpec, limits kumov1.QuotaLimits, used, delta kumov1.QuotaUsage) string {
	var parts, flags []string
	for _, r := range resources {
		limit, d := r.limit(limits), r.amount(delta)
		if limit == nil || d == 0 || r.amount(used)+d <= *limit {
			continue
		}
		part := "at most " + r.of(*limit)
		if r.own(spec) == nil {
			part += " (the platform default)"
		}
		part += fmt.Sprintf(" and has %d", r.amount(used))
		if r.many != "clusters" {
			part += fmt.Sprintf(" (this change adds %d)", d)
		}
		parts = append(parts, part)
		flags = append(flags, r.flag+" N")
	}
	if len(parts) == 0 {
		return ""
	}
	it := "it"
	if len(parts) > 1 {
		it = "them"
	}
	return fmt.Sprintf("team %q may have %s; ask a platform operator to raise %s: kumo tenant add %s %s",
		team, strings.Join(parts, ", and "), it, team, strings.Join(flags, " "))
}

// over describes the limits used is above, e.g. "5 nodes of at most 3";
// "" when within all.
func over(limits kumov1.QuotaLimits, used kumov1.QuotaUsage) string {
	var parts []string
	for _, r := range resources {
		if l := r.limit(limits); l != nil && r.amount(used) > *l {
			parts = append(parts, fmt.Sprintf("%s of at most %d", r.of(r.amount(used)), *l))
		}
	}
	return strings.Join(parts, ", ")
}

// display is a "used/limit" cell: "none" for no limit, "-" for no count.
func display(used *kumov1.QuotaUsage, r resource, limits kumov1.QuotaLimits) string {
	u, l := "-", "none"
	if used != nil {
		u = fmt.Sprint(r.amount(*used))
	}
	if limit := r.limit(limits); limit != nil {
		l = fmt.Sprint(*limit)
	}
	return u + "/" + l
}
