package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kumo-dev/kumo/internal/toolchain"
)

// TestTwoMinors: one platform runs a cluster on the newest Kubernetes next
// to one on the platform's own minor; each tenant API server reports its
// version, and each cluster's nodes their kubelet's.
func TestTwoMinors(t *testing.T) {
	newest := toolchain.DefaultVersion()
	if newest == toolchain.PlatformVersion() {
		t.Fatalf("the toolchain offers one minor only (%s)", newest)
	}
	// Only this test needs the newest servers: build them here, not in CI's
	// toolchain step (a no-op when cached).
	start := time.Now()
	if _, err := toolchain.New(toolchain.DefaultDir(), os.Stderr).Kubernetes(context.Background(), newest); err != nil {
		t.Fatal(err)
	}
	t.Logf("Kubernetes %s servers ready in %s", newest, time.Since(start).Round(time.Second))

	p := startPlatform(t)
	minor := func(v string) string { return v[1:strings.LastIndexByte(v, '.')] } // "v1.37.2" -> "1.37"
	want := map[string]string{"old": toolchain.PlatformVersion(), "new": newest}
	applyClusterVersion(p, "old", minor(want["old"]), 2)
	applyClusterVersion(p, "new", minor(want["new"]), 2)
	for name, version := range want {
		waitClusterReady(p, name, "2/2")
		if got := p.jsonpath("cluster/"+name, ".status.version"); got != version {
			t.Errorf("cluster %s status.version = %q, want %s", name, got, version)
		}
		kc := p.tenantKubeconfig(name)
		out, err := runKubectl(kc, "", "get", "--raw", "/version")
		if err != nil || !strings.Contains(out, `"gitVersion": "`+version+`"`) {
			t.Errorf("cluster %s: /version does not say %s: %v\n%s", name, version, err, out)
		}
		p.eventually(time.Minute, "cluster "+name+"'s nodes to report kubelet "+version, func() (bool, string) {
			out, _ := runKubectl(kc, "", "get", "nodes", "-o", "jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}")
			return strings.Count(out, version+" True\n") == 2, out
		})
		// The catalog has both, and neither is deprecated yet.
		if got := p.jsonpath("cluster/"+name, `.status.conditions[?(@.type=="VersionSupported")].status`); got != "True" {
			t.Errorf("cluster %s VersionSupported = %q, want True", name, got)
		}
	}
	t.Logf("two minors side by side in %s", time.Since(start).Round(time.Second))
}
