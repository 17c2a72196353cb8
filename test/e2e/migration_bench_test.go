package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkMigration measures a 100-node cluster (a 300-pod Deployment on
// it) moving from tokyo-1 to osaka-1 in 4 steps with no soak: the wall
// time, and per step the surge (new VMs booted and their nodes Ready) and
// the drain (old nodes emptied through the eviction API). Run with:
//
//	go test -run '^$' -bench Migration -benchtime 1x -timeout 60m ./test/e2e/
func BenchmarkMigration(b *testing.B) {
	p := startPlatform(b)
	p.t = b
	applyCluster(p, "big", 100)
	waitClusterReady(p, "big", "100/100")
	kc := p.tenantKubeconfig("big")
	if out, err := runKubectl(kc, "", "create", "deployment", "web", "--image=registry.k8s.io/pause:3.10", "--replicas=300"); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	p.eventually(10*time.Minute, "300 available pods", func() (bool, string) { return available(kc) == 300, "" })

	for i := 0; i < b.N; i++ {
		from, to := "tokyo-1", "osaka-1"
		if i%2 == 1 {
			from, to = to, from
		}
		p.kubectl("delete", "clustermigration", "big", "--ignore-not-found")
		manifest := fmt.Sprintf("apiVersion: kumo.dev/v1alpha1\nkind: ClusterMigration\nmetadata: {name: big, namespace: default}\n"+
			"spec: {clusterName: big, targetRegion: %s, steps: [25, 50, 75, 100], soak: 0s}\n", to)
		start := time.Now()
		if out, err := runKubectl(p.kubeconfig(), manifest, "apply", "-f", "-"); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		// Sample the reason of Progressing: CreatingNodes is the surge,
		// DrainingNodes the drain, per step.
		surge, drain := map[string]time.Duration{}, map[string]time.Duration{}
		last, lastAt := "", start
		for {
			// status.step is omitted while it is 0.
			out := p.jsonpath("clustermigration/big", `.status.phase}|{.status.step}|{.status.conditions[?(@.type=="Progressing")].reason`)
			f := strings.Split(out, "|")
			if len(f) != 3 { // kubectl failed; sample again
				time.Sleep(500 * time.Millisecond)
				continue
			}
			if f[0] == "Completed" || f[0] == "Failed" || f[0] == "RolledBack" {
				if f[0] != "Completed" {
					b.Fatalf("migration %s -> %s ended %s", from, to, out)
				}
				break
			}
			if f[1] == "" {
				f[1] = "0"
			}
			if f[2] != "" {
				key := f[1] + " " + f[2]
				if key != last {
					now := time.Now()
					if step, reason, ok := strings.Cut(last, " "); ok {
						n, _ := strconv.Atoi(step)
						name := fmt.Sprintf("step-%d", n+1)
						switch reason {
						case "CreatingNodes":
							surge[name] += now.Sub(lastAt)
						case "DrainingNodes":
							drain[name] += now.Sub(lastAt)
						}
					}
					last, lastAt = key, now
				}
			}
			time.Sleep(500 * time.Millisecond)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/migration")
		for step := 1; step <= 4; step++ {
			name := fmt.Sprintf("step-%d", step)
			b.ReportMetric(surge[name].Seconds(), "s/surge-"+name)
			b.ReportMetric(drain[name].Seconds(), "s/drain-"+name)
		}
	}
}
