package platform

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/ports"
)

// registry is a port registry of the test's own, as seen by dataDir.
func registry(t *testing.T, dataDir string) *ports.Registry {
	path := filepath.Join(t.TempDir(), "ports.json")
	return ports.Open(path, dataDir)
}

// TestConfigKeepsPortsAcrossRestarts: kubeconfigs and tenant API servers
// point at the ports chosen on the first run, so later runs must reuse them
// even when the default became free or busy meanwhile.
func TestConfigKeepsPortsAcrossRestarts(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	reg := registry(t, dir)
	first, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.APIServerPort).NotTo(BeZero())
	g.Expect(first.EtcdPort).NotTo(Equal(first.EtcdPeerPort))

	// Hold the API server port, as a running kumo up would.
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(first.APIServerPort)))
	if err == nil {
		defer func() { _ = l.Close() }()
	}
	again, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(first))

	// An explicit port wins and is remembered.
	explicit, err := loadConfig(dir, Options{APIServerPort: 17443}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(explicit.APIServerPort).To(Equal(17443))
	later, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(later.APIServerPort).To(Equal(17443))
}

// TestConfigTwoPlatforms: every port of two data directories on one machine
// is chosen apart, also while the first platform is stopped (nothing
// listens: only the registry knows), and none is 8080 or 8081.
func TestConfigTwoPlatforms(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "ports.json")
	seen := map[int]string{}
	for _, dir := range []string{t.TempDir(), t.TempDir()} {
		cfg, err := loadConfig(dir, Options{}, ports.Open(path, dir))
		g.Expect(err).NotTo(HaveOccurred())
		ls := cfg.listeners()
		g.Expect(ls).To(HaveLen(6))
		for _, l := range ls {
			g.Expect(l.port).NotTo(BeZero(), "%s has a port", l.what)
			g.Expect(l.port).NotTo(BeElementOf(8080, 8081))
			g.Expect(seen).NotTo(HaveKey(l.port), "port %d chosen for %s and %s", l.port, seen[l.port], l.what)
			seen[l.port] = dir + " " + l.what
		}
	}
}

// TestConfigKeepsAddressesGiven: bind addresses given once, or "0" for
// disabled, are remembered like ports.
func TestConfigKeepsAddressesGiven(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	reg := registry(t, dir)
	_, err := loadConfig(dir, Options{MetricsAddr: "0", HealthAddr: "127.0.0.1:17811"}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	cfg, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.MetricsBindAddress).To(Equal("0"))
	g.Expect(cfg.HealthProbeBindAddress).To(Equal("127.0.0.1:17811"))
}

// TestCheckPortsNamesTheFlag: a taken port stops `kumo up` before anything
// starts, with the flag that moves it.
func TestCheckPortsNamesTheFlag(t *testing.T) {
	g := NewWithT(t)
	defer func(d time.Duration) { portWait = d }(portWait)
	portWait = 300 * time.Millisecond
	dir := t.TempDir()
	reg := registry(t, dir)
	cfg, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(checkPorts(cfg, reg)).To(Succeed())
	for _, l := range cfg.listeners() {
		busy, err := net.Listen("tcp", l.addr)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(checkPorts(cfg, reg)).To(MatchError(fmt.Sprintf(
			"port %d for %s is in use by another program; stop it or pass %s", l.port, l.what, l.flag)))
		_ = busy.Close()
	}
	g.Expect(cfg.listeners()[0].flag).To(Equal("--apiserver-port"))

	// A port that frees up while kumo up waits (a killed platform's
	// sockets) is no reason to refuse.
	l := cfg.listeners()[0]
	busy, err := net.Listen("tcp", l.addr)
	g.Expect(err).NotTo(HaveOccurred())
	time.AfterFunc(100*time.Millisecond, func() { _ = busy.Close() })
	g.Expect(checkPorts(cfg, reg)).To(Succeed())
}

func TestBannerRunsAsTyped(t *testing.T) {
	g := NewWithT(t)
	b := banner(Options{DataDir: "/tmp/kumo two", Command: "bin/kumo"}, "/tmp/kumo two/kubeconfig", "127.0.0.1:23810", "")
	g.Expect(b).To(ContainSubstring("  export KUMO_DATA_DIR='/tmp/kumo two'\n"))
	g.Expect(b).To(ContainSubstring("  export KUBECONFIG='/tmp/kumo two/kubeconfig'\n"))
	g.Expect(b).To(ContainSubstring("  bin/kumo kubectl get regions\n"))
	g.Expect(b).To(ContainSubstring(`"bin/kumo up --data-dir '/tmp/kumo two'" again`))
	g.Expect(b).To(ContainSubstring("  http://127.0.0.1:23810/metrics "))
	g.Expect(b).To(ContainSubstring("  http://127.0.0.1:23810/metrics/nodes "))
	for _, line := range strings.Split(b, "\n") {
		g.Expect(line).NotTo(MatchRegexp(`^\s*kumo `), "a bare kumo may not be on PATH")
	}
	g.Expect(banner(Options{DataDir: homeDataDir(), Command: "kumo"}, "k", "0", "")).NotTo(Or(ContainSubstring("KUMO_DATA_DIR"), ContainSubstring("/metrics")))
	g.Expect(b).NotTo(ContainSubstring("Prometheus ("))
	g.Expect(banner(Options{DataDir: "/tmp/k", Command: "kumo"}, "k", "0", "http://127.0.0.1:23813")).To(ContainSubstring("\nPrometheus (HTTP API, rules, alerts): http://127.0.0.1:23813\n"))
}

// TestConfigPrometheusPort: a platform holds a port for Prometheus only once
// it was run with it, and keeps that port after.
func TestConfigPrometheusPort(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	reg := registry(t, dir)
	without, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(without.PrometheusPort).To(BeZero())
	g.Expect(without.listeners()).To(HaveLen(6))

	with, err := loadConfig(dir, Options{Prometheus: true}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(with.PrometheusPort).NotTo(BeZero())
	ls := with.listeners()
	g.Expect(ls).To(HaveLen(7))
	g.Expect(ls[6].flag).To(Equal("--prometheus-port"))
	for _, l := range ls[:6] {
		g.Expect(l.port).NotTo(Equal(with.PrometheusPort), l.what)
	}

	later, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(later.PrometheusPort).To(Equal(with.PrometheusPort))
	explicit, err := loadConfig(dir, Options{PrometheusPort: 17913}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(explicit.PrometheusPort).To(Equal(17913))
}

func TestScrapeAddress(t *testing.T) {
	tests := map[string]struct {
		addr    string // the manager's metrics bind address
		want    string // where Prometheus scrapes it
		wantErr bool
	}{
		"loopback":    {addr: "127.0.0.1:23810", want: "127.0.0.1:23810"},
		"all ipv4":    {addr: "0.0.0.0:23810", want: "127.0.0.1:23810"},
		"no host":     {addr: ":23810", want: "127.0.0.1:23810"},
		"a host name": {addr: "metrics.local:8443", want: "metrics.local:8443"},
		"disabled":    {addr: "0", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := scrapeAddress(tc.addr)
			if tc.wantErr {
				g.Expect(err).To(MatchError(ContainSubstring("--metrics-bind-address")))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestRunning(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(Running(dir)).To(BeFalse())
	g.Expect(Running(filepath.Join(dir, "missing"))).To(BeFalse())
	unlock, err := lockDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(Running(dir)).To(BeTrue())
	_, err = lockDir(dir)
	g.Expect(err).To(HaveOccurred(), "a look by Running leaves the lock to its holder")
	unlock()
	g.Expect(Running(dir)).To(BeFalse())
}

func TestConfigRefusesACorruptFile(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "config.json"), []byte("{not json"), 0o600)).To(Succeed())
	_, err := loadConfig(dir, Options{}, registry(t, dir))
	g.Expect(err).To(MatchError(ContainSubstring("delete it to choose new ports")))
}

func TestLockDirRefusesASecondKumo(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	unlock, err := lockDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = lockDir(dir)
	g.Expect(err).To(MatchError(ContainSubstring("another `kumo up` is using")))
	unlock()
	unlock2, err := lockDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	unlock2()
}

func TestPKIIsCreatedOnce(t *testing.T) {
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := ensurePKI(dir)
	g.Expect(err).NotTo(HaveOccurred())
	ca, err := os.ReadFile(p.path("ca.crt"))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = ensurePKI(dir)
	g.Expect(err).NotTo(HaveOccurred())
	again, _ := os.ReadFile(p.path("ca.crt"))
	g.Expect(again).To(Equal(ca), "a second run keeps the CA, so handed-out kubeconfigs stay valid")
	kc, err := p.kubeconfig("https://127.0.0.1:6443", "admin")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(kc)).To(ContainSubstring("https://127.0.0.1:6443"))
}

// TestConfigKeepsHostMemoryReserve: the memory reserve is 10% of the host
// until one is given; one given is kept for later runs; a bad one is
// refused, naming the flag.
func TestConfigKeepsHostMemoryReserve(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	reg := registry(t, dir)
	cfg, err := loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.HostMemoryReserve).To(Equal("10%"))
	g.Expect(cfg.HostMemoryReserveBytes(20 << 30)).To(Equal(uint64(2 << 30)))

	cfg, err = loadConfig(dir, Options{HostMemoryReserve: "3Gi"}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.HostMemoryReserveBytes(20 << 30)).To(Equal(uint64(3 << 30)))
	cfg, err = loadConfig(dir, Options{}, reg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.HostMemoryReserve).To(Equal("3Gi"))

	_, err = loadConfig(dir, Options{HostMemoryReserve: "lots"}, reg)
	g.Expect(err).To(MatchError(And(ContainSubstring(`invalid memory reserve "lots"`), ContainSubstring("--host-memory-reserve"))))
	cfg, err = ReadConfig(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.HostMemoryReserve).To(Equal("3Gi"), "a refused reserve is not kept")
}
