package kumo

import (
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

// defaultDataDir is ~/.kumo, or $KUMO_DATA_DIR.
func defaultDataDir() string {
	if d := os.Getenv("KUMO_DATA_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".kumo"
	}
	return filepath.Join(home, ".kumo")
}

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

All state lives in the data directory. Ctrl-C stops everything; running
"kumo up" again resumes every cluster, workload and VM. The first run builds
the Kubernetes binaries (a few minutes), later runs start in seconds.`,
		Example: `  # run with state in ~/.kumo
  kumo up

  # a second, separate platform
  kumo up --data-dir /tmp/kumo2 --apiserver-port 7443 --etcd-port 24790`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(verbosity), textlogger.Output(cmd.ErrOrStderr())))
			ctrl.SetLogger(log)
			klog.SetLogger(log)
			o.Out = cmd.OutOrStdout()
			o.Log = log
			return platform.Up(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DataDir, "data-dir", defaultDataDir(), "directory for all platform state ($KUMO_DATA_DIR)")
	f.StringVar(&o.CacheDir, "cache-dir", toolchain.DefaultDir(), "directory for built binaries ($KUMO_CACHE_DIR)")
	f.IntVar(&o.APIServerPort, "apiserver-port", 0, "management API server port (default: 6443, or a free port, kept across restarts)")
	f.IntVar(&o.EtcdPort, "etcd-port", 0, "management etcd port (default: 23790, or a free port, kept across restarts)")
	f.StringVar(&o.MetricsAddr, "metrics-bind-address", "127.0.0.1:8080", `manager metrics address ("0" disables)`)
	f.StringVar(&o.HealthAddr, "health-probe-bind-address", "127.0.0.1:8081", `manager /healthz and /readyz address ("0" disables)`)
	f.DurationVar(&o.VMBootDelay, "vm-boot-delay", 300*time.Millisecond, "how long a simulated VM takes to boot")
	f.IntVar(&verbosity, "v", 0, "log verbosity")
	return cmd
}
