package platform

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func TestControlPlaneCounts(t *testing.T) {
	g := NewWithT(t)
	cluster := func(phase kumov1.ClusterPhase, ok metav1.ConditionStatus, reason string) *kumov1.Cluster {
		return &kumov1.Cluster{Status: kumov1.ClusterStatus{Phase: phase, Conditions: []metav1.Condition{
			{Type: kumov1.ControlPlaneReadyCondition, Status: ok, Reason: reason},
		}}}
	}
	var c ControlPlaneCounts
	for _, cl := range []*kumov1.Cluster{
		cluster(kumov1.ClusterReady, metav1.ConditionTrue, kumov1.ReadyReason),
		cluster(kumov1.ClusterDegraded, metav1.ConditionFalse, kumov1.ControlPlaneUnhealthyReason),
		cluster(kumov1.ClusterProvisioning, metav1.ConditionFalse, kumov1.ControlPlaneStartingReason),
		cluster(kumov1.ClusterPending, metav1.ConditionFalse, kumov1.InsufficientHostMemoryReason),
		cluster(kumov1.ClusterFailed, metav1.ConditionFalse, kumov1.VersionNotSupportedReason),
	} {
		c.add(cl)
	}
	g.Expect(c).To(Equal(ControlPlaneCounts{Running: 1, Starting: 1, Pending: 1, Unhealthy: 1}))
}
