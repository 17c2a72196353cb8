package ctrltest

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/controller/machine"
	"github.com/kumo-dev/kumo/internal/controlplane"
)

// NewWithT is gomega.NewWithT with Eventually waiting up to Timeout.
func NewWithT(t testing.TB) *gomega.WithT {
	g := gomega.NewWithT(t)
	g.SetDefaultEventuallyTimeout(Timeout)
	g.SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	g.SetDefaultConsistentlyPollingInterval(250 * time.Millisecond)
	return g
}

// Namespace creates a namespace of the test's own, named prefix-xxxxx.
// envtest runs no namespace controller, so it is never deleted.
func (e *Env) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := e.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns.Name
}

// SmallFleet is a small sim region: 4 hypervisors of 8 cores (32 vCPUs at
// the default overcommit of 4) and 32 GiB.
func SmallFleet() kumov1.HypervisorFleet {
	return kumov1.HypervisorFleet{Count: 4, Cores: 8, MemoryGiB: 32}
}

// CreateRegion creates a sim Region; overcommit 0 takes the default.
func (e *Env) CreateRegion(t testing.TB, name string, fleet kumov1.HypervisorFleet, overcommit int32) *kumov1.Region {
	t.Helper()
	r := &kumov1.Region{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       kumov1.RegionSpec{Provider: kumov1.ProviderSim, CPUOvercommitRatio: overcommit, Hypervisors: &fleet},
	}
	if err := e.Client.Create(context.Background(), r); err != nil {
		t.Fatalf("creating region %s: %v", name, err)
	}
	return r
}

// NewCluster is a Cluster of one pool "default" of replicas m1.medium
// nodes, or of no pool for replicas < 0.
func NewCluster(namespace, name, region string, replicas int32) *kumov1.Cluster {
	c := &kumov1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       kumov1.ClusterSpec{Version: Version(), Region: region},
	}
	if replicas >= 0 {
		c.Spec.NodePools = []kumov1.NodePool{{Name: "default", Replicas: replicas, Flavor: "m1.medium"}}
	}
	return c
}

// Get reads obj afresh into itself.
func (e *Env) Get(g gomega.Gomega, obj client.Object) {
	g.Expect(e.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)).To(gomega.Succeed())
}

// Machines lists the Machines of a cluster, by the label Kumo puts on them.
func (e *Env) Machines(g gomega.Gomega, c *kumov1.Cluster) []kumov1.Machine {
	var list kumov1.MachineList
	g.Expect(e.Client.List(context.Background(), &list, client.InNamespace(c.Namespace),
		client.MatchingLabels{kumov1.ClusterNameLabel: c.Name})).To(gomega.Succeed())
	return list.Items
}

// TenantClient builds a client for the cluster from its kubeconfig Secret.
func (e *Env) TenantClient(g gomega.Gomega, c *kumov1.Cluster) kubernetes.Interface {
	var sec corev1.Secret
	g.Expect(e.Client.Get(context.Background(),
		client.ObjectKey{Namespace: c.Namespace, Name: kumov1.KubeconfigSecretName(c.Name)}, &sec)).To(gomega.Succeed())
	g.Expect(sec.Data).To(gomega.HaveKey(kumov1.KubeconfigSecretKey))
	cfg, err := clientcmd.RESTConfigFromKubeConfig(sec.Data[kumov1.KubeconfigSecretKey])
	g.Expect(err).NotTo(gomega.HaveOccurred())
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	return cs
}

// Servers lists the sim servers of a cluster in a region.
func Servers(g gomega.Gomega, c cloud.Provider, region string, cluster *kumov1.Cluster) []cloud.Server {
	found, err := c.ListServers(context.Background(), region, map[string]string{
		machine.TagCluster: cluster.Name, machine.TagNamespace: cluster.Namespace,
	})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	return found
}

// EtcdKeys counts the keys a tenant API server keeps in the shared etcd.
func (e *Env) EtcdKeys(g gomega.Gomega, uid types.UID) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{e.EtcdURL}, DialTimeout: 5 * time.Second, Context: ctx})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer func() { _ = cli.Close() }()
	resp, err := cli.Get(ctx, controlplane.EtcdPrefix(uid)+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	return resp.Count
}

// HaveCondition matches a metav1.Condition list holding type with status
// and reason (reason "" matches any).
func HaveCondition(typ string, status metav1.ConditionStatus, reason string) gomega.OmegaMatcher {
	fields := gomega.And(
		gomega.HaveField("Type", typ),
		gomega.HaveField("Status", status),
	)
	if reason != "" {
		fields = gomega.And(fields, gomega.HaveField("Reason", reason))
	}
	return gomega.ContainElement(fields)
}

// Events lists the events (events.k8s.io/v1) regarding obj, matched by its
// UID, oldest first.
func (e *Env) Events(g gomega.Gomega, obj client.Object) []eventsv1.Event {
	var list eventsv1.EventList
	g.Expect(e.Client.List(context.Background(), &list, client.InNamespace(obj.GetNamespace()))).To(gomega.Succeed())
	var out []eventsv1.Event
	for _, ev := range list.Items {
		if ev.Regarding.UID == obj.GetUID() {
			out = append(out, ev)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].EventTime.Before(&out[j].EventTime) })
	return out
}

// WatchPhases records the phases a cluster goes through from now until
// the end of the test (it need not exist yet). The function it returns
// gives them in order, each change once.
func (e *Env) WatchPhases(t testing.TB, c *kumov1.Cluster) func() []kumov1.ClusterPhase {
	t.Helper()
	wc, err := client.NewWithWatch(e.Config, client.Options{Scheme: e.Scheme})
	if err != nil {
		t.Fatalf("creating a watching client: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := wc.Watch(ctx, &kumov1.ClusterList{}, client.InNamespace(c.Namespace), client.MatchingFields{"metadata.name": c.Name})
	if err != nil {
		cancel()
		t.Fatalf("watching cluster %s: %v", c.Name, err)
	}
	var mu sync.Mutex
	var phases []kumov1.ClusterPhase
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			cl, ok := ev.Object.(*kumov1.Cluster)
			if !ok {
				continue
			}
			mu.Lock()
			if n := len(phases); n == 0 || phases[n-1] != cl.Status.Phase {
				phases = append(phases, cl.Status.Phase)
			}
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		w.Stop()
		cancel()
		<-done
	})
	return func() []kumov1.ClusterPhase {
		mu.Lock()
		defer mu.Unlock()
		return append([]kumov1.ClusterPhase(nil), phases...)
	}
}

// WebDeployment is a Deployment "web" of pause pods in the default
// namespace, which kwok runs on the simulated nodes.
func WebDeployment(replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceDefault, Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					Containers:                    []corev1.Container{{Name: "web", Image: "registry.k8s.io/pause:3.10"}},
				},
			},
		},
	}
}

// RunningPods lists the deployment's pods that run and are not terminating.
func RunningPods(g gomega.Gomega, cs kubernetes.Interface, d *appsv1.Deployment) []corev1.Pod {
	list, err := cs.CoreV1().Pods(d.Namespace).List(context.Background(), metav1.ListOptions{
		LabelSelector: metav1.FormatLabelSelector(d.Spec.Selector),
	})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && p.Spec.NodeName != "" {
			out = append(out, p)
		}
	}
	return out
}
