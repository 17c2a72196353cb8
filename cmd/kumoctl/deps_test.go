package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependsOnAPIAndClientsOnly keeps the tenant CLI small and free of
// platform internals: it may link the API types and the CLI packages, never
// the controllers, the clouds, the control-plane runtimes or the toolchain.
// internal/catalog is the version catalog's rules over the API types alone,
// shared by the CLI and the cluster controller.
func TestDependsOnAPIAndClientsOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const module = "github.com/kumo-dev/kumo/"
	allowed := []string{module + "api/", module + "internal/cli/cmdutil", module + "internal/cli/kumoctl", module + "internal/catalog", module + "cmd/kumoctl"}
	forbidden := []string{"sigs.k8s.io/controller-runtime/pkg/manager", "go.etcd.io/", "k8s.io/apiextensions-apiserver", "sigs.k8s.io/kwok"}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, module) {
			ok := false
			for _, a := range allowed {
				ok = ok || strings.HasPrefix(pkg, a)
			}
			if !ok {
				t.Errorf("kumoctl links %s; a tenant CLI may depend on the API and client libraries only", pkg)
			}
		}
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("kumoctl links %s", pkg)
			}
		}
	}
}
