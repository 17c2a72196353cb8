package ctrltest

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/kumo-dev/kumo/config/rbac"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
	"github.com/kumo-dev/kumo/internal/manager"
	"github.com/kumo-dev/kumo/internal/pki"
	"github.com/kumo-dev/kumo/internal/platform"
	"github.com/kumo-dev/kumo/internal/testenv"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// Timeout bounds every wait for the controllers: a tenant control plane
// takes seconds to start, more on a busy two-core machine.
const Timeout = 3 * time.Minute

// Env is a running management API server.
type Env struct {
	*testenv.Env
}

// Start runs etcd and kube-apiserver for the test with Kumo's CRDs
// installed (testenv.Start).
func Start(t testing.TB) *Env {
	t.Helper()
	setLogger()
	return &Env{Env: testenv.Start(t)}
}

// State is where a manager keeps what outlives it. A manager started again
// with the same State resumes where the last one stopped, like Kumo after a
// restart.
type State struct {
	// SimStatePath is the sim cloud's state file.
	SimStatePath string
	// RuntimeDir holds the tenant control planes' certificates and logs.
	RuntimeDir string
}

// NewState returns fresh state locations in the test's temporary directory.
func NewState(t testing.TB) State {
	dir := t.TempDir()
	return State{SimStatePath: filepath.Join(dir, "sim.json"), RuntimeDir: filepath.Join(dir, "clusters")}
}

// Manager is a running Kumo manager with every controller.
type Manager struct {
	// Sim is the manager's sim cloud; tests inspect it and inject faults.
	Sim *sim.Cloud
	// Runtime runs the manager's tenant control planes.
	Runtime *cpprocess.Runtime

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// StartManager runs manager.New against the environment with a sim cloud
// loaded from st.SimStatePath and a process runtime in st.RuntimeDir, until
// Stop or the end of the test. opts adjust the manager's options.
func (e *Env) StartManager(t testing.TB, st State, opts ...func(*manager.Options)) *Manager {
	t.Helper()
	return e.StartManagerWithRuntime(t, st, nil, opts...)
}

// StartManagerWithRuntime is StartManager with the process runtime's
// options adjusted by rtOpts (nil: as they are).
func (e *Env) StartManagerWithRuntime(t testing.TB, st State, rtOpts func(*cpprocess.Options), opts ...func(*manager.Options)) *Manager {
	t.Helper()
	cloud, err := sim.New(sim.Options{StatePath: st.SimStatePath})
	if err != nil {
		t.Fatalf("opening sim cloud: %v", err)
	}
	ro := cpprocess.Options{Dir: st.RuntimeDir, EtcdEndpoints: []string{e.EtcdURL}, Toolchain: e.Toolchain, Log: logger()}
	if rtOpts != nil {
		rtOpts(&ro)
	}
	rt := cpprocess.New(ro)
	mo := manager.Options{
		Provider: cloud, ProviderName: "sim", Sim: cloud, Runtime: rt, MetricsAddr: "0", HealthAddr: "0",
		SkipNameValidation: true,
	}
	for _, o := range opts {
		o(&mo)
	}
	mgr, err := manager.New(e.managerConfig(t), mo)
	if err != nil {
		t.Fatalf("creating manager: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{Sim: cloud, Runtime: rt, cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	t.Cleanup(func() { m.Stop(t) })

	synced := make(chan bool, 1)
	go func() {
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		defer wcancel()
		synced <- mgr.GetCache().WaitForCacheSync(wctx)
	}()
	select {
	case err := <-m.done:
		m.done <- err // for Stop
		t.Fatalf("manager stopped while starting: %v", err)
	case ok := <-synced:
		if !ok {
			t.Fatalf("manager caches did not sync")
		}
	}
	return m
}

// managerConfig is a client configuration for the manager as Kumo runs it:
// as its own user with the roles generated from the controllers' RBAC
// markers, so that a controller that lacks a permission fails here.
func (e *Env) managerConfig(t testing.TB) *rest.Config {
	t.Helper()
	ctx := context.Background()
	objs, err := rbac.Load(platform.ManagerUser)
	if err != nil {
		t.Fatal(err)
	}
	// The manager's leader-election Role lives there.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kumo-system"}}
	for _, obj := range append([]client.Object{ns}, objs...) {
		if err := e.Client.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("installing the manager's RBAC: %v", err)
		}
	}
	cfg, err := e.ConfigFor(platform.ManagerUser)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Stop cancels the manager, waits for its reconciles to return and stops
// its control planes: what a crash of Kumo leaves behind, since the control
// planes are child processes that die with it.
func (m *Manager) Stop(t testing.TB) {
	t.Helper()
	m.once.Do(func() {
		m.cancel()
		select {
		case err := <-m.done:
			if err != nil {
				t.Errorf("running manager: %v", err)
			}
		case <-time.After(time.Minute):
			t.Errorf("manager did not stop within a minute")
		}
		m.Runtime.Shutdown()
	})
}

// Version is the Kubernetes minor the platform runs, e.g. "1.36", as a
// tenant writes it in a Cluster: the tests' clusters need no other build.
func Version() string { return toolchain.PlatformMinor }

var logOnce sync.Once

// setLogger gives controller-runtime a logger, which it otherwise complains
// about after 30 seconds.
func setLogger() { logOnce.Do(func() { ctrllog.SetLogger(logger()) }) }

// logger discards logs unless KUMO_TEST_LOG is set: the controllers log a
// lot, and to stderr they outlive any one test.
func logger() logr.Logger {
	if os.Getenv("KUMO_TEST_LOG") == "" {
		return logr.Discard()
	}
	return funcr.New(func(prefix, args string) {
		_, _ = fmt.Fprintln(os.Stderr, time.Now().Format("15:04:05.000"), prefix, args)
	}, funcr.Options{})
}

// ServeWebhooks issues a serving certificate for 127.0.0.1 from a CA of its
// own, registers the manager's webhooks with the API server, and returns
// the manager options that serve them.
func (e *Env) ServeWebhooks(t testing.TB) func(*manager.Options) {
	t.Helper()
	ca, err := pki.NewCA("webhook-test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	serving, err := ca.Issue(pki.CertConfig{IPs: []net.IP{net.ParseIP("127.0.0.1")},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := pki.WriteFiles(dir, map[string][]byte{"tls.crt": serving.CertPEM, "tls.key": serving.KeyPEM}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cfg := manager.WebhookConfiguration(fmt.Sprintf("https://127.0.0.1:%d", port), ca.CertPEM)
	if err := e.Client.Create(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return func(o *manager.Options) {
		o.Webhook = webhook.Options{Host: "127.0.0.1", Port: port, CertDir: filepath.Clean(dir)}
	}
}
