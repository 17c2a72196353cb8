package migration_test

// The ClusterMigration controller runs here with the other controllers in a
// real manager (manager.New) against a real kube-apiserver and etcd
// (envtest), with real tenant control planes (kube-apiserver, scheduler,
// controller-manager, kwok) and the sim cloud's regions. A control plane
// takes seconds to start, so a test makes one cluster and takes it through
// several migrations.

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
	"github.com/kumo-dev/kumo/internal/manager"
)

// drainTimeout is short so that a blocked drain shows DrainBlocked soon.
const drainTimeout = 3 * time.Second

// start runs the management API server, a Kumo manager, and two regions
// with room for the test's clusters.
func start(t *testing.T) (*ctrltest.Env, ctrltest.State, *ctrltest.Manager) {
	t.Helper()
	env := ctrltest.Start(t)
	st := ctrltest.NewState(t)
	env.CreateRegion(t, "tokyo-1", ctrltest.SmallFleet(), 0)
	env.CreateRegion(t, "osaka-1", ctrltest.SmallFleet(), 0)
	return env, st, env.StartManager(t, st, withDrainTimeout)
}

func withDrainTimeout(o *manager.Options) { o.DrainTimeout = drainTimeout }

// readyCluster creates a cluster of n nodes in tokyo-1 and waits until it is Ready.
func readyCluster(t *testing.T, env *ctrltest.Env, ns, name string, n int32) *kumov1.Cluster {
	t.Helper()
	g := ctrltest.NewWithT(t)
	c := ctrltest.NewCluster(ns, name, "tokyo-1", n)
	g.Expect(env.Client.Create(context.Background(), c)).To(Succeed())
	g.Eventually(func(g Gomega) {
		env.Get(g, c)
		g.Expect(c.Status.Phase).To(Equal(kumov1.ClusterReady))
	}).Should(Succeed())
	// The region reports the flavors the capacity check reads.
	g.Eventually(func(g Gomega) {
		r := &kumov1.Region{ObjectMeta: metav1.ObjectMeta{Name: "osaka-1"}}
		env.Get(g, r)
		g.Expect(r.Status.Flavors).NotTo(BeEmpty())
	}).Should(Succeed())
	return c
}

// newMigration is a migration of cluster c to target.
func newMigration(c *kumov1.Cluster, target string, mutate func(*kumov1.ClusterMigration)) *kumov1.ClusterMigration {
	m := &kumov1.ClusterMigration{
		ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name},
		Spec:       kumov1.ClusterMigrationSpec{ClusterName: c.Name, TargetRegion: target},
	}
	if mutate != nil {
		mutate(m)
	}
	return m
}

// patchMigration applies change to the stored migration.
func patchMigration(g Gomega, env *ctrltest.Env, m *kumov1.ClusterMigration, change func(*kumov1.ClusterMigration)) {
	env.Get(g, m)
	patch := client.MergeFrom(m.DeepCopy())
	change(m)
	g.Expect(env.Client.Patch(context.Background(), m, patch)).To(Succeed())
}

// deleteMigration deletes a finished migration and waits until it is gone.
func deleteMigration(g Gomega, env *ctrltest.Env, m *kumov1.ClusterMigration) {
	g.Expect(client.IgnoreNotFound(env.Client.Delete(context.Background(), m))).To(Succeed())
	g.Eventually(func() bool {
		err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(m), &kumov1.ClusterMigration{})
		return err != nil
	}).Should(BeTrue())
}

// byRegion counts the cluster's live Machines per region, and returns
// their names in each.
func byRegion(g Gomega, env *ctrltest.Env, c *kumov1.Cluster) map[string][]string {
	out := map[string][]string{}
	for _, m := range env.Machines(g, c) {
		if m.DeletionTimestamp.IsZero() {
			out[m.Spec.Region] = append(out[m.Spec.Region], m.Name)
		}
	}
	return out
}

// schedulable lists the tenant's Ready, uncordoned Nodes.
func schedulable(g Gomega, cs kubernetes.Interface) []string {
	list, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, n := range list.Items {
		if n.Spec.Unschedulable {
			continue
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				out = append(out, n.Name)
			}
		}
	}
	return out
}

// sample runs check every 200 ms from now until the function it returns
// is called, which returns every violation check reported, timestamped.
func sample(t *testing.T, check func() []string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var found []string
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			for _, v := range check() {
				mu.Lock()
				found = append(found, time.Now().Format("15:04:05.000")+" "+v)
				mu.Unlock()
			}
		}
	})
	stopped := false
	stop := func() []string {
		if !stopped {
			close(done)
			wg.Wait()
			stopped = true
		}
		mu.Lock()
		defer mu.Unlock()
		return found
	}
	t.Cleanup(func() { stop() })
	return stop
}
