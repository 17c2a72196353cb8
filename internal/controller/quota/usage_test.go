package quota

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

var (
	now     = time.Date(2026, time.May, 4, 12, 0, 0, 0, time.UTC)
	flavors = flavorTable{"tokyo-1": {"m1.medium": 2, "m1.large": 4}}
)

// cluster is a cluster in tokyo-1 at a generation, with pools of flavor:replicas.
func cluster(uid string, generation int64, pools ...kumov1.NodePool) kumov1.Cluster {
	return kumov1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: uid, UID: types.UID(uid), Generation: generation},
		Spec:       kumov1.ClusterSpec{Region: "tokyo-1", NodePools: pools},
	}
}

func pool(name, flavor string, replicas int32) kumov1.NodePool {
	return kumov1.NodePool{Name: name, Flavor: flavor, Replicas: replicas}
}

func reservation(uid string, generation int64, age time.Duration, u kumov1.QuotaUsage) kumov1.QuotaReservation {
	return kumov1.QuotaReservation{Cluster: uid, UID: types.UID(uid), Generation: generation, Usage: u, Time: metav1.NewTime(now.Add(-age))}
}

func TestCount(t *testing.T) {
	deleting := cluster("d", 2, pool("default", "m1.large", 5))
	deleting.DeletionTimestamp = ptr.To(metav1.NewTime(now))
	tests := map[string]struct {
		clusters []kumov1.Cluster          // what the cache shows
		pending  []kumov1.QuotaReservation // in status before
		used     kumov1.QuotaUsage         // the count
		kept     []string                  // UIDs of the reservations kept
		next     time.Duration             // requeue for the soonest expiry
	}{
		"clusters, nodes and vCPUs by flavor": {
			clusters: []kumov1.Cluster{cluster("a", 1, pool("default", "m1.medium", 3), pool("big", "m1.large", 1)), cluster("b", 1)},
			used:     kumov1.QuotaUsage{Clusters: 2, Nodes: 4, VCPUs: 10},
		},
		"a cluster being deleted counts nothing": {
			clusters: []kumov1.Cluster{deleting},
		},
		"an unknown flavor counts nodes, not vCPUs": {
			clusters: []kumov1.Cluster{cluster("a", 1, pool("default", "x9.mega", 2))},
			used:     kumov1.QuotaUsage{Clusters: 1, Nodes: 2},
		},
		"a create the cache does not show yet is held": {
			pending: []kumov1.QuotaReservation{reservation("new", 1, time.Second, kumov1.QuotaUsage{Clusters: 1, Nodes: 3, VCPUs: 6})},
			used:    kumov1.QuotaUsage{Clusters: 1, Nodes: 3, VCPUs: 6},
			kept:    []string{"new"}, next: reservationTTL - time.Second,
		},
		"a scale-up the cache shows at an older generation holds only the growth": {
			clusters: []kumov1.Cluster{cluster("a", 1, pool("default", "m1.medium", 2))},
			pending:  []kumov1.QuotaReservation{reservation("a", 2, time.Second, kumov1.QuotaUsage{Clusters: 1, Nodes: 5, VCPUs: 10})},
			used:     kumov1.QuotaUsage{Clusters: 1, Nodes: 5, VCPUs: 10},
			kept:     []string{"a"}, next: reservationTTL - time.Second,
		},
		"a write the cache shows is counted from the cluster": {
			clusters: []kumov1.Cluster{cluster("a", 2, pool("default", "m1.medium", 5))},
			pending:  []kumov1.QuotaReservation{reservation("a", 2, time.Second, kumov1.QuotaUsage{Clusters: 1, Nodes: 5, VCPUs: 10})},
			used:     kumov1.QuotaUsage{Clusters: 1, Nodes: 5, VCPUs: 10},
		},
		"a later generation counts too (scaled in since)": {
			clusters: []kumov1.Cluster{cluster("a", 3, pool("default", "m1.medium", 1))},
			pending:  []kumov1.QuotaReservation{reservation("a", 2, time.Second, kumov1.QuotaUsage{Clusters: 1, Nodes: 5, VCPUs: 10})},
			used:     kumov1.QuotaUsage{Clusters: 1, Nodes: 1, VCPUs: 2},
		},
		"a write that never came is given back after the TTL": {
			pending: []kumov1.QuotaReservation{
				reservation("failed", 1, reservationTTL+time.Second, kumov1.QuotaUsage{Clusters: 1, Nodes: 3}),
				reservation("young", 1, 10*time.Second, kumov1.QuotaUsage{Clusters: 1}),
			},
			used: kumov1.QuotaUsage{Clusters: 1},
			kept: []string{"young"}, next: reservationTTL - 10*time.Second,
		},
		"a reserved cluster being deleted holds the rest of its reservation": {
			clusters: []kumov1.Cluster{func() kumov1.Cluster { c := deleting.DeepCopy(); c.UID, c.Generation = "a", 1; return *c }()},
			pending:  []kumov1.QuotaReservation{reservation("a", 2, time.Second, kumov1.QuotaUsage{Clusters: 1, Nodes: 1})},
			used:     kumov1.QuotaUsage{Clusters: 1, Nodes: 1},
			kept:     []string{"a"}, next: reservationTTL - time.Second,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			used, kept, next := count(tc.clusters, tc.pending, flavors, now)
			g.Expect(used).To(Equal(tc.used))
			var uids []string
			for _, r := range kept {
				uids = append(uids, string(r.UID))
			}
			g.Expect(uids).To(Equal(tc.kept))
			g.Expect(next).To(Equal(tc.next))
		})
	}
}

func TestExceeded(t *testing.T) {
	three := ptr.To[int64](3)
	tests := map[string]struct {
		spec   kumov1.TeamQuotaSpec // the team's own limits
		limits kumov1.QuotaLimits   // in effect
		used   kumov1.QuotaUsage
		delta  kumov1.QuotaUsage
		want   string // "" when within
	}{
		"within": {
			spec: kumov1.TeamQuotaSpec{MaxClusters: three}, limits: kumov1.QuotaLimits{Clusters: three},
			used: kumov1.QuotaUsage{Clusters: 2}, delta: kumov1.QuotaUsage{Clusters: 1},
		},
		"clusters": {
			spec: kumov1.TeamQuotaSpec{MaxClusters: three}, limits: kumov1.QuotaLimits{Clusters: three},
			used: kumov1.QuotaUsage{Clusters: 3}, delta: kumov1.QuotaUsage{Clusters: 1},
			want: `team "team-a" may have at most 3 clusters and has 3; ask a platform operator to raise it: kumo tenant add team-a --max-clusters N`,
		},
		"one cluster": {
			spec: kumov1.TeamQuotaSpec{MaxClusters: ptr.To[int64](1)}, limits: kumov1.QuotaLimits{Clusters: ptr.To[int64](1)},
			used: kumov1.QuotaUsage{Clusters: 1}, delta: kumov1.QuotaUsage{Clusters: 1},
			want: `team "team-a" may have at most 1 cluster and has 1; ask a platform operator to raise it: kumo tenant add team-a --max-clusters N`,
		},
		"a limit not grown is not checked (over quota already)": {
			limits: kumov1.QuotaLimits{Nodes: three},
			used:   kumov1.QuotaUsage{Clusters: 2, Nodes: 9}, delta: kumov1.QuotaUsage{Clusters: 1},
		},
		"nodes and vCPUs, one of them the default": {
			spec:   kumov1.TeamQuotaSpec{MaxVCPUs: ptr.To[int64](8)},
			limits: kumov1.QuotaLimits{Nodes: three, VCPUs: ptr.To[int64](8)},
			used:   kumov1.QuotaUsage{Clusters: 1, Nodes: 2, VCPUs: 4}, delta: kumov1.QuotaUsage{Nodes: 3, VCPUs: 6},
			want: `team "team-a" may have at most 3 nodes (the platform default) and has 2 (this change adds 3), and at most 8 vCPUs and has 4 (this change adds 6); ` +
				`ask a platform operator to raise them: kumo tenant add team-a --max-nodes N --max-vcpus N`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(exceeded("team-a", tc.spec, tc.limits, tc.used, tc.delta)).To(Equal(tc.want))
		})
	}
}

func TestUnknownGrowth(t *testing.T) {
	odd := func(n int32) kumov1.Cluster {
		return cluster("a", 1, pool("default", "m1.medium", 1), pool("odd", "x9.mega", n))
	}
	tests := map[string]struct {
		old  *kumov1.Cluster // nil: a create
		new  kumov1.Cluster
		want []int // pools that grow in an unknown flavor
	}{
		"create in a known flavor":      {new: cluster("a", 1, pool("default", "m1.medium", 3))},
		"create in an unknown flavor":   {new: odd(1), want: []int{1}},
		"an empty pool takes nothing":   {new: odd(0)},
		"scaling it up":                 {old: ptr.To(odd(1)), new: odd(2), want: []int{1}},
		"scaling it down":               {old: ptr.To(odd(2)), new: odd(1)},
		"a region without flavors":      {new: func() kumov1.Cluster { c := odd(0); c.Spec.Region = "nagoya-1"; return c }(), want: []int{0}},
		"switching to an unknown one":   {old: ptr.To(cluster("a", 1, pool("odd", "m1.medium", 1))), new: cluster("a", 2, pool("odd", "x9.mega", 1)), want: []int{0}},
		"the other pool grows, not odd": {old: ptr.To(odd(1)), new: func() kumov1.Cluster { c := odd(1); c.Spec.NodePools[0].Replicas = 5; return c }()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(unknownGrowth(tc.old, &tc.new, flavors)).To(Equal(tc.want))
		})
	}
}

func TestDescribe(t *testing.T) {
	g := NewWithT(t)
	q := &kumov1.TeamQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Generation: 2},
		Spec: kumov1.TeamQuotaSpec{MaxNodes: ptr.To[int64](2)}}
	describe(q, &kumov1.TeamQuotaSpec{MaxClusters: ptr.To[int64](5), MaxNodes: ptr.To[int64](50)})
	g.Expect(q.Status.Clusters).To(Equal("-/5"), "not counted yet")
	g.Expect(q.Status.Conditions).To(BeEmpty())

	q.Status.Used = &kumov1.QuotaUsage{Clusters: 1, Nodes: 4, VCPUs: 8}
	describe(q, &kumov1.TeamQuotaSpec{MaxClusters: ptr.To[int64](5), MaxNodes: ptr.To[int64](50)})
	g.Expect([]string{q.Status.Clusters, q.Status.Nodes, q.Status.VCPUs}).To(Equal([]string{"1/5", "4/2", "8/none"}))
	g.Expect(q.Status.Conditions).To(ConsistOf(And(
		HaveField("Type", kumov1.WithinQuotaCondition), HaveField("Status", metav1.ConditionFalse),
		HaveField("Reason", kumov1.OverQuotaReason), HaveField("ObservedGeneration", BeEquivalentTo(2)),
		HaveField("Message", "team team-a has 4 nodes of at most 2: what exists keeps running, and growth is refused until it is back within its limits or an operator raises them"),
	)))
}
