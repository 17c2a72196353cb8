package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
)

// BenchmarkClusterReady measures the time from `kubectl apply` of N 3-node
// clusters to all of them Ready, and the memory each tenant cluster takes
// once Ready: its three processes, plus its share of what the manager
// (`kumo up`, which plays the clusters' kubelets with kwok) grew by; and
// what the host's available memory (MemAvailable) fell by, per cluster,
// which also counts etcd, the page cache and the rest of the machine (other
// programs make it noisy). Run with:
//
//	go test -run '^$' -bench ClusterReady -benchtime 1x ./test/e2e/
func BenchmarkClusterReady(b *testing.B) {
	p := startPlatform(b)
	for _, n := range []int{1, 5, 10, 20} {
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			p.t = b
			var total time.Duration
			var idle, host float64
			var mem, mgr memStats
			for i := 0; i < b.N; i++ {
				before := processMemory(b, p.cmd.Process.Pid)
				hostBefore := hostAvailable(b)
				names := make([]string, n)
				var manifest strings.Builder
				for j := range names {
					names[j] = fmt.Sprintf("bench-%d-%d-%d", n, i, j)
					fmt.Fprintf(&manifest, "---\napiVersion: kumo.dev/v1alpha1\nkind: Cluster\nmetadata: {name: %s, namespace: default}\nspec: {version: \"1.36\", region: tokyo-1, nodePools: [{name: default, replicas: 3}]}\n", names[j])
				}
				start := time.Now()
				if out, err := runKubectl(p.kubeconfig(), manifest.String(), "apply", "-f", "-"); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				p.eventually(10*time.Minute, "all clusters Ready", func() (bool, string) {
					out, _ := p.kubectlErr("get", "clusters", "-o", "jsonpath={range .items[*]}{.status.phase} {.status.nodes}{\"\\n\"}{end}")
					return strings.Count(out, "Ready 3/3") == n, out
				})
				total += time.Since(start)
				for _, name := range names {
					mem.add(clusterMemory(b, p.jsonpath("cluster/"+name, ".metadata.uid")))
				}
				idle += idleCPU(b, p, names)
				host += (hostBefore - hostAvailable(b)) / float64(n)
				after := processMemory(b, p.cmd.Process.Pid)
				mgr.add(memStats{rss: (after.rss - before.rss) / float64(n), pss: (after.pss - before.pss) / float64(n), anon: (after.anon - before.anon) / float64(n)})
				p.kubectl(append([]string{"delete", "clusters", "--timeout=5m"}, names...)...)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/all-ready")
			b.ReportMetric(mem.rss/float64(mem.n)+mgr.rss/float64(mgr.n), "MiB-rss/cluster")
			b.ReportMetric(mem.pss/float64(mem.n)+mgr.pss/float64(mgr.n), "MiB-pss/cluster")
			b.ReportMetric(mem.anon/float64(mem.n)+mgr.anon/float64(mgr.n), "MiB-anon/cluster")
			b.ReportMetric(mgr.rss/float64(mgr.n), "MiB-manager-rss/cluster")
			b.ReportMetric(idle/float64(b.N)/float64(n), "idle-CPU-%/cluster")
			b.ReportMetric(host/float64(b.N), "MiB-host/cluster")
			for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
				b.ReportMetric(mem.byComponent[c]/float64(mem.n), "MiB-rss-"+c)
			}
		})
	}
}

type memStats struct {
	rss, pss, anon float64
	// byComponent is Rss by process name.
	byComponent map[string]float64
	n           int
}

func (m *memStats) add(o memStats) {
	m.rss += o.rss
	m.pss += o.pss
	m.anon += o.anon
	if m.byComponent == nil {
		m.byComponent = map[string]float64{}
	}
	for k, v := range o.byComponent {
		m.byComponent[k] += v
	}
	m.n++
}

// clusterMemory sums Rss, Pss and Pss_Anon (MiB) over a tenant cluster's
// processes (kube-apiserver, kube-controller-manager, kube-scheduler).
// Rss counts the binaries' shared pages in full for every process; Pss
// shares them out; Pss_Anon is what each additional cluster really costs.
func clusterMemory(tb testing.TB, uid string) memStats {
	tb.Helper()
	m := memStats{byComponent: map[string]float64{}}
	pids := pidsMatching("clusters/" + uid)
	if len(pids) != 3 {
		tb.Fatalf("cluster %s has %d processes, want 3", uid, len(pids))
	}
	for _, pid := range pids {
		pm := processMemory(tb, pid)
		m.rss, m.pss, m.anon = m.rss+pm.rss, m.pss+pm.pss, m.anon+pm.anon
		exe, _ := os.Readlink(filepath.Join("/proc", fmt.Sprint(pid), "exe"))
		m.byComponent[filepath.Base(exe)] += pm.rss
	}
	return m
}

// hostAvailable is the host's available memory (MiB).
func hostAvailable(tb testing.TB) float64 {
	tb.Helper()
	m, err := cpprocess.ReadHostMemory()
	if err != nil {
		tb.Fatal(err)
	}
	return float64(m.Available) / (1 << 20)
}

// processMemory reads Rss, Pss and Pss_Anon (MiB) of one process.
func processMemory(tb testing.TB, pid int) memStats {
	tb.Helper()
	var m memStats
	data, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "smaps_rollup"))
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var kb float64
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		if _, err := fmt.Sscan(f[1], &kb); err != nil {
			continue
		}
		switch f[0] {
		case "Rss:":
			m.rss += kb / 1024
		case "Pss:":
			m.pss += kb / 1024
		case "Pss_Anon:":
			m.anon += kb / 1024
		}
	}
	return m
}

// idleCPU is the CPU (percent of one core) that the clusters' processes and
// the manager use together while nothing changes: it settles for 15 s,
// then is sampled over 10 s.
func idleCPU(tb testing.TB, p *platform, clusters []string) float64 {
	tb.Helper()
	pids := []int{p.cmd.Process.Pid}
	for _, name := range clusters {
		pids = append(pids, pidsMatching("clusters/"+p.jsonpath("cluster/"+name, ".metadata.uid"))...)
	}
	ticks := func() float64 {
		var sum float64
		for _, pid := range pids {
			data, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "stat"))
			if err != nil {
				tb.Fatal(err)
			}
			// Fields after the command name: utime and stime are the 12th and 13th.
			f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
			var u, s float64
			_, _ = fmt.Sscan(f[11], &u)
			_, _ = fmt.Sscan(f[12], &s)
			sum += u + s
		}
		return sum
	}
	time.Sleep(15 * time.Second)
	start, t0 := ticks(), time.Now()
	time.Sleep(10 * time.Second)
	// Clock ticks are 1/100 s on Linux.
	return (ticks() - start) / time.Since(t0).Seconds()
}
