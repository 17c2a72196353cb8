package platform

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
	"github.com/kumo-dev/kumo/internal/ports"
)

// Config is what must stay the same across restarts of one data directory,
// kept in its config.json: the ports that kubeconfigs, tenant API servers
// and monitoring point at, and the memory the platform leaves to the host.
type Config struct {
	APIServerPort int `json:"apiServerPort"`
	EtcdPort      int `json:"etcdPort"`
	EtcdPeerPort  int `json:"etcdPeerPort"`
	// MetricsBindAddress and HealthProbeBindAddress are the manager's
	// (host:port); "0" disables.
	MetricsBindAddress     string `json:"metricsBindAddress"`
	HealthProbeBindAddress string `json:"healthProbeBindAddress"`
	// Fidelity is FidelityFull or FidelityScale, chosen on the first run:
	// clusters made at one level cannot run at the other.
	Fidelity string `json:"fidelity,omitempty"`
	// WebhookPort is where the manager serves admission webhooks (team
	// quotas) to the API server, on 127.0.0.1.
	WebhookPort int `json:"webhookPort"`
	// HostMemoryReserve is the host memory tenant control planes leave
	// available: a size ("2Gi") or a share of the host's ("10%").
	HostMemoryReserve string `json:"hostMemoryReserve,omitempty"`
	// PrometheusPort is where `kumo up --prometheus` serves Prometheus, on
	// 127.0.0.1; chosen on the first run with --prometheus.
	PrometheusPort int `json:"prometheusPort,omitempty"`
	// EtcdQuota is the management etcd's --quota-backend-bytes; 0 is
	// DefaultEtcdQuota.
	EtcdQuota int64 `json:"etcdQuotaBytes,omitempty"`
}

// EtcdQuotaBytes is the management etcd's backend quota.
func (c *Config) EtcdQuotaBytes() int64 {
	if c.EtcdQuota > 0 {
		return c.EtcdQuota
	}
	return DefaultEtcdQuota
}

// HostMemoryReserveBytes returns the reserve in bytes on a host with total
// bytes of memory.
func (c *Config) HostMemoryReserveBytes(total uint64) (uint64, error) {
	reserve := c.HostMemoryReserve
	if reserve == "" {
		reserve = cpprocess.DefaultMemoryReserve
	}
	return cpprocess.ParseMemoryReserve(reserve, total)
}

// Fidelity levels of `kumo up`.
const (
	// FidelityFull runs each tenant cluster's control plane as processes
	// and its Nodes with kwok.
	FidelityFull = "full"
	// FidelityScale gives tenant clusters no processes: a control plane is
	// healthy at once and Nodes live in memory (controlplane/scale,
	// nodes/scale). It is for measuring the manager against a large fleet.
	FidelityScale = "scale"
)

// Default ports, tried first on a data directory's first run. They avoid
// 8080/8081 and the like, which many other tools take.
const (
	DefaultAPIServerPort = 6443
	DefaultEtcdPort      = 23790
	DefaultEtcdPeerPort  = 23800
	DefaultMetricsPort   = 23810
	DefaultHealthPort    = 23811
	DefaultWebhookPort   = 23812
	// DefaultPrometheusPort avoids Prometheus's own 9090, which a
	// Prometheus of the machine may hold.
	DefaultPrometheusPort = 23813
)

// When a default port is taken, ports are chosen from this range: below
// Linux's ephemeral range (so no outgoing connection holds one when a
// restart needs it) and below the tenant API servers' range.
const fallbackMin, fallbackMax = 20000, 29999

func configPath(dataDir string) string { return filepath.Join(dataDir, "config.json") }

// ReadConfig reads a data directory's config; it is nil, without error,
// before the directory's first `kumo up`.
func ReadConfig(dataDir string) (*Config, error) {
	path := configPath(dataDir)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("reading %s: %w (delete it to choose new ports)", path, err)
	}
	return cfg, nil
}

// loadConfig reads dataDir/config.json and completes it: a port given in o
// replaces the recorded one; a port not recorded yet is the default if no
// platform of this machine holds it and it is free, else a free port of the
// fallback range. The registry learns every port the directory holds.
func loadConfig(dataDir string, o Options, reg *ports.Registry) (*Config, error) {
	cfg, err := ReadConfig(dataDir)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = &Config{}
	}
	before := *cfg
	if o.HostMemoryReserve != "" {
		cfg.HostMemoryReserve = o.HostMemoryReserve
	}
	if cfg.HostMemoryReserve == "" {
		cfg.HostMemoryReserve = cpprocess.DefaultMemoryReserve
	}
	if o.EtcdQuotaBytes < 0 {
		return nil, fmt.Errorf("--etcd-quota-backend-bytes must not be negative, got %d", o.EtcdQuotaBytes)
	}
	if o.EtcdQuotaBytes > 0 {
		cfg.EtcdQuota = o.EtcdQuotaBytes
	}
	if _, err := cfg.HostMemoryReserveBytes(0); err != nil {
		return nil, fmt.Errorf("%w (--host-memory-reserve)", err)
	}
	err = reg.Update(func(t *ports.Txn) error {
		pick := func(def int) (int, error) {
			if t.Free(def) {
				return def, nil
			}
			for p := range ports.Range(fallbackMin, fallbackMax, fallbackMin+rand.IntN(fallbackMax-fallbackMin+1)) {
				if t.Free(p) {
					return p, nil
				}
			}
			return 0, fmt.Errorf("no free port left in %d-%d", fallbackMin, fallbackMax)
		}
		port := func(cur *int, requested, def int) error {
			if requested != 0 {
				*cur = requested
			}
			if *cur == 0 {
				p, err := pick(def)
				if err != nil {
					return err
				}
				*cur = p
			}
			return nil
		}
		addr := func(cur *string, requested string, def int) error {
			if requested != "" {
				*cur = requested
			}
			if *cur == "" {
				p, err := pick(def)
				if err != nil {
					return err
				}
				*cur = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
			}
			return nil
		}
		choices := []func() error{
			func() error { return port(&cfg.APIServerPort, o.APIServerPort, DefaultAPIServerPort) },
			func() error { return port(&cfg.EtcdPort, o.EtcdPort, DefaultEtcdPort) },
			func() error { return port(&cfg.EtcdPeerPort, o.EtcdPeerPort, DefaultEtcdPeerPort) },
			func() error { return addr(&cfg.MetricsBindAddress, o.MetricsAddr, DefaultMetricsPort) },
			func() error { return addr(&cfg.HealthProbeBindAddress, o.HealthAddr, DefaultHealthPort) },
			func() error { return port(&cfg.WebhookPort, o.WebhookPort, DefaultWebhookPort) },
		}
		// Prometheus's port only once it is asked for: a platform without
		// it holds no port for it.
		if o.Prometheus || o.PrometheusPort != 0 || cfg.PrometheusPort != 0 {
			choices = append(choices, func() error { return port(&cfg.PrometheusPort, o.PrometheusPort, DefaultPrometheusPort) })
		}
		// Each port is claimed as soon as it is chosen, so that the next
		// one is chosen apart from it. choices and listeners go in step.
		for i, choose := range choices {
			if err := choose(); err != nil {
				return fmt.Errorf("choosing ports: %w", err)
			}
			l := cfg.listeners()[i]
			if l.port != 0 {
				t.Set(l.key, l.port)
			} else {
				t.Delete(l.key)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := chooseFidelity(cfg, o.Fidelity, dataDir); err != nil {
		return nil, err
	}
	if *cfg != before {
		data, _ := json.MarshalIndent(cfg, "", "  ")
		if err := os.WriteFile(configPath(dataDir), data, 0o600); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// chooseFidelity records the requested level on a directory's first run and
// refuses another one later.
func chooseFidelity(cfg *Config, requested, dataDir string) error {
	switch requested {
	case "", FidelityFull, FidelityScale:
	default:
		return fmt.Errorf("unknown fidelity %q: use %q (tenant clusters as processes) or %q (no processes, for fleet benchmarks)", requested, FidelityFull, FidelityScale)
	}
	if cfg.Fidelity == "" {
		// Directories from before fidelity levels ran full clusters.
		cfg.Fidelity = cmp.Or(requested, FidelityFull)
	}
	if requested != "" && requested != cfg.Fidelity {
		return fmt.Errorf("data directory %s runs clusters at fidelity %q; use another --data-dir for %q", dataDir, cfg.Fidelity, requested)
	}
	return nil
}

// listener is one port `kumo up` opens.
type listener struct {
	key  string // in the port registry
	what string // for people
	flag string // the flag of `kumo up` that changes it
	addr string // host:port; "" or "0" when disabled
	port int    // 0 when disabled or not chosen yet
}

// listeners are the ports of c, in the order of loadConfig's choices.
func (c *Config) listeners() []listener {
	loopback := func(p int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)) }
	ls := []listener{
		{key: "apiserver", what: "the management API server", flag: "--apiserver-port", addr: loopback(c.APIServerPort)},
		{key: "etcd", what: "the management etcd", flag: "--etcd-port", addr: loopback(c.EtcdPort)},
		{key: "etcd-peer", what: "the management etcd's peer traffic", flag: "--etcd-peer-port", addr: loopback(c.EtcdPeerPort)},
		{key: "metrics", what: "the manager's metrics", flag: "--metrics-bind-address", addr: c.MetricsBindAddress},
		{key: "health", what: "the manager's health probes", flag: "--health-probe-bind-address", addr: c.HealthProbeBindAddress},
		{key: "webhook", what: "the manager's admission webhook", flag: "--webhook-port", addr: loopback(c.WebhookPort)},
	}
	if c.PrometheusPort != 0 {
		ls = append(ls, listener{key: "prometheus", what: "Prometheus", flag: "--prometheus-port", addr: loopback(c.PrometheusPort)})
	}
	for i := range ls {
		if _, p, err := net.SplitHostPort(ls[i].addr); err == nil {
			ls[i].port, _ = strconv.Atoi(p)
		}
	}
	return ls
}

// portWait is how long a port may stay busy before `kumo up` gives up on
// it: the sockets of a platform that was just killed, or an outgoing
// connection that happened to get the port, free it within seconds.
var portWait = 10 * time.Second

// checkPorts fails, naming the flag that changes it, for the first port of
// cfg that something else listens on.
func checkPorts(cfg *Config, reg *ports.Registry) error {
	deadline := time.Now().Add(portWait)
	for _, l := range cfg.listeners() {
		if l.port == 0 || bindableBy(l.addr, deadline) {
			continue
		}
		by := "another program"
		_ = reg.Update(func(t *ports.Txn) error {
			if owner, _, ok := t.Holder(l.port); ok && owner != reg.Owner() && Running(owner) {
				by = "the Kumo platform at " + owner
			}
			return nil
		})
		return fmt.Errorf("port %d for %s is in use by %s; stop it or pass %s", l.port, l.what, by, l.flag)
	}
	return nil
}

// bindableBy polls until addr can be bound or the deadline passes.
func bindableBy(addr string, deadline time.Time) bool {
	for {
		if ports.Bindable(addr) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}
