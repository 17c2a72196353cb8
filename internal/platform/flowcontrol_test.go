package platform

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kumo-dev/kumo/internal/testenv"
)

// TestFlowControl: with the flow control `kumo up` installs, a team that
// floods the management API gets 429s, while another team's requests and
// the manager's, made at the same time, all succeed. The response headers
// of API priority and fairness say which flow schema and priority level
// served each request: each team's in the tenants' level, the manager's
// in its own.
func TestFlowControl(t *testing.T) {
	env := testenv.Start(t)
	g := NewWithT(t)
	ctx := context.Background()
	for _, ns := range []string{"kumo-system", "team-a", "team-b"} {
		err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if !apierrors.IsAlreadyExists(err) {
			g.Expect(err).NotTo(HaveOccurred())
		}
	}
	g.Expect(installAccess(ctx, env.Client)).To(Succeed())
	// Twice: what `kumo up` installs, it updates on the next start.
	g.Expect(installAccess(ctx, env.Client)).To(Succeed())
	for team, user := range map[string]string{"team-a": "alice", "team-b": "bob"} {
		g.Expect(env.Client.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: team, Name: user},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: TenantRole},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}},
		})).To(Succeed())
	}
	// Which object each UID in a response header is.
	names := map[string]string{}
	for _, name := range []string{FlowManager, FlowTenants, FlowTenantsClusterScoped} {
		fs := &flowcontrolv1.FlowSchema{}
		g.Expect(env.Client.Get(ctx, keyOf(name), fs)).To(Succeed())
		names[string(fs.UID)] = "schema " + name
	}
	for _, name := range []string{FlowManager, FlowTenants} {
		pl := &flowcontrolv1.PriorityLevelConfiguration{}
		g.Expect(env.Client.Get(ctx, keyOf(name), pl)).To(Succeed())
		names[string(pl.UID)] = "level " + name
	}

	alice := newAPIUser(t, env, "alice", TenantsGroup)
	bob := newAPIUser(t, env, "bob", TenantsGroup)
	manager := newAPIUser(t, env, ManagerUser)
	const (
		aliceClusters = "/apis/kumo.dev/v1alpha1/namespaces/team-a/clusters"
		bobClusters   = "/apis/kumo.dev/v1alpha1/namespaces/team-b/clusters"
		allClusters   = "/apis/kumo.dev/v1alpha1/clusters"
		regions       = "/apis/kumo.dev/v1alpha1/regions"
	)
	// The server takes up new flow schemas within a second or so (and a
	// fresh server's storage of the CRDs answers 429 while it starts).
	for _, tc := range []struct {
		user          *apiUser
		path          string
		schema, level string
	}{
		{bob, bobClusters, FlowTenants, FlowTenants},
		{bob, regions, FlowTenantsClusterScoped, FlowTenants},
		{manager, allClusters, FlowManager, FlowManager},
	} {
		g.Eventually(func() response { return tc.user.get(ctx, tc.path).named(names) }).WithTimeout(30 * time.Second).
			Should(Equal(response{code: http.StatusOK, schema: "schema " + tc.schema, level: "level " + tc.level}))
	}

	// Alice floods for three seconds with 150 requests in flight; bob and
	// the manager go on with one at a time.
	floodCtx, stop := context.WithTimeout(ctx, 3*time.Second)
	defer stop()
	var mu sync.Mutex
	seen := map[string]map[response]int{}
	record := func(who string, r response) {
		mu.Lock()
		defer mu.Unlock()
		if seen[who] == nil {
			seen[who] = map[response]int{}
		}
		seen[who][r.named(names)]++
	}
	var bobTook []time.Duration
	var wg sync.WaitGroup
	loop := func(who string, u *apiUser, path string) {
		defer wg.Done()
		for floodCtx.Err() == nil {
			start := time.Now()
			r := u.get(ctx, path)
			if who == "bob" {
				bobTook = append(bobTook, time.Since(start))
			}
			record(who, r)
		}
	}
	for range 150 {
		wg.Add(1)
		go loop("alice", alice, aliceClusters)
	}
	wg.Add(2)
	go loop("bob", bob, bobClusters)
	go loop("manager", manager, allClusters)
	wg.Wait()

	t.Logf("alice: %v", seen["alice"])
	t.Logf("bob: %v", seen["bob"])
	t.Logf("manager: %v", seen["manager"])
	sort.Slice(bobTook, func(i, j int) bool { return bobTook[i] < bobTook[j] })
	if n := len(bobTook); n > 0 {
		t.Logf("bob's %d requests took %s (median), %s (slowest)", n, bobTook[n/2], bobTook[n-1])
	}
	g.Expect(seen["alice"]).To(HaveKey(response{code: http.StatusTooManyRequests, schema: "schema " + FlowTenants, level: "level " + FlowTenants}))
	g.Expect(seen["alice"]).To(HaveKey(response{code: http.StatusOK, schema: "schema " + FlowTenants, level: "level " + FlowTenants}))
	g.Expect(seen["bob"]).To(Equal(map[response]int{
		{code: http.StatusOK, schema: "schema " + FlowTenants, level: "level " + FlowTenants}: len(bobTook),
	}), "bob's every request succeeds")
	g.Expect(seen["manager"]).To(HaveLen(1), "the manager's every request succeeds")
	g.Expect(seen["manager"]).To(HaveKey(response{code: http.StatusOK, schema: "schema " + FlowManager, level: "level " + FlowManager}))

	// The 429s are priority and fairness turning alice's flow away, its
	// queues being full, not anything else.
	rejected := rejections(t, env)
	t.Logf("rejected by priority and fairness: %v", rejected)
	g.Expect(rejected).To(HaveKeyWithValue(`flow_schema="kumo-tenants",priority_level="kumo-tenants",reason="queue-full"`, BeNumerically(">", 0)))
	g.Expect(rejected).NotTo(HaveKey(ContainSubstring(`priority_level="kumo-manager"`)))
}

// rejections reads apiserver_flowcontrol_rejected_requests_total from the
// API server's metrics: counts by labels.
func rejections(t *testing.T, env *testenv.Env) map[string]float64 {
	t.Helper()
	rt, err := rest.TransportFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rt, Timeout: 30 * time.Second}).Get(strings.TrimSuffix(env.Config.Host, "/") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for line := range strings.Lines(string(body)) {
		labels, ok := strings.CutPrefix(line, "apiserver_flowcontrol_rejected_requests_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(labels, "} ")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			t.Fatalf("reading %q: %v", line, err)
		}
		out[labels] = v
	}
	return out
}

// apiUser makes raw requests to the API server, so that it sees each 429
// that client-go's clients would retry.
type apiUser struct {
	t    *testing.T
	host string
	hc   *http.Client
}

func newAPIUser(t *testing.T, env *testenv.Env, name string, groups ...string) *apiUser {
	t.Helper()
	cfg, err := env.ConfigFor(name, groups...)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &apiUser{t: t, host: strings.TrimSuffix(cfg.Host, "/"), hc: &http.Client{Transport: rt, Timeout: 30 * time.Second}}
}

// response is what a request got: its status code and the UIDs (after
// named: the names) of the flow schema and priority level that served it.
type response struct {
	code          int
	schema, level string
}

func (r response) named(names map[string]string) response {
	if n, ok := names[r.schema]; ok {
		r.schema = n
	}
	if n, ok := names[r.level]; ok {
		r.level = n
	}
	return r
}

func (u *apiUser) get(ctx context.Context, path string) response {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.host+path, nil)
	if err != nil {
		u.t.Fatal(err)
	}
	resp, err := u.hc.Do(req)
	if err != nil {
		return response{code: -1, schema: err.Error()}
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, resp.Body)
	return response{
		code:   resp.StatusCode,
		schema: resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedFlowSchemaUID),
		level:  resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedPriorityLevelConfigurationUID),
	}
}
