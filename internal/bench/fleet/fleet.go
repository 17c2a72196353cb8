// Package fleet measures one Kumo manager against a fleet of clusters at the
// scale fidelity level: it starts a fresh `kumo up --fidelity scale`, creates
// the fleet through the API as tenants would, and reports how long it took
// and what it cost (`kumo bench fleet`).
package fleet

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/bench"
	"github.com/kumo-dev/kumo/internal/platform"
)

// Options size and tune one run.
type Options struct {
	Clusters, NodesPerCluster, Regions int
	// Kumo is the kumo binary that runs the platform.
	Kumo string
	// DataDir is the platform's data directory; "" makes a temporary one,
	// removed afterwards unless Keep.
	DataDir string
	Keep    bool
	// Burst is how many creates tenants send at once.
	Burst int
	// Samples is how many single clusters are scaled for specToStatus.
	Samples int
	// Idle is how long the idle fleet is watched.
	Idle time.Duration
	// Flavor of every node.
	Flavor string
	// Progress receives the progress bar; nil discards it.
	Progress io.Writer
}

// Result is what `kumo bench fleet` reports; the JSON keys are its output.
type Result struct {
	Clusters                 int     `json:"clusters"`
	Machines                 int     `json:"machines"`
	AllReadySeconds          float64 `json:"allReadySeconds"`
	CreatesPerSecond         float64 `json:"createsPerSecond"`
	SpecToStatusP50Seconds   float64 `json:"specToStatusP50Seconds"`
	SpecToStatusP99Seconds   float64 `json:"specToStatusP99Seconds"`
	ManagerPeakRSSBytes      int64   `json:"managerPeakRSSBytes"`
	ManagerIdleCPUPercent    float64 `json:"managerIdleCPUPercent"`
	IdleAPIRequestsPerSecond float64 `json:"idleAPIRequestsPerSecond"`
	FleetEventSeconds        float64 `json:"fleetEventSeconds"`
	EtcdDBSizeBytes          int64   `json:"etcdDBSizeBytes"`
}

func (o *Options) defaults() error {
	if o.Clusters < 1 || o.NodesPerCluster < 1 || o.Regions < 1 {
		return fmt.Errorf("--clusters, --nodes-per-cluster and --regions must be at least 1")
	}
	if o.NodesPerCluster > 1000 {
		return fmt.Errorf("--nodes-per-cluster is at most 1000 (a node pool's limit)")
	}
	if o.Burst <= 0 {
		o.Burst = 50
	}
	if o.Samples <= 0 {
		o.Samples = min(30, o.Clusters)
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	if o.Flavor == "" {
		o.Flavor = "m1.small"
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// Run starts a platform, measures the fleet on it and stops it.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	s := bench.Setup{Name: "fleet", Kumo: o.Kumo, DataDir: o.DataDir, Keep: o.Keep, UpArgs: []string{"--fidelity", "scale"}, Progress: o.Progress}
	return bench.Run(ctx, s, func(p *bench.Platform) (*Result, error) {
		return (&run{o: o, p: p, bar: newBar(o.Progress)}).measure(ctx)
	})
}

type run struct {
	o   Options
	p   *bench.Platform
	c   client.Client
	w   *watcher
	bar *bar
	// clusters in creation order, and the replicas each should reach.
	clusters []types.NamespacedName
	mu       sync.Mutex
	replicas map[types.NamespacedName]int32
}

func (b *run) measure(ctx context.Context) (*Result, error) {
	o := b.o
	cfg, err := clientcmd.BuildConfigFromFlags("", platform.KubeconfigPath(b.p.Dir))
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 2000, 4000
	if b.c, err = client.New(cfg, client.Options{Scheme: kumov1.NewScheme()}); err != nil {
		return nil, err
	}
	// The watch ends before the platform stops, quietly.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if b.w, err = watch(ctx, cfg); err != nil {
		return nil, err
	}
	version, err := b.defaultVersion(ctx)
	if err != nil {
		return nil, err
	}
	regions, err := b.createRegions(ctx)
	if err != nil {
		return nil, err
	}

	res := &Result{Clusters: o.Clusters, Machines: o.Clusters * o.NodesPerCluster}
	start := time.Now()
	if err := b.createFleet(ctx, version, regions); err != nil {
		return nil, err
	}
	res.CreatesPerSecond = float64(o.Clusters) / time.Since(start).Seconds()
	if err := b.waitAll(ctx, "fleet Ready", start); err != nil {
		return nil, err
	}
	res.AllReadySeconds = time.Since(start).Seconds()

	if res.SpecToStatusP50Seconds, res.SpecToStatusP99Seconds, err = b.specToStatus(ctx); err != nil {
		return nil, err
	}
	if res.ManagerIdleCPUPercent, res.IdleAPIRequestsPerSecond, err = b.idle(ctx); err != nil {
		return nil, err
	}
	if res.FleetEventSeconds, err = b.fleetEvent(ctx); err != nil {
		return nil, err
	}
	if res.ManagerPeakRSSBytes, err = b.p.PeakRSS(); err != nil {
		return nil, err
	}
	if res.EtcdDBSizeBytes, err = b.p.EtcdDBSize(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

func (b *run) defaultVersion(ctx context.Context) (string, error) {
	var rels kumov1.KubernetesReleaseList
	if err := b.c.List(ctx, &rels); err != nil {
		return "", err
	}
	for _, r := range rels.Items {
		if r.Spec.Default {
			return r.Spec.Version, nil
		}
	}
	return "", fmt.Errorf("the platform publishes no default Kubernetes release")
}

// createRegions makes o.Regions sim regions with room for the fleet and
// the nodes the bench adds later, and waits until they report capacity.
func (b *run) createRegions(ctx context.Context) ([]string, error) {
	const cores, ratio, memGiB = 64, 4, 1024
	o := b.o
	perRegion := int(math.Ceil(float64(o.Clusters*(o.NodesPerCluster+2)) / float64(o.Regions)))
	// m1.small: 1 vCPU, 2 GiB; 25% room so placement never runs dry.
	hvs := int32(math.Ceil(float64(perRegion)*1.25/float64(cores*ratio))) + 1
	var names []string
	for i := range o.Regions {
		r := &kumov1.Region{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", i+1)},
			Spec: kumov1.RegionSpec{Provider: kumov1.ProviderSim, DisplayName: "fleet benchmark", CPUOvercommitRatio: ratio,
				Hypervisors: &kumov1.HypervisorFleet{Count: hvs, Cores: cores, MemoryGiB: memGiB}},
		}
		if err := b.c.Create(ctx, r); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating region %s: %w", r.Name, err)
		}
		names = append(names, r.Name)
	}
	return names, bench.Poll(ctx, 2*time.Minute, "regions to report capacity", func() (bool, error) {
		for _, n := range names {
			var r kumov1.Region
			if err := b.c.Get(ctx, client.ObjectKey{Name: n}, &r); err != nil || r.Status.VCPUs == 0 {
				return false, nil
			}
		}
		return true, nil
	})
}

// createFleet creates the clusters in bursts of o.Burst, spread over teams
// (namespaces) of ten clusters and over the regions.
func (b *run) createFleet(ctx context.Context, version string, regions []string) error {
	o := b.o
	teams := max(1, (o.Clusters+9)/10)
	for t := range teams {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("team-%04d", t+1)}}
		if err := b.c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
		}
	}
	b.replicas = map[types.NamespacedName]int32{}
	var objs []*kumov1.Cluster
	for i := range o.Clusters {
		c := &kumov1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("team-%04d", i%teams+1), Name: fmt.Sprintf("c-%05d", i+1)},
			Spec: kumov1.ClusterSpec{Version: version, Region: regions[i%len(regions)],
				NodePools: []kumov1.NodePool{{Name: "default", Replicas: int32(o.NodesPerCluster), Flavor: o.Flavor}}},
		}
		key := client.ObjectKeyFromObject(c)
		b.clusters = append(b.clusters, key)
		b.replicas[key] = int32(o.NodesPerCluster)
		b.w.want(key, int32(o.NodesPerCluster))
		objs = append(objs, c)
	}
	return bench.Parallel(ctx, o.Burst, len(objs), func(i int) error {
		if err := b.c.Create(ctx, objs[i]); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating cluster %s: %w", objs[i].Name, err)
		}
		return nil
	})
}

// scale sets a cluster's pool to n replicas and tells the watcher to wait for it.
func (b *run) scale(ctx context.Context, key types.NamespacedName, n int32) error {
	b.w.want(key, n)
	patch := fmt.Sprintf(`{"spec":{"nodePools":[{"name":"default","replicas":%d,"flavor":%q}]}}`, n, b.o.Flavor)
	c := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err := b.c.Patch(ctx, c, client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
		return fmt.Errorf("scaling %s: %w", key, err)
	}
	b.mu.Lock()
	b.replicas[key] = n
	b.mu.Unlock()
	return nil
}

// specToStatus scales single clusters of the full fleet one at a time and
// times each from the spec change to a status that shows it done.
func (b *run) specToStatus(ctx context.Context) (p50, p99 float64, err error) {
	var times []float64
	step := max(1, len(b.clusters)/b.o.Samples)
	for i := 0; i < len(b.clusters) && len(times) < b.o.Samples; i += step {
		key := b.clusters[i]
		b.bar.show(fmt.Sprintf("spec to status: sample %d/%d", len(times)+1, b.o.Samples))
		start := time.Now()
		if err := b.scale(ctx, key, b.replicasOf(key)+1); err != nil {
			return 0, 0, err
		}
		at, err := b.w.waitFor(ctx, key, 2*time.Minute)
		if err != nil {
			return 0, 0, err
		}
		times = append(times, at.Sub(start).Seconds())
	}
	b.bar.done(fmt.Sprintf("spec to status: %d samples", len(times)))
	return percentile(times, 50), percentile(times, 99), nil
}

// idle watches the fleet while nothing changes: what the manager costs at
// rest, in CPU and in requests to the API server.
func (b *run) idle(ctx context.Context) (cpuPercent, requestsPerSecond float64, err error) {
	// Let the last reconciles and requeues of the samples settle.
	if err := bench.Sleep(ctx, 10*time.Second); err != nil {
		return 0, 0, err
	}
	cpu0, err := b.p.CPUSeconds()
	if err != nil {
		return 0, 0, err
	}
	req0, err := b.p.ManagerRequests(ctx)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	for time.Since(t0) < b.o.Idle {
		b.bar.show(fmt.Sprintf("idle fleet: %.0f/%.0f s", time.Since(t0).Seconds(), b.o.Idle.Seconds()))
		if err := bench.Sleep(ctx, time.Second); err != nil {
			return 0, 0, err
		}
	}
	cpu1, err := b.p.CPUSeconds()
	if err != nil {
		return 0, 0, err
	}
	req1, err := b.p.ManagerRequests(ctx)
	if err != nil {
		return 0, 0, err
	}
	secs := time.Since(t0).Seconds()
	b.bar.done("idle fleet measured")
	return 100 * (cpu1 - cpu0) / secs, (req1 - req0) / secs, nil
}

// fleetEvent scales every cluster's pool by one at once and times the
// fleet until every status shows it.
func (b *run) fleetEvent(ctx context.Context) (float64, error) {
	start := time.Now()
	if err := bench.Parallel(ctx, b.o.Burst, len(b.clusters), func(i int) error {
		key := b.clusters[i]
		return b.scale(ctx, key, b.replicasOf(key)+1)
	}); err != nil {
		return 0, err
	}
	if err := b.waitAll(ctx, "fleet event: every pool +1", start); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

func (b *run) replicasOf(key types.NamespacedName) int32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.replicas[key]
}

// waitAll shows progress until every cluster has reached what it should.
func (b *run) waitAll(ctx context.Context, what string, start time.Time) error {
	for {
		ready, nodes := b.w.progress()
		b.bar.fraction(what, ready, len(b.clusters), fmt.Sprintf("%d nodes, %.0f s", nodes, time.Since(start).Seconds()))
		if ready == len(b.clusters) {
			b.bar.done(fmt.Sprintf("%s: %d clusters in %.1f s", what, ready, time.Since(start).Seconds()))
			return nil
		}
		if err := bench.Sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
