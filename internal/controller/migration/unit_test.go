package migration

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func TestMoved(t *testing.T) {
	tests := map[string]struct {
		replicas, percent, want int32
	}{
		"a quarter of 10 rounds up": {replicas: 10, percent: 25, want: 3},
		"half of 10":                {replicas: 10, percent: 50, want: 5},
		"all of 10":                 {replicas: 10, percent: 100, want: 10},
		"1% of 1 moves one":         {replicas: 1, percent: 1, want: 1},
		"an empty pool moves none":  {replicas: 0, percent: 50, want: 0},
		"99% of 1000":               {replicas: 1000, percent: 99, want: 990},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			NewWithT(t).Expect(kumov1.Moved(tc.replicas, tc.percent)).To(Equal(tc.want))
		})
	}
}

func TestCapacity(t *testing.T) {
	region := &kumov1.Region{
		ObjectMeta: metav1.ObjectMeta{Name: "osaka-1"},
		Status: kumov1.RegionStatus{VCPUs: 100, UsedVCPUs: 80, Flavors: []kumov1.FlavorInfo{
			{Name: "m1.medium", VCPUs: 2}, {Name: "m1.large", VCPUs: 4},
		}},
	}
	tests := map[string]struct {
		// pools of the cluster to move.
		pools []kumov1.NodePool
		// wantReason is "" when the region has room; wantMsg part of the message.
		wantReason, wantMsg string
	}{
		"fits exactly": {pools: []kumov1.NodePool{{Name: "a", Replicas: 10, Flavor: "m1.medium"}}},
		"one vCPU short": {
			pools:      []kumov1.NodePool{{Name: "a", Replicas: 9, Flavor: "m1.medium"}, {Name: "b", Replicas: 1, Flavor: "m1.large"}},
			wantReason: kumov1.CapacityShortReason,
			wantMsg:    "region osaka-1 has 20 vCPUs free, the cluster needs 22 (1 x m1.large (4 vCPUs), 9 x m1.medium (2 vCPUs))",
		},
		"flavor not offered": {
			pools:      []kumov1.NodePool{{Name: "gpu", Replicas: 1, Flavor: "g1.large"}},
			wantReason: kumov1.InvalidFlavorReason,
			wantMsg:    "region osaka-1 does not offer flavor g1.large of pool gpu",
		},
		"an empty pool of a missing flavor": {pools: []kumov1.NodePool{{Name: "gpu", Replicas: 0, Flavor: "g1.large"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c := &kumov1.Cluster{Spec: kumov1.ClusterSpec{NodePools: tc.pools}}
			reason, msg := capacity(c, region)
			g.Expect(reason).To(Equal(tc.wantReason))
			g.Expect(msg).To(ContainSubstring(tc.wantMsg))
		})
	}
}

func TestDrainOrder(t *testing.T) {
	m := func(name string, isReady bool) *kumov1.Machine {
		st := metav1.ConditionFalse
		if isReady {
			st = metav1.ConditionTrue
		}
		return &kumov1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name},
			Status: kumov1.MachineStatus{Conditions: []metav1.Condition{{Type: kumov1.ReadyCondition, Status: st}}}}
	}
	got := drainOrder([]*kumov1.Machine{m("c-p-0", true), m("c-p-2", true), m("c-p-10", true), m("c-p-1", false)})
	var names []string
	for _, x := range got {
		names = append(names, x.Name)
	}
	NewWithT(t).Expect(names).To(Equal([]string{"c-p-1", "c-p-10", "c-p-2", "c-p-0"}), "not Ready first, then the newest")
}
