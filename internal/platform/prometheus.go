package platform

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"

	promconfig "github.com/kumo-dev/kumo/deploy/prometheus"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/process"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// PrometheusDir holds the configuration `kumo up --prometheus` runs with
// (rewritten on every start) and, in data/, its time series.
func PrometheusDir(dataDir string) string { return filepath.Join(dataDir, "prometheus") }

// prometheusRun is what startPrometheus needs of `kumo up`.
type prometheusRun struct {
	bin      *toolchain.PrometheusBinaries
	dataDir  string
	port     int
	interval time.Duration
	// managerMetrics is the manager's metrics address (host:port).
	managerMetrics string
	log            logr.Logger
	onRestart      func(process.Spec, error)
}

// startPrometheus runs the pinned Prometheus, supervised, on 127.0.0.1 with
// deploy/prometheus's configuration and rules, scraping the manager and
// the sim's node exporters, and waits until it is ready. It returns its URL.
func startPrometheus(ctx context.Context, r prometheusRun) (*process.Supervisor, string, error) {
	dir := PrometheusDir(r.dataDir)
	if err := promconfig.WriteTo(dir, r.interval); err != nil {
		return nil, "", fmt.Errorf("writing the Prometheus configuration: %w", err)
	}
	target, err := scrapeAddress(r.managerMetrics)
	if err != nil {
		return nil, "", err
	}
	if err := promconfig.WriteTargets(dir, promconfig.ManagerJob, []string{target}, nil); err != nil {
		return nil, "", err
	}
	// The sim cloud's VMs' node_exporter series, all from one path of the
	// manager's metrics endpoint.
	if err := promconfig.WriteTargets(dir, promconfig.NodeJob, []string{target}, map[string]string{"__metrics_path__": sim.NodeExporterPath}); err != nil {
		return nil, "", err
	}
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(r.port))
	logFile := filepath.Join(LogDir(r.dataDir), "prometheus.log")
	sup, err := process.Supervise(r.log, process.Spec{
		Name: "prometheus", Path: r.bin.Prometheus, LogFile: logFile, OnRestart: r.onRestart,
		Args: []string{
			"--config.file=" + filepath.Join(dir, promconfig.ConfigFile),
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
		},
	})
	if err != nil {
		return nil, "", err
	}
	url := "http://" + addr
	if err := waitHTTP(ctx, url+"/-/ready", nil, 2*time.Minute); err != nil {
		sup.Stop()
		return nil, "", fmt.Errorf("prometheus did not become ready (see %s): %w", logFile, err)
	}
	return sup, url, nil
}

// scrapeAddress is where Prometheus reaches a listener bound to addr: a
// wildcard host is reached on the loopback.
func scrapeAddress(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || addr == "0" {
		return "", fmt.Errorf("--prometheus scrapes the manager's metrics, which are off (--metrics-bind-address %q)", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
