package region_test

// The Region controller runs here in a real manager (manager.New) against a
// real kube-apiserver and etcd (envtest), with the sim cloud behind it.

import (
	"testing"

	"github.com/kumo-dev/kumo/internal/controller/internal/ctrltest"
)

// start runs the management API server and a Kumo manager for one test.
func start(t *testing.T) (*ctrltest.Env, *ctrltest.Manager) {
	t.Helper()
	env := ctrltest.Start(t)
	return env, env.StartManager(t, ctrltest.NewState(t))
}
