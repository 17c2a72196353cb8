package tenants

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/bench"
	"github.com/kumo-dev/kumo/internal/platform"
)

// team is one team's namespace and a member's client, with that member's
// identity and the client settings of kumoctl.
type team struct {
	namespace string
	cfg       *rest.Config
	c         client.Client
	// throttled counts the 429 answers the client got (client-go retries
	// them, so a caller never sees them otherwise).
	throttled atomic.Int64
}

// flavor of every node: kumoctl's default.
const flavor = "m1.medium"

// pollEvery is how often a create is checked for Ready: often, since the
// time until then is the measurement.
const pollEvery = 100 * time.Millisecond

// addTeam admits user to the team namespace as `kumo tenant add` does, with
// a limit on the team's clusters unless maxClusters is nil.
func addTeam(ctx context.Context, dataDir, namespace, user string, maxClusters *int64) (*team, error) {
	o := platform.AddTenantOptions{DataDir: dataDir, Namespace: namespace, User: user}
	if maxClusters != nil {
		o.Quota.Clusters = platform.LimitChange{Set: true, Value: maxClusters}
	}
	tenant, err := platform.AddTenant(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("adding team %s: %w", namespace, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(tenant.Kubeconfig)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100 // kumoctl's
	t := &team{namespace: namespace, cfg: cfg}
	counted := rest.CopyConfig(cfg)
	counted.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &counter{next: rt, throttled: &t.throttled} })
	if t.c, err = client.New(counted, client.Options{Scheme: kumov1.NewScheme()}); err != nil {
		return nil, err
	}
	return t, nil
}

// counter counts 429 answers.
type counter struct {
	next      http.RoundTripper
	throttled *atomic.Int64
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.throttled.Add(1)
	}
	return resp, err
}

// defaults are the version and region a create naming neither gets: the
// releases and regions the platform marks default.
func (t *team) defaults(ctx context.Context) (version, region string, err error) {
	var rels kumov1.KubernetesReleaseList
	if err := t.c.List(ctx, &rels); err != nil {
		return "", "", fmt.Errorf("listing versions: %w", err)
	}
	for _, r := range rels.Items {
		if r.Spec.Default {
			version = r.Spec.Version
		}
	}
	var regions kumov1.RegionList
	if err := t.c.List(ctx, &regions); err != nil {
		return "", "", fmt.Errorf("listing regions: %w", err)
	}
	for _, r := range regions.Items {
		if r.Spec.Default {
			region = r.Name
		}
	}
	if version == "" || region == "" {
		return "", "", fmt.Errorf("the platform marks no default version (%q) or region (%q)", version, region)
	}
	return version, region, nil
}

// spec is a cluster of n nodes of the default version and region.
func (r *run) spec(n int32) kumov1.ClusterSpec {
	return kumov1.ClusterSpec{Version: r.version, Region: r.region,
		NodePools: []kumov1.NodePool{{Name: "default", Replicas: n, Flavor: flavor}}}
}

func (t *team) create(ctx context.Context, name string, spec kumov1.ClusterSpec) error {
	c := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: t.namespace, Name: name}, Spec: spec}
	if err := t.c.Create(ctx, c); err != nil {
		return fmt.Errorf("creating cluster %s/%s: %w", t.namespace, name, err)
	}
	return nil
}

// createAndWait creates a cluster and returns how long it took, from the
// request until the cluster is Ready with all its nodes.
func (t *team) createAndWait(ctx context.Context, name string, spec kumov1.ClusterSpec) (time.Duration, error) {
	start := time.Now()
	if err := t.create(ctx, name, spec); err != nil {
		return 0, err
	}
	var last kumov1.Cluster
	err := bench.PollEvery(ctx, pollEvery, 10*time.Minute, "cluster "+t.namespace+"/"+name+" to be Ready", func() (bool, error) {
		if err := t.c.Get(ctx, client.ObjectKey{Namespace: t.namespace, Name: name}, &last); err != nil {
			return false, nil // a passing API error: keep waiting, as kumoctl does
		}
		return ready(&last), nil
	})
	if err != nil {
		return 0, fmt.Errorf("%w (last: phase %q, %d nodes ready)", err, last.Status.Phase, last.Status.ReadyNodes)
	}
	return time.Since(start), nil
}

// ready is what `kumoctl cluster create --wait` waits for: the status
// describes the current spec and says Ready, with every node Ready.
func ready(c *kumov1.Cluster) bool {
	return c.Status.ObservedGeneration == c.Generation && c.Status.Phase == kumov1.ClusterReady &&
		meta.IsStatusConditionTrue(c.Status.Conditions, kumov1.ReadyCondition) &&
		c.Status.ReadyNodes == c.DesiredReplicas()
}

// waitAllReady waits until n of the team's clusters are Ready.
func (t *team) waitAllReady(ctx context.Context, n int, timeout time.Duration) error {
	return bench.Poll(ctx, timeout, fmt.Sprintf("%d clusters of %s to be Ready", n, t.namespace), func() (bool, error) {
		var list kumov1.ClusterList
		if err := t.c.List(ctx, &list, client.InNamespace(t.namespace)); err != nil {
			return false, nil
		}
		done := 0
		for i := range list.Items {
			if ready(&list.Items[i]) {
				done++
			}
		}
		return done >= n, nil
	})
}

// deleteAll deletes the team's clusters, one request each as a tenant may.
func (t *team) deleteAll(ctx context.Context) error {
	var list kumov1.ClusterList
	if err := t.c.List(ctx, &list, client.InNamespace(t.namespace)); err != nil {
		return fmt.Errorf("listing clusters of %s: %w", t.namespace, err)
	}
	for i := range list.Items {
		if err := client.IgnoreNotFound(t.c.Delete(ctx, &list.Items[i])); err != nil {
			return fmt.Errorf("deleting cluster %s/%s: %w", t.namespace, list.Items[i].Name, err)
		}
	}
	return nil
}

// count is how many clusters the team has, those being deleted included.
func (t *team) count(ctx context.Context) (int, error) {
	var list kumov1.ClusterList
	if err := t.c.List(ctx, &list, client.InNamespace(t.namespace)); err != nil {
		return 0, err
	}
	return len(list.Items), nil
}
