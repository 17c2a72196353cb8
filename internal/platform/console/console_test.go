package console

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/process"
)

// cluster is team-a/demo in phase with desired nodes, and a Ready condition
// of reason and message.
func cluster(phase kumov1.ClusterPhase, nodes int32, reason, message string) *kumov1.Cluster {
	c := &kumov1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "demo"},
		Spec: kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1",
			ControlPlane: kumov1.ControlPlaneSpec{Endpoint: &kumov1.APIEndpoint{Host: "127.0.0.1", Port: 31000}},
			NodePools:    []kumov1.NodePool{{Name: "default", Replicas: nodes}}},
		Status: kumov1.ClusterStatus{Phase: phase, Version: "v1.36.3", DesiredNodes: nodes, ReadyNodes: nodes,
			Nodes: fmt.Sprintf("%d/%d", nodes, nodes)},
	}
	if reason != "" {
		c.Status.Conditions = []metav1.Condition{{Type: kumov1.ReadyCondition, Reason: reason, Message: message}}
	}
	return c
}

func TestClusterLines(t *testing.T) {
	tests := map[string]struct {
		// initial clusters existed when the console started.
		initial []*kumov1.Cluster
		// changes are the states the watch delivers, in order; nil is a delete.
		changes []*kumov1.Cluster
		// want are the lines printed, without the time.
		want []string
	}{
		"a new cluster until Ready": {
			changes: []*kumov1.Cluster{
				cluster("", 3, "", ""),
				cluster(kumov1.ClusterProvisioning, 3, kumov1.WaitingForControlPlaneReason, "control plane is starting"),
				cluster(kumov1.ClusterProvisioning, 3, kumov1.NodesNotReadyReason, "1/3 nodes ready"),
				cluster(kumov1.ClusterReady, 3, kumov1.ReadyReason, "3/3 nodes ready"),
				cluster(kumov1.ClusterReady, 3, kumov1.ReadyReason, "3/3 nodes ready"),
			},
			want: []string{
				"team-a/demo created: Kubernetes 1.36 in tokyo-1, 3 nodes",
				"team-a/demo is Ready: Kubernetes v1.36.3, 3/3 nodes, API https://127.0.0.1:31000",
			},
		},
		"scaled out and in": {
			initial: []*kumov1.Cluster{cluster(kumov1.ClusterReady, 3, kumov1.ReadyReason, "")},
			changes: []*kumov1.Cluster{
				cluster(kumov1.ClusterScaling, 5, kumov1.NodesNotReadyReason, "3/5 nodes ready"),
				cluster(kumov1.ClusterReady, 5, kumov1.ReadyReason, ""),
				cluster(kumov1.ClusterScaling, 2, kumov1.ScalingReason, "draining"),
				cluster(kumov1.ClusterReady, 2, kumov1.ReadyReason, ""),
			},
			want: []string{"team-a/demo scaled from 3 to 5 nodes", "team-a/demo scaled from 5 to 2 nodes"},
		},
		"resumed: Ready again after the control plane restarted": {
			initial: []*kumov1.Cluster{cluster(kumov1.ClusterReady, 3, kumov1.ReadyReason, "")},
			changes: []*kumov1.Cluster{
				cluster(kumov1.ClusterProvisioning, 3, kumov1.WaitingForControlPlaneReason, ""),
				cluster(kumov1.ClusterReady, 3, kumov1.ReadyReason, ""),
			},
			want: []string{"team-a/demo is Ready: Kubernetes v1.36.3, 3/3 nodes, API https://127.0.0.1:31000"},
		},
		"failed, with each new reason": {
			changes: []*kumov1.Cluster{
				cluster("", 3, "", ""),
				cluster(kumov1.ClusterFailed, 3, kumov1.RegionNotFoundReason, `region "mars-1" does not exist`),
				cluster(kumov1.ClusterFailed, 3, kumov1.RegionNotFoundReason, `region "mars-1" does not exist`),
				cluster(kumov1.ClusterFailed, 3, kumov1.CapacityExhaustedReason, "no hypervisor has room"),
			},
			want: []string{
				"team-a/demo created: Kubernetes 1.36 in tokyo-1, 3 nodes",
				`team-a/demo failed: RegionNotFound: region "mars-1" does not exist`,
				"team-a/demo failed: CapacityExhausted: no hypervisor has room",
			},
		},
		"pending for host memory, once however the numbers change": {
			changes: []*kumov1.Cluster{
				cluster("", 3, "", ""),
				cluster(kumov1.ClusterPending, 3, kumov1.InsufficientHostMemoryReason, "not enough memory on the host: 1.2 GiB available"),
				cluster(kumov1.ClusterPending, 3, kumov1.InsufficientHostMemoryReason, "not enough memory on the host: 1.1 GiB available"),
				cluster(kumov1.ClusterProvisioning, 3, kumov1.WaitingForControlPlaneReason, ""),
				cluster(kumov1.ClusterReady, 3, kumov1.ReadyReason, ""),
			},
			want: []string{
				"team-a/demo created: Kubernetes 1.36 in tokyo-1, 3 nodes",
				"team-a/demo is Pending: InsufficientHostMemory: not enough memory on the host: 1.2 GiB available",
				"team-a/demo is Ready: Kubernetes v1.36.3, 3/3 nodes, API https://127.0.0.1:31000",
			},
		},
		"deleted": {
			initial: []*kumov1.Cluster{cluster(kumov1.ClusterReady, 3, kumov1.ReadyReason, "")},
			changes: []*kumov1.Cluster{cluster(kumov1.ClusterDeleting, 3, kumov1.DeletingReason, ""), nil},
			want:    []string{"team-a/demo deleted"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			var out bytes.Buffer
			c := New(&out)
			c.now = func() time.Time { return time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC) }
			for _, cl := range tt.initial {
				c.ClusterChanged(cl, true)
			}
			for _, cl := range tt.changes {
				if cl == nil {
					c.ClusterDeleted(cluster("", 0, "", ""))
					continue
				}
				c.ClusterChanged(cl, false)
			}
			var want string
			for _, l := range tt.want {
				want += "12:00:00 " + l + "\n"
			}
			g.Expect(out.String()).To(Equal(want))
		})
	}
}

func TestRestarted(t *testing.T) {
	g := NewWithT(t)
	var out bytes.Buffer
	c := New(&out)
	c.now = func() time.Time { return time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC) }
	exit := exec.Command("/bin/sh", "-c", "exit 2").Run()
	var ee *exec.ExitError
	g.Expect(errors.As(exit, &ee)).To(BeTrue())
	c.Restarted(process.Spec{Name: "team-a/demo kube-apiserver", LogFile: "/data/clusters/u/logs/kube-apiserver.log"}, exit)
	g.Expect(out.String()).To(Equal("12:00:00 team-a/demo kube-apiserver exited (exit status 2), restarting it; log: /data/clusters/u/logs/kube-apiserver.log\n"))
}
