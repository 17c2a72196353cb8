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
)

// BenchmarkClusterReady measures the time from `kubectl apply` of N 3-node
// clusters to all of them Ready, and the memory each tenant cluster's
// processes take once Ready. Run with:
//
//	go test -run '^$' -bench ClusterReady -benchtime 1x ./test/e2e/
func BenchmarkClusterReady(b *testing.B) {
	p := startPlatform(b)
	for _, n := range []int{1, 5} {
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			p.t = b
			var total time.Duration
			var mem memStats
			for i := 0; i < b.N; i++ {
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
				p.kubectl(append([]string{"delete", "clusters", "--timeout=5m"}, names...)...)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/all-ready")
			b.ReportMetric(mem.rss/float64(mem.n), "MiB-rss/cluster")
			b.ReportMetric(mem.pss/float64(mem.n), "MiB-pss/cluster")
			b.ReportMetric(mem.anon/float64(mem.n), "MiB-anon/cluster")
		})
	}
}

type memStats struct {
	rss, pss, anon float64
	n              int
}

func (m *memStats) add(o memStats) {
	m.rss += o.rss
	m.pss += o.pss
	m.anon += o.anon
	m.n++
}

// clusterMemory sums Rss, Pss and Pss_Anon (MiB) over a tenant cluster's
// processes (kube-apiserver, kube-controller-manager, kube-scheduler, kwok).
// Rss counts the binaries' shared pages in full for every process; Pss
// shares them out; Pss_Anon is what each additional cluster really costs.
func clusterMemory(tb testing.TB, uid string) memStats {
	tb.Helper()
	var m memStats
	pids := pidsMatching("clusters/" + uid)
	if len(pids) != 4 {
		tb.Fatalf("cluster %s has %d processes, want 4", uid, len(pids))
	}
	for _, pid := range pids {
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
	}
	return m
}
