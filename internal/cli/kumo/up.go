package kumo

import (
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kumo-dev/kumo/internal/platform"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

func newUpCommand() *cobra.Command {
	o := platform.Options{}
	var verbosity int
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the whole platform on this machine",
		Long: `Run the Kumo platform locally: a management etcd and kube-apiserver (TLS,
RBAC), Kumo's CRDs, two simulated regions (tokyo-1, osaka-1) and the manager,
which runs each tenant cluster's control plane as local processes and its
nodes with kwok.

All state lives in the data directory. Ctrl-C (or "kumo down" in another
shell) stops everything; running "kumo up" again resumes every cluster,
workload and VM. The first run builds the Kubernetes binaries (a few
minutes), later runs start in seconds.

The terminal shows one line per cluster event (created, Ready, scaled,
failed, deleted) and per component restart; the manager's log goes to
logs/manager.log in the data directory ("kumo logs"), and "-v 2" shows it
here too.

Tenant control planes start a few at a time (one per CPU, at least two, and
half of those for one team), so that one team's burst does not stall the
others. A control plane that would leave the host less available memory
than the reserve (--host-memory-reserve) does not start: its cluster stays
Pending, reason InsufficientHostMemory, until a cluster is deleted or memory
is freed. "kumo status" shows how many more fit.

Ports are chosen on a data directory's first run (the defaults if free, else
free ones no other platform of this machine holds) and kept in its
config.json; a port flag replaces the kept port for good. Several platforms
run side by side, each with its own data directory.

--prometheus also runs Prometheus (built from the Go module proxy on first
use, like the Kubernetes binaries) with Kumo's scrape configuration, CPU
steal and allocation rules and alerts (deploy/prometheus), on 127.0.0.1; its
time series live in the data directory. It serves its HTTP API, not a web
UI (docs/monitoring.md).`,
		Example: `  # run with state in ~/.kumo
  kumo up

  # a second, separate platform: its ports are chosen so as not to clash
  kumo up --data-dir /tmp/kumo2

  # fixed ports, kept for later runs of this data directory
  kumo up --data-dir /tmp/kumo3 --apiserver-port 7443 --etcd-port 24790

  # leave 4 GiB to the rest of the machine, now and on later runs
  kumo up --host-memory-reserve 4Gi

  # with Prometheus, its rules and alerts
  kumo up --prometheus`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logPath := platform.ManagerLogPath(o.DataDir)
			if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
				return err
			}
			logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return err
			}
			defer func() { _ = logFile.Close() }()
			var w io.Writer = logFile
			if verbosity > 0 {
				w = io.MultiWriter(logFile, cmd.ErrOrStderr())
			}
			log := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(verbosity), textlogger.Output(w)))
			ctrl.SetLogger(log)
			klog.SetLogger(log)
			o.Out = cmd.OutOrStdout()
			o.Log = log
			o.Command = self
			return platform.Up(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	dataDirFlag(f, &o.DataDir)
	f.StringVar(&o.CacheDir, "cache-dir", toolchain.DefaultDir(), "directory for built binaries ($KUMO_CACHE_DIR)")
	f.StringVar(&o.DefaultKubernetes, "default-kubernetes", "", "the Kubernetes version a fresh catalog gives new clusters that name none, e.g. 1.36 (default: the newest; an operator's later choice is kept)")
	f.IntVar(&o.APIServerPort, "apiserver-port", 0, "management API server port (default: 6443 or a free port, kept across restarts)")
	f.IntVar(&o.EtcdPort, "etcd-port", 0, "management etcd client port (default: 23790 or a free port, kept across restarts)")
	f.IntVar(&o.EtcdPeerPort, "etcd-peer-port", 0, "management etcd peer port (default: 23800 or a free port, kept across restarts)")
	f.StringVar(&o.MetricsAddr, "metrics-bind-address", "", `manager metrics address (default: 127.0.0.1:23810 or a free port, kept across restarts; "0" disables)`)
	f.StringVar(&o.HealthAddr, "health-probe-bind-address", "", `manager /healthz and /readyz address (default: 127.0.0.1:23811 or a free port, kept across restarts; "0" disables)`)
	f.StringVar(&o.PprofAddr, "pprof-bind-address", "", `serve the manager's Go profiles (/debug/pprof) on this address, e.g. 127.0.0.1:6060 (default: off)`)
	f.IntVar(&o.WebhookPort, "webhook-port", 0, "port of the manager's admission webhook, which checks team quotas (default: 23812 or a free port, kept across restarts)")
	f.StringVar(&o.HostMemoryReserve, "host-memory-reserve", "", `host memory tenant control planes leave available, a size ("2Gi") or a share of the host's ("10%"); a cluster that would go past it stays Pending (default: 10%, kept across restarts)`)
	f.Int64Var(&o.EtcdQuotaBytes, "etcd-quota-backend-bytes", 0, "size past which the management etcd raises its NOSPACE alarm and refuses writes (default: 8 GiB, kept across restarts)")
	f.DurationVar(&o.VMBootDelay, "vm-boot-delay", 300*time.Millisecond, "how long a simulated VM takes to boot")
	f.StringVar(&o.Fidelity, "fidelity", "", `"full": tenant clusters run as processes with kwok nodes; "scale": no processes, for fleet benchmarks (default: full, kept across restarts)`)
	f.BoolVar(&o.Prometheus, "prometheus", false, "run Prometheus "+toolchain.PrometheusVersion()+" with Kumo's scrape configuration, rules and alerts (deploy/prometheus)")
	f.IntVar(&o.PrometheusPort, "prometheus-port", 0, "Prometheus's port on 127.0.0.1 (default: 23813 or a free port, kept across restarts)")
	f.DurationVar(&o.PrometheusInterval, "prometheus-interval", 0, "Prometheus's scrape and rule evaluation interval (default: 15s, as in deploy/prometheus/prometheus.yml)")
	f.IntVarP(&verbosity, "v", "v", 0, "log verbosity; above 0 the manager's log is shown here too")
	return cmd
}
