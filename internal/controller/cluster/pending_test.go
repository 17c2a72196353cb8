package cluster_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
)

// TestClusterWaitsForRoom: control planes start one at a time here (the
// runtime's bound), so of two clusters created together one says it waits
// to start; both become Ready. A cluster whose control plane would take the
// host's memory below the reserve is Pending with reason
// InsufficientHostMemory and the numbers, with one Warning event however
// often it retries, starts nothing, and proceeds once memory is free.
func TestClusterWaitsForRoom(t *testing.T) {
	const gib = 1 << 30
	var available atomic.Uint64
	var reads atomic.Int64
	available.Store(64 * gib)
	env := ctrltest.Start(t)
	mgr := env.StartManagerWithRuntime(t, ctrltest.NewState(t), func(o *cpprocess.Options) {
		o.MaxStarting = 1
		o.Memory = cpprocess.MemoryGuard{Reserve: gib, PerControlPlane: 256 << 20, Read: func() (cpprocess.HostMemory, error) {
			reads.Add(1)
			return cpprocess.HostMemory{Total: 64 * gib, Available: available.Load()}, nil
		}}
	})
	env.CreateRegion(t, "room-1", ctrltest.SmallFleet(), 0)
	ctx := context.Background()

	t.Run("one start at a time", func(t *testing.T) {
		g := ctrltest.NewWithT(t)
		clusters := []*kumov1.Cluster{
			ctrltest.NewCluster(env.Namespace(t, "team-a"), "first", "room-1", 1),
			ctrltest.NewCluster(env.Namespace(t, "team-b"), "second", "room-1", 1),
		}
		for _, c := range clusters {
			g.Expect(env.Client.Create(ctx, c)).To(Succeed())
		}
		g.Eventually(func(g Gomega) {
			var msgs []string
			for _, c := range clusters {
				env.Get(g, c)
				if cp := meta.FindStatusCondition(c.Status.Conditions, kumov1.ControlPlaneReadyCondition); cp != nil {
					msgs = append(msgs, cp.Message)
				}
			}
			g.Expect(msgs).To(ContainElement("waiting to start: 1 control plane starting, 0 ahead of this one (at most 1 at once, 1 per team)"))
		}).Should(Succeed())
		for _, c := range clusters {
			g.Eventually(func(g Gomega) {
				env.Get(g, c)
				g.Expect(c.Status.Phase).To(Equal(kumov1.ClusterReady))
			}).Should(Succeed())
		}
	})

	t.Run("pending for host memory", func(t *testing.T) {
		g := ctrltest.NewWithT(t)
		available.Store(gib + 100<<20) // the reserve and less than one control plane
		cluster := ctrltest.NewCluster(env.Namespace(t, "team-c"), "big", "room-1", 1)
		phases := env.WatchPhases(t, cluster)
		g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
		g.Eventually(func(g Gomega) {
			env.Get(g, cluster)
			g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterPending))
			g.Expect(cluster.Status.Conditions).To(And(
				ctrltest.HaveCondition(kumov1.ControlPlaneReadyCondition, metav1.ConditionFalse, kumov1.InsufficientHostMemoryReason),
				ctrltest.HaveCondition(kumov1.ReadyCondition, metav1.ConditionFalse, kumov1.InsufficientHostMemoryReason),
			))
		}).Should(Succeed())
		ready := meta.FindStatusCondition(cluster.Status.Conditions, kumov1.ReadyCondition)
		g.Expect(ready.Message).To(And(ContainSubstring("1.1 GiB available"), ContainSubstring("1.0 GiB kept in reserve"),
			ContainSubstring("about 256 MiB per control plane"), ContainSubstring("delete a cluster")))

		// It retries (slowly), starting nothing, and says so once.
		seen := reads.Load()
		g.Eventually(reads.Load).WithTimeout(time.Minute).Should(BeNumerically(">=", seen+2))
		env.Get(g, cluster)
		g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterPending))
		g.Expect(mgr.Runtime.Running(cluster.UID)).To(BeNil())
		g.Expect(env.Machines(g, cluster)).To(BeEmpty())
		var warnings []string
		for _, ev := range env.Events(g, cluster) {
			if ev.Type == corev1.EventTypeWarning {
				warnings = append(warnings, ev.Reason+": "+ev.Note)
			}
		}
		g.Expect(warnings).To(HaveLen(1))
		g.Expect(warnings[0]).To(HavePrefix(kumov1.InsufficientHostMemoryReason + ": not enough memory on the host"))

		available.Store(64 * gib)
		g.Eventually(func(g Gomega) {
			env.Get(g, cluster)
			g.Expect(cluster.Status.Phase).To(Equal(kumov1.ClusterReady))
			g.Expect(cluster.Status.Nodes).To(Equal("1/1"))
		}).Should(Succeed())
		g.Expect(strings.TrimSpace(strings.Join(phaseNames(phases()), " "))).To(Equal("Pending Provisioning Ready"))
	})
}

func phaseNames(phases []kumov1.ClusterPhase) []string {
	out := make([]string, len(phases))
	for i, p := range phases {
		out[i] = string(p)
	}
	return out
}
