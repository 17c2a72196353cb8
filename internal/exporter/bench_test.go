package exporter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/exporter"
)

// BenchmarkScrape60000 is one scrape of the manager's machine_exporter
// series through client_golang's handler, as Prometheus makes it: 60,000
// Machines of 1,500 clusters on 4 regions of 128 hypervisors.
//
//	go test -run '^$' -bench Scrape60000 -benchmem ./internal/exporter/
func BenchmarkScrape60000(b *testing.B) {
	const clusters, perCluster, regions = 1500, 40, 4
	s, err := sim.New(sim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for r := range regions {
		name := fmt.Sprintf("region-%d", r)
		names = append(names, name)
		if err := s.EnsureRegion(name, sim.RegionConfig{Hypervisors: 128, Cores: 64, MemoryGiB: 512}); err != nil {
			b.Fatal(err)
		}
	}
	c := exporter.NewCollector(func() []string { return names }, s)
	h := c.Handler()
	for cl := range clusters {
		region := names[cl%regions]
		for m := range perCluster {
			name := fmt.Sprintf("c%04d-default-%d", cl, m)
			srv, err := s.CreateServer(context.Background(), region, cloud.CreateRequest{Name: name, Flavor: "m1.medium", SpreadKey: fmt.Sprint(cl)})
			if err != nil {
				b.Fatal(err)
			}
			mach := machine(fmt.Sprintf("team-%d", cl%100), name, fmt.Sprintf("c%04d", cl), srv.Hypervisor, srv.Address, cloud.ProviderID("sim", region, srv.ID))
			mach.Spec.Region = region
			h.OnAdd(mach, true)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	handler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	var w countingResponse
	for b.Loop() {
		w = countingResponse{header: http.Header{}}
		handler.ServeHTTP(&w, req)
		if w.code != 0 && w.code != http.StatusOK {
			b.Fatalf("scrape answered %d", w.code)
		}
	}
	b.ReportMetric(float64(w.n), "bytes/scrape")
}

// countingResponse counts the body, as a scraper's socket would take it.
type countingResponse struct {
	header http.Header
	code   int
	n      int64
}

func (w *countingResponse) Header() http.Header  { return w.header }
func (w *countingResponse) WriteHeader(code int) { w.code = code }
func (w *countingResponse) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
