package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/config/crd"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// Env is a running management API server.
type Env struct {
	Config *rest.Config
	Client client.Client
	Scheme *runtime.Scheme
	// Toolchain is where the binaries came from; tests reuse it.
	Toolchain *toolchain.Toolchain
	// EtcdURL is the etcd behind the API server; tenant API servers of the
	// process runtime keep their state in it too.
	EtcdURL string

	te *envtest.Environment
}

// ConfigFor returns a client configuration of the API server for user, a
// member of groups, authenticated by a client certificate. What the user
// may do is up to the RBAC the test installs.
func (e *Env) ConfigFor(user string, groups ...string) (*rest.Config, error) {
	u, err := e.te.AddUser(envtest.User{Name: user, Groups: groups}, e.Config)
	if err != nil {
		return nil, fmt.Errorf("adding user %s: %w", user, err)
	}
	cfg := u.Config()
	cfg.QPS, cfg.Burst = e.Config.QPS, e.Config.Burst
	return cfg, nil
}

// Start runs etcd and kube-apiserver for the test (building them on a cold
// cache) and stops them when the test ends. It skips the test under -short.
func Start(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs a real API server (run without -short)")
	}
	env, stop, err := StartShared()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Logf("stopping envtest: %v", err)
		}
	})
	return env
}

// StartShared runs etcd and kube-apiserver like Start, for the tests of a
// package to share (started once, e.g. from TestMain or on first use). It
// does not look at -short, and the server runs until stop is called, not
// until a test ends.
func StartShared() (env *Env, stop func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	tc := toolchain.New(toolchain.DefaultDir(), os.Stderr)
	etcd, err := tc.Etcd(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("building etcd: %w", err)
	}
	kube, err := tc.Kubernetes(ctx, toolchain.PlatformVersion())
	if err != nil {
		return nil, nil, fmt.Errorf("building kubernetes: %w", err)
	}
	crds, err := crd.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("reading CRDs: %w", err)
	}
	te := &envtest.Environment{
		CRDs:                     crds,
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  time.Minute,
	}
	te.ControlPlane.Etcd = &envtest.Etcd{Path: etcd}
	te.ControlPlane.APIServer = &envtest.APIServer{Path: kube.APIServer}
	cfg, err := te.Start()
	if err != nil {
		// Start may leave processes behind when it fails half-way.
		_ = te.Stop()
		return nil, nil, fmt.Errorf("starting envtest: %w", err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	s := kumov1.NewScheme()
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		_ = te.Stop()
		return nil, nil, fmt.Errorf("building client: %w", err)
	}
	return &Env{Config: cfg, Client: c, Scheme: s, Toolchain: tc, EtcdURL: te.ControlPlane.Etcd.URL.String(), te: te}, te.Stop, nil
}
