package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kumo-dev/kumo/internal/controller/machine"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// TestCrashSafety kills `kumo up` (manager, API server, everything) with
// SIGKILL in the middle of a create, a scale-out and a drain, restarts it,
// and checks that each operation finishes with exactly one VM per Machine:
// no duplicate and no orphan. It also kills a tenant API server and checks
// that it is restarted.
func TestCrashSafety(t *testing.T) {
	// Slow VM boots keep the operations in flight long enough to interrupt.
	p := startPlatform(t, "--vm-boot-delay", "3s")

	applyCluster(p, "crash", 6)
	killWhen(p, "a VM booted for the create", func() bool { return countProviderIDs(p) >= 1 })
	p.start()
	waitClusterReady(p, "crash", "6/6")
	assertOneVMPerMachine(p, 6)

	// A workload to drain later.
	kc := p.tenantKubeconfig("crash")
	if out, err := runKubectl(kc, "", "create", "deployment", "web", "--image=nginx", "--replicas=8"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	p.eventually(2*time.Minute, "8 Running pods", func() (bool, string) {
		out, _ := runKubectl(kc, "", "get", "pods", "--no-headers")
		return strings.Count(out, "Running") == 8, out
	})

	// Scale out, crash after the first new VM.
	p.kubectl("patch", "cluster", "crash", "--type", "merge", "-p", `{"spec":{"nodePools":[{"name":"default","replicas":9}]}}`)
	killWhen(p, "a VM booted for the scale-out", func() bool { return countProviderIDs(p) >= 7 })
	p.start()
	waitClusterReady(p, "crash", "9/9")
	assertOneVMPerMachine(p, 9)

	// Scale in, crash while machines are draining.
	p.kubectl("patch", "cluster", "crash", "--type", "merge", "-p", `{"spec":{"nodePools":[{"name":"default","replicas":3}]}}`)
	killWhen(p, "a machine draining", func() bool {
		out, _ := p.kubectlErr("get", "machines", "-o", "jsonpath={range .items[*]}{.metadata.deletionTimestamp}{\"\\n\"}{end}")
		return strings.TrimSpace(out) != ""
	})
	p.start()
	waitClusterReady(p, "crash", "3/3")
	assertOneVMPerMachine(p, 3)
	p.eventually(2*time.Minute, "8 Running pods on 3 nodes after the interrupted drain", func() (bool, string) {
		out, _ := runKubectl(kc, "", "get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase} {.spec.nodeName}{\"\\n\"}{end}")
		return strings.Count(out, "Running") == 8 && len(nodesOf(out)) <= 3, out
	})

	// A tenant API server that dies is restarted.
	uid := p.jsonpath("cluster/crash", ".metadata.uid")
	old := apiserverPid(t, uid)
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.eventually(time.Minute, "the tenant API server to be restarted and serve", func() (bool, string) {
		pid := apiserverPid(t, uid)
		out, err := runKubectl(kc, "", "get", "nodes", "--no-headers")
		return pid != 0 && pid != old && err == nil && strings.Count(out, " Ready") == 3, out
	})
}

func applyCluster(p *platform, name string, replicas int) {
	p.t.Helper()
	applyClusterVersion(p, name, toolchain.PlatformMinor, replicas)
}

// applyClusterVersion creates a cluster of one pool at a Kubernetes version.
func applyClusterVersion(p *platform, name, version string, replicas int) {
	p.t.Helper()
	manifest := fmt.Sprintf(`apiVersion: kumo.dev/v1alpha1
kind: Cluster
metadata:
  name: %s
  namespace: default
spec:
  version: "%s"
  region: tokyo-1
  nodePools:
  - name: default
    replicas: %d
`, name, version, replicas)
	if out, err := runKubectl(p.kubeconfig(), manifest, "apply", "-f", "-"); err != nil {
		p.t.Fatalf("applying cluster: %v\n%s", err, out)
	}
}

// killWhen polls cond quickly and SIGKILLs kumo the moment it holds.
func killWhen(p *platform, what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			p.dumpLogs()
			p.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Logf("killing kumo: %s", what)
	p.kill()
}

func countProviderIDs(p *platform) int {
	out, _ := p.kubectlErr("get", "machines", "-o", "jsonpath={range .items[*]}{.spec.providerID}{\"\\n\"}{end}")
	return strings.Count(out, "sim://")
}

// assertOneVMPerMachine: every Machine has exactly one VM tagged with its
// UID, and no VM belongs to no Machine. kubectlArgs pick where the
// Machines are listed (the default namespace without them).
func assertOneVMPerMachine(p *platform, want int, kubectlArgs ...string) {
	p.t.Helper()
	var uids []string
	p.eventually(time.Minute, fmt.Sprintf("%d machines", want), func() (bool, string) {
		out, _ := p.kubectlErr(append([]string{"get", "machines", "-o", "jsonpath={range .items[*]}{.metadata.uid}{\"\\n\"}{end}"}, kubectlArgs...)...)
		uids = strings.Fields(out)
		return len(uids) == want, out
	})
	byMachine := map[string]int{}
	servers := p.simServers()
	for _, s := range servers {
		byMachine[s.Tags[machine.TagMachineUID]]++
	}
	for _, uid := range uids {
		if byMachine[uid] != 1 {
			p.t.Errorf("machine %s has %d VMs", uid, byMachine[uid])
		}
		delete(byMachine, uid)
	}
	if len(byMachine) > 0 {
		var orphans []string
		for uid := range byMachine {
			orphans = append(orphans, uid)
		}
		sort.Strings(orphans)
		p.t.Errorf("orphan VMs of machines %v", orphans)
	}
	if len(servers) != want {
		p.t.Errorf("sim has %d servers, want %d", len(servers), want)
	}
}

// apiserverPid finds the tenant kube-apiserver of a cluster UID (0 if none).
func apiserverPid(t testing.TB, uid string) int {
	t.Helper()
	for _, pid := range pidsMatching("/kumo/clusters/" + uid) {
		exe, err := os.Readlink(filepath.Join("/proc", fmt.Sprint(pid), "exe"))
		if err == nil && filepath.Base(exe) == "kube-apiserver" {
			return pid
		}
	}
	return 0
}
