package sim_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// The fleet of issue #7: 1,400 clusters of 40 machines (56,000 VMs) over 4
// regions, each cluster in one region. Run with
//
//	go test -run '^$' -bench . -benchtime 2000x ./internal/cloud/sim/
const (
	fleetClusters = 1400
	fleetMachines = 40 // per cluster
	fleetRegions  = 4
)

// fleetRegion has room for 16,384 m1.medium servers (128 hypervisors of 256
// vCPUs and 512 GiB): a quarter of the fleet plus headroom.
func fleetRegion() sim.RegionConfig {
	return sim.RegionConfig{Hypervisors: 128, Cores: 64, MemoryGiB: 512}
}

// machineReq is what the machine controller asks for machine m of cluster c.
func machineReq(c, m int, uid string) cloud.CreateRequest {
	return cloud.CreateRequest{
		Name:      fmt.Sprintf("c%04d-default-%d", c, m),
		Flavor:    "m1.medium",
		SpreadKey: fmt.Sprintf("cluster-uid-%04d", c),
		Tags: map[string]string{
			"kumo.dev/machine-uid": uid,
			"kumo.dev/machine":     fmt.Sprintf("c%04d-default-%d", c, m),
			"kumo.dev/cluster":     fmt.Sprintf("c%04d", c),
			"kumo.dev/namespace":   "fleet",
		},
	}
}

func fleetRegionOf(c int) string { return fmt.Sprintf("region-%d", c%fleetRegions) }

var (
	fleetOnce  sync.Once
	fleetCloud *sim.Cloud
	fleetErr   error
)

// fleet is an in-memory cloud holding the whole fleet, built once per test
// binary: benchmarks that create servers delete them again. Machine m of
// cluster c carries the machine-uid tag "uid-c-m".
func fleet(b *testing.B) *sim.Cloud {
	b.Helper()
	fleetOnce.Do(func() {
		c, err := sim.New(sim.Options{})
		if err != nil {
			fleetErr = err
			return
		}
		for i := range fleetRegions {
			if err := c.EnsureRegion(fmt.Sprintf("region-%d", i), fleetRegion()); err != nil {
				fleetErr = err
				return
			}
		}
		for m := range fleetMachines {
			for cl := range fleetClusters {
				if _, err := c.CreateServer(b.Context(), fleetRegionOf(cl), machineReq(cl, m, fmt.Sprintf("uid-%d-%d", cl, m))); err != nil {
					fleetErr = err
					return
				}
			}
		}
		fleetCloud = c
	})
	if fleetErr != nil {
		b.Fatalf("building the fleet: %v", fleetErr)
	}
	return fleetCloud
}

// createDelete is one machine's VM lifecycle in a fleet: create a 41st
// machine of a cluster, then delete it, which leaves the fleet as it was.
func createDelete(b *testing.B, c *sim.Cloud, i int) {
	cl := i % fleetClusters
	region := fleetRegionOf(cl)
	s, err := c.CreateServer(b.Context(), region, machineReq(cl, fleetMachines, fmt.Sprintf("new-%d", i)))
	if err != nil {
		b.Fatal(err)
	}
	if err := c.DeleteServer(b.Context(), region, s.ID); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCreateServer creates and deletes one server in a fleet of 56,000.
func BenchmarkCreateServer(b *testing.B) {
	c := fleet(b)
	i := 0
	for b.Loop() {
		createDelete(b, c, i)
		i++
	}
}

// BenchmarkCreateServerPersistent is BenchmarkCreateServer with the state
// kept in a file, as `kumo up` keeps it.
func BenchmarkCreateServerPersistent(b *testing.B) {
	path := filepath.Join(b.TempDir(), "sim.json")
	if err := fleet(b).WriteState(path); err != nil {
		b.Fatal(err)
	}
	c, err := sim.New(sim.Options{StatePath: path})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		createDelete(b, c, i)
		i++
	}
}

// BenchmarkListServersByTag is the machine controller's idempotency check:
// the servers tagged with one machine's UID.
func BenchmarkListServersByTag(b *testing.B) {
	c := fleet(b)
	i := 0
	for b.Loop() {
		cl, m := i%fleetClusters, (i/fleetClusters)%fleetMachines
		got, err := c.ListServers(b.Context(), fleetRegionOf(cl), map[string]string{"kumo.dev/machine-uid": fmt.Sprintf("uid-%d-%d", cl, m)})
		if err != nil || len(got) != 1 {
			b.Fatalf("listing machine %d of cluster %d: %d servers, %v", m, cl, len(got), err)
		}
		i++
	}
}

// BenchmarkCapacity is the region controller's periodic read.
func BenchmarkCapacity(b *testing.B) {
	c := fleet(b)
	i := 0
	for b.Loop() {
		if _, err := c.Capacity(b.Context(), fleetRegionOf(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkNodeMetricsScrape is one scrape of node_cpu_seconds_total for
// 60,000 VMs of 2 vCPUs (480,000 series), 15 s of the clock after the last:
// the integration of those 15 s, the copy of the counters and the text.
//
//	go test -run '^$' -bench NodeMetricsScrape -benchmem ./internal/cloud/sim/
func BenchmarkNodeMetricsScrape(b *testing.B) {
	const clusters = 1500 // of 40 machines: 60,000 VMs
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c, err := sim.New(sim.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	for i := range fleetRegions {
		if err := c.EnsureRegion(fmt.Sprintf("region-%d", i), fleetRegion()); err != nil {
			b.Fatal(err)
		}
	}
	for m := range fleetMachines {
		for cl := range clusters {
			if _, err := c.CreateServer(b.Context(), fleetRegionOf(cl), machineReq(cl, m, fmt.Sprintf("uid-%d-%d", cl, m))); err != nil {
				b.Fatal(err)
			}
		}
	}
	n := &sim.NodeMetrics{Cloud: c}
	var w countingWriter
	b.ResetTimer()
	for b.Loop() {
		now = now.Add(15 * time.Second)
		w = 0
		if err := n.Write(&w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w), "bytes/scrape")
}

// countingWriter counts what is written to it, as a scraper's socket would take it.
type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}
