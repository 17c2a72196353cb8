package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUserStory walks the README: create a cluster, run a workload on it,
// scale out and in (drain first), delete, and check nothing is left behind.
func TestUserStory(t *testing.T) {
	p := startPlatform(t)

	regions := p.kubectl("get", "regions")
	for _, r := range []string{"tokyo-1", "osaka-1"} {
		if !strings.Contains(regions, r) {
			t.Fatalf("region %s missing:\n%s", r, regions)
		}
	}

	// An empty region reports 0 used, not a blank.
	if used := p.jsonpath("region/osaka-1", ".status.usedVCPUs"); used != "0" {
		t.Errorf("osaka-1 usedVCPUs = %q, want 0", used)
	}

	p.kubectl("apply", "-f", "../../examples/cluster.yaml")
	waitClusterReady(p, "demo", "3/3")
	table := p.kubectl("get", "clusters")
	for _, col := range []string{"PHASE", "VERSION", "REGION", "NODES", "AGE", "Ready", "1.36", "tokyo-1", "3/3"} {
		if !strings.Contains(table, col) {
			t.Errorf("kubectl get clusters lacks %q:\n%s", col, table)
		}
	}

	kc := p.tenantKubeconfig("demo")
	tenant := func(args ...string) string {
		t.Helper()
		out, err := runKubectl(kc, "", args...)
		if err != nil {
			t.Fatalf("tenant kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	p.eventually(time.Minute, "3 Ready nodes in the tenant cluster", func() (bool, string) {
		out, _ := runKubectl(kc, "", "get", "nodes", "--no-headers")
		return strings.Count(out, " Ready ") == 3, out
	})
	if v := tenant("version", "-o", "json"); !strings.Contains(v, `"gitVersion": "v1.36.3"`) {
		t.Errorf("tenant API server version:\n%s", v)
	}
	// Nodes look like nodes of the cluster's version, and say they are simulated.
	info := tenant("get", "nodes", "-o", "jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion}|{.status.nodeInfo.osImage}|{.metadata.labels.type}{\"\\n\"}{end}")
	if strings.Count(info, "v1.36.3|Kumo simulated node (kwok ") != 3 || strings.Count(info, "|kwok\n") != 3 {
		t.Errorf("nodes do not report the cluster's kubelet version, a simulated OS image and the kwok label:\n%s", info)
	}
	// ... and their VM's address, as kubectl get nodes -o wide shows it.
	ips := tenant("get", "nodes", "-o", "jsonpath={range .items[*]}{.status.addresses[?(@.type==\"InternalIP\")].address}{\"\\n\"}{end}")
	if n := len(regexp.MustCompile(`(?m)^10\.\d+\.\d+\.\d+$`).FindAllString(ips, -1)); n != 3 {
		t.Errorf("nodes do not report their VM's address:\n%s", ips)
	}
	nodeJSON := tenant("get", "nodes", "-o", "jsonpath={range .items[*]}{.spec.providerID} {.metadata.labels.kumo\\.dev/pool}{\"\\n\"}{end}")
	if strings.Count(nodeJSON, "sim://tokyo-1/") != 3 || strings.Count(nodeJSON, " default") != 3 {
		t.Errorf("nodes lack providerID or pool label:\n%s", nodeJSON)
	}

	tenant("create", "deployment", "web", "--image=nginx", "--replicas=6")
	p.eventually(2*time.Minute, "6 Running pods spread over the nodes", func() (bool, string) {
		out, _ := runKubectl(kc, "", "get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase} {.spec.nodeName}{\"\\n\"}{end}")
		return strings.Count(out, "Running") == 6 && len(nodesOf(out)) == 3, out
	})

	// Ctrl-C stops every process; `kumo up` again resumes the cluster, its
	// workload and its VMs as they were.
	pods := tenant("get", "pods", "-o", "name")
	vms := p.simServers()
	p.stop()
	if pids := pidsMatching(p.dataDir); len(pids) != 0 {
		t.Fatalf("processes of the platform survived Ctrl-C: %v", pids)
	}
	p.start()
	waitClusterReady(p, "demo", "3/3")
	p.eventually(2*time.Minute, "the same 6 pods Running after the restart", func() (bool, string) {
		out, _ := runKubectl(kc, "", "get", "pods", "-o", "name")
		phases, _ := runKubectl(kc, "", "get", "pods", "--no-headers")
		return out == pods && strings.Count(phases, "Running") == 6, out + phases
	})
	if after := p.simServers(); len(after) != len(vms) || after[0].ID != vms[0].ID {
		t.Errorf("VMs changed across the restart: %v -> %v", vms, after)
	}

	// Scale out.
	p.kubectl("patch", "cluster", "demo", "--type", "merge", "-p", `{"spec":{"nodePools":[{"name":"default","replicas":5}]}}`)
	waitClusterReady(p, "demo", "5/5")
	p.eventually(time.Minute, "5 Ready nodes", func() (bool, string) {
		out, _ := runKubectl(kc, "", "get", "nodes", "--no-headers")
		return strings.Count(out, " Ready ") == 5, out
	})

	// Scale in: the removed nodes are drained, pods move, all stay Running.
	p.kubectl("patch", "cluster", "demo", "--type", "merge", "-p", `{"spec":{"nodePools":[{"name":"default","replicas":2}]}}`)
	waitClusterReady(p, "demo", "2/2")
	p.eventually(2*time.Minute, "6 Running pods on the 2 remaining nodes", func() (bool, string) {
		nodes, _ := runKubectl(kc, "", "get", "nodes", "-o", "name")
		out, _ := runKubectl(kc, "", "get", "pods", "-o", "jsonpath={range .items[*]}{.status.phase} {.spec.nodeName}{\"\\n\"}{end}")
		if strings.Count(nodes, "node/") != 2 || strings.Count(out, "Running") != 6 {
			return false, nodes + out
		}
		for n := range nodesOf(out) {
			if !strings.Contains(nodes, "node/"+n) {
				return false, "pod on removed node " + n
			}
		}
		return true, ""
	})
	events := p.kubectl("get", "events", "--field-selector", "reason=Drained")
	if strings.Count(events, "Drained") < 3 {
		t.Errorf("expected 3 Drained events:\n%s", events)
	}
	if n := len(p.simServers()); n != 2 {
		t.Errorf("sim has %d servers after scale-in to 2", n)
	}

	// Delete: processes, etcd keys, VMs and secrets all go.
	uid := p.jsonpath("cluster/demo", ".metadata.uid")
	p.kubectl("delete", "cluster", "demo", "--timeout=3m")
	if out, err := p.kubectlErr("get", "cluster", "demo"); err == nil {
		t.Errorf("cluster still exists:\n%s", out)
	}
	if out := p.kubectl("get", "machines,secrets", "-l", "kumo.dev/cluster=demo", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Errorf("left behind:\n%s", out)
	}
	if out := p.kubectl("get", "secrets", "-o", "name"); strings.Contains(out, "demo-") {
		t.Errorf("secrets left behind:\n%s", out)
	}
	if n := len(p.simServers()); n != 0 {
		t.Errorf("%d VMs left behind", n)
	}
	p.eventually(30*time.Second, "tenant processes to exit", func() (bool, string) {
		pids := pidsMatching(uid)
		return len(pids) == 0, fmt.Sprint(pids)
	})
	if keys := etcdKeys(t, p, "/kumo/clusters/"+uid+"/"); keys != 0 {
		t.Errorf("%d etcd keys of the deleted cluster remain", keys)
	}
}

// waitClusterReady waits for phase Ready with the given NODES column.
func waitClusterReady(p *platform, name, nodes string) {
	p.t.Helper()
	p.eventually(3*time.Minute, "cluster "+name+" Ready with "+nodes, func() (bool, string) {
		out, _ := p.kubectlErr("get", "cluster", name, "-o", "jsonpath={.status.phase} {.status.nodes} {.status.observedGeneration} {.metadata.generation}")
		f := strings.Fields(out)
		return len(f) == 4 && f[0] == "Ready" && f[1] == nodes && f[2] == f[3], out
	})
}

// nodesOf collects the node names from "phase node" lines.
func nodesOf(lines string) map[string]bool {
	out := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			out[f[1]] = true
		}
	}
	return out
}
