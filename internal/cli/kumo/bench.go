package kumo

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kumo-dev/kumo/internal/bench/fleet"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

func newBenchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the platform",
		Long:  `Benchmarks that start their own platform, drive it through the API and report what it cost. Results of record are in docs/benchmarks.md.`,
	}
	cmd.AddCommand(newBenchFleetCommand(), newBenchTenantsCommand())
	return cmd
}

// benchSetup quiets the logs of the bench's own clients, which have nothing
// to say that its output does not, and returns the kumo binary that runs
// the benchmark platform: this one.
func benchSetup() (string, error) {
	ctrl.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
	return os.Executable()
}

func newBenchFleetCommand() *cobra.Command {
	o := fleet.Options{}
	var sizes, output, plot string
	var from []string
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Measure one manager against a fleet of clusters (scale fidelity)",
		Long: `Start a fresh platform at the scale fidelity level (kumo up --fidelity scale:
the manager, its controllers, caches and the sim cloud are real; tenant
clusters have no processes and their nodes live in memory), create a fleet
through the API in bursts across many team namespaces, and report:

  clusters, machines          the fleet's size
  allReadySeconds             from the first create until every cluster is Ready
  createsPerSecond            creates the API accepted per second
  specToStatusP50/P99Seconds  a single cluster scaled by one, at full fleet size,
                              until its status shows the new node Ready
  managerPeakRSSBytes         the manager process's peak resident memory
  managerIdleCPUPercent       its CPU while nothing changes (percent of a core)
  idleAPIRequestsPerSecond    its requests to the API server while nothing changes
  fleetEventSeconds           every cluster's pool scaled by one at once
  etcdDBSizeBytes             the management etcd's database size

Results go to stdout (-o json or table); progress to stderr. With several
sizes (--clusters 100,400,1400) each runs on a fresh platform, the output is
a list, and --plot writes an SVG of time and memory against fleet size.`,
		Example: `  # a quick look
  kumo bench fleet --clusters 50 --nodes-per-cluster 10

  # the scaling curve recorded in docs/benchmarks.md
  kumo bench fleet --clusters 100,400,1400 --nodes-per-cluster 40 --regions 4 -o json --plot docs/fleet-scaling.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(output, cmdutil.OutputJSON, "table"); err != nil {
				return err
			}
			counts, err := parseSizes(sizes)
			if err != nil {
				return err
			}
			if o.Kumo, err = benchSetup(); err != nil {
				return err
			}
			o.Progress = cmd.ErrOrStderr()
			var results []fleet.Result
			for _, f := range from {
				rs, err := readResults(f)
				if err != nil {
					return err
				}
				results = append(results, rs...)
			}
			if len(from) > 0 {
				counts = nil // plot and print what earlier runs measured
			}
			for _, n := range counts {
				run := o
				run.Clusters = n
				res, err := fleet.Run(cmd.Context(), run)
				if err != nil {
					return err
				}
				results = append(results, *res)
			}
			if plot != "" {
				f, err := os.Create(plot)
				if err != nil {
					return err
				}
				if err := fleet.Plot(f, results); err != nil {
					_ = f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "Wrote %s\n", plot)
			}
			out := cmd.OutOrStdout()
			if output == cmdutil.OutputJSON {
				if len(results) == 1 {
					return cmdutil.PrintStructured(out, output, results[0])
				}
				return cmdutil.PrintStructured(out, output, results)
			}
			t := cmdutil.NewTable(out, "CLUSTERS", "MACHINES", "ALL-READY", "CREATES/S", "SPEC->STATUS P50", "P99", "PEAK-RSS", "IDLE-CPU", "IDLE-REQ/S", "FLEET-EVENT", "ETCD-DB")
			for _, r := range results {
				t.Row(strconv.Itoa(r.Clusters), strconv.Itoa(r.Machines), secs(r.AllReadySeconds), fmt.Sprintf("%.1f", r.CreatesPerSecond),
					secs(r.SpecToStatusP50Seconds), secs(r.SpecToStatusP99Seconds), mib(r.ManagerPeakRSSBytes),
					fmt.Sprintf("%.1f%%", r.ManagerIdleCPUPercent), fmt.Sprintf("%.2f", r.IdleAPIRequestsPerSecond),
					secs(r.FleetEventSeconds), mib(r.EtcdDBSizeBytes))
			}
			return t.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&sizes, "clusters", "100", "fleet size; a comma-separated list runs each size on a fresh platform")
	f.IntVar(&o.NodesPerCluster, "nodes-per-cluster", 40, "nodes (machines) of each cluster")
	f.IntVar(&o.Regions, "regions", 2, "sim regions the fleet is spread over")
	f.IntVar(&o.Burst, "burst", 50, "creates and scales sent at once")
	f.IntVar(&o.Samples, "samples", 30, "single clusters scaled to time spec to status")
	f.DurationVar(&o.Idle, "idle", 30*time.Second, "how long the idle fleet is watched")
	f.StringVar(&o.DataDir, "data-dir", "", "the benchmark platform's data directory (default: a temporary one, removed afterwards)")
	f.BoolVar(&o.Keep, "keep", false, "keep the temporary data directory (its logs) afterwards")
	f.StringVarP(&output, "output", "o", "table", "output format: json or table")
	f.StringSliceVar(&from, "from", nil, "instead of running, read results that an earlier -o json printed (one result or a list per file)")
	f.StringVar(&plot, "plot", "", "write an SVG of time and memory against fleet size to this file")
	return cmd
}

// readResults reads what `kumo bench fleet -o json` printed: one result
// or a list of them.
func readResults(path string) ([]fleet.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list []fleet.Result
	if err := json.Unmarshal(data, &list); err == nil {
		return list, nil
	}
	var one fleet.Result
	if err := json.Unmarshal(data, &one); err != nil {
		return nil, fmt.Errorf("reading %s: not the JSON of kumo bench fleet: %w", path, err)
	}
	return []fleet.Result{one}, nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, cmdutil.UsageError("--clusters takes positive numbers separated by commas, e.g. 100,400,1400; got %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func secs(s float64) string { return fmt.Sprintf("%.1fs", s) }

func mib(b int64) string { return fmt.Sprintf("%dMi", b>>20) }
