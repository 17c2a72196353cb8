package testenv

import (
	"context"
	"os"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kumo-dev/kumo/config/crd"
	"github.com/kumo-dev/kumo/internal/manager"
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
}

// CRDs parses the embedded, generated CRDs.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) { return crd.Load() }

// Start runs etcd and kube-apiserver for the test (building them on a cold
// cache) and stops them when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs a real API server (run without -short)")
	}
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
	crds, err := CRDs()
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
	cfg.QPS, cfg.Burst = 100, 200
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stopping envtest: %v", err)
		}
	})
	s := manager.Scheme()
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatalf("building client: %v", err)
	}
	return &Env{Config: cfg, Client: c, Scheme: s, Toolchain: tc, EtcdURL: env.ControlPlane.Etcd.URL.String()}
}
