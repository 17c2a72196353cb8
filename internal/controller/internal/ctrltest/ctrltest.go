package ctrltest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kumo-dev/kumo/internal/cloud/sim"
	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
	"github.com/kumo-dev/kumo/internal/manager"
	"github.com/kumo-dev/kumo/internal/testenv"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// Timeout bounds every wait for the controllers: a tenant control plane
// takes seconds to start, more on a busy two-core machine.
const Timeout = 3 * time.Minute

// Env is a running management API server.
type Env struct {
	*testenv.Env
	// EtcdURL is the management etcd; tenant API servers keep their state in
	// it under controlplane.EtcdPrefix.
	EtcdURL string
}

// Start runs etcd and kube-apiserver for the test with Kumo's CRDs
// installed, and stops them when the test ends. It is testenv.Start, but
// keeps the etcd URL, which the process runtime needs and testenv.Env does
// not expose.
func Start(t testing.TB) *Env {
	t.Helper()
	setLogger()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	tc := toolchain.New(toolchain.DefaultDir(), os.Stderr)
	etcd, err := tc.Etcd(ctx)
	if err != nil {
		t.Fatalf("building etcd: %v", err)
	}
	kube, err := tc.Kubernetes(ctx, toolchain.DefaultVersion())
	if err != nil {
		t.Fatalf("building kubernetes: %v", err)
	}
	// Built now, on a cold cache, rather than inside the first Eventually.
	if _, err := tc.Kwok(ctx); err != nil {
		t.Fatalf("building kwok: %v", err)
	}
	crds, err := testenv.CRDs()
	if err != nil {
		t.Fatalf("reading CRDs: %v", err)
	}
	env := &envtest.Environment{
		CRDs:                     crds,
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	env.ControlPlane.Etcd = &envtest.Etcd{Path: etcd}
	env.ControlPlane.APIServer = &envtest.APIServer{Path: kube.APIServer}
	env.ControlPlane.KubectlPath = kube.Kubectl
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stopping envtest: %v", err)
		}
	})
	cfg.QPS, cfg.Burst = 100, 200
	s := manager.Scheme()
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatalf("building client: %v", err)
	}
	return &Env{
		Env:     &testenv.Env{Config: cfg, Client: c, Scheme: s, Toolchain: tc},
		EtcdURL: env.ControlPlane.Etcd.URL.String(),
	}
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
// Stop or the end of the test.
func (e *Env) StartManager(t testing.TB, st State) *Manager {
	t.Helper()
	cloud, err := sim.New(sim.Options{StatePath: st.SimStatePath})
	if err != nil {
		t.Fatalf("opening sim cloud: %v", err)
	}
	rt := cpprocess.New(cpprocess.Options{
		Dir: st.RuntimeDir, EtcdEndpoints: []string{e.EtcdURL}, Toolchain: e.Toolchain, Log: logger(),
	})
	forgetControllerNames()
	mgr, err := manager.New(e.Config, manager.Options{
		Provider: cloud, ProviderName: "sim", Sim: cloud, Runtime: rt, MetricsAddr: "0", HealthAddr: "0",
	})
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

// Version is the Kubernetes minor the toolchain builds, e.g. "1.36", as a
// tenant writes it in a Cluster.
func Version() string {
	v := strings.TrimPrefix(toolchain.DefaultVersion(), "v")
	parts := strings.SplitN(v, ".", 3)
	return parts[0] + "." + parts[1]
}

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
