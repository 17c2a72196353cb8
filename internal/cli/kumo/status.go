package kumo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/controlplane"
	"github.com/kumo-dev/kumo/internal/platform"
)

func newStatusCommand() *cobra.Command {
	var dataDir, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether a platform runs at the data directory, its ports and its clusters",
		Long: `Say whether a "kumo up" runs at the data directory, with its process ID,
ports, kubeconfig and log directory, and list the tenant clusters by phase.
It exits 0 whether or not a platform runs; "-o json" says so in "running".`,
		Example: `  kumo status
  kumo status --data-dir /tmp/kumo2 -o json | jq .clusters`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "" && output != "json" {
				return fmt.Errorf("unknown output format %q; only json", output)
			}
			return statusRun(cmd.Context(), dataDir, output, cmd.OutOrStdout())
		},
	}
	dataDirFlag(cmd.Flags(), &dataDir)
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json")
	return cmd
}

func statusRun(ctx context.Context, dataDir, output string, out io.Writer) error {
	s, err := platform.Inspect(ctx, dataDir)
	if err != nil {
		return err
	}
	if output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	if !s.Running {
		_, err := fmt.Fprintf(out, "No Kumo platform is running at %s.\nStart one with: %s\n", dataDir, withDataDir("up", dataDir))
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintf(w, "Kumo is running at %s (PID %d)\n", dataDir, s.PID)
	if c := s.Config; c != nil {
		_, _ = fmt.Fprintf(w, "  API server\t%s\n", s.APIServer)
		_, _ = fmt.Fprintf(w, "  etcd\thttp://127.0.0.1:%d (peers: %d)\n", c.EtcdPort, c.EtcdPeerPort)
		_, _ = fmt.Fprintf(w, "  metrics\t%s\n", c.MetricsBindAddress)
		_, _ = fmt.Fprintf(w, "  health probes\t%s\n", c.HealthProbeBindAddress)
	}
	if s.Prometheus != "" {
		_, _ = fmt.Fprintf(w, "  Prometheus\t%s\n", s.Prometheus)
	}
	if s.Kubeconfig != "" {
		_, _ = fmt.Fprintf(w, "  kubeconfig\t%s\n", s.Kubeconfig)
	}
	_, _ = fmt.Fprintf(w, "  logs\t%s\n", s.Logs)
	if err := w.Flush(); err != nil {
		return err
	}
	if s.EtcdProblem != "" {
		_, _ = fmt.Fprintf(out, "\netcd: %s\n", s.EtcdProblem)
	}
	if s.ClustersError != "" {
		_, err := fmt.Fprintf(out, "\nClusters: unknown (%s)\n", s.ClustersError)
		return err
	}
	cp := s.ControlPlanes
	line := fmt.Sprintf("\nControl planes: %d running, %d starting", cp.Running, cp.Starting)
	if cp.Pending > 0 {
		line += fmt.Sprintf(", %d pending (not enough host memory)", cp.Pending)
	}
	if cp.Unhealthy > 0 {
		line += fmt.Sprintf(", %d unhealthy (a component failed and is restarted; see kumoctl cluster describe)", cp.Unhealthy)
	}
	_, _ = fmt.Fprintln(out, line)
	if h := s.Host; h != nil {
		_, _ = fmt.Fprintf(out, "Host memory: %s of %s available, %s kept in reserve (%s): room for about %d more (%s each)\n",
			controlplane.HumanBytes(h.MemoryAvailable), controlplane.HumanBytes(h.MemoryTotal), controlplane.HumanBytes(h.MemoryReserve),
			h.Reserve, h.Room, controlplane.HumanBytes(h.PerControlPlane))
	}
	if len(s.Clusters) == 0 {
		_, err := fmt.Fprintln(out, "\nClusters: none")
		return err
	}
	var phases []string
	count := map[string]int{}
	for _, c := range s.Clusters {
		if count[c.Phase] == 0 {
			phases = append(phases, c.Phase)
		}
		count[c.Phase]++
	}
	var summary []string
	for _, p := range phases {
		summary = append(summary, fmt.Sprintf("%d %s", count[p], p))
	}
	_, _ = fmt.Fprintf(out, "\nClusters: %s\n", strings.Join(summary, ", "))
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "  PHASE\tCLUSTER\tVERSION\tNODES\tAPI")
	for _, c := range s.Clusters {
		_, _ = fmt.Fprintf(w, "  %s\t%s/%s\t%s\t%s\t%s\n", c.Phase, c.Namespace, c.Name, c.Version, c.Nodes, c.Endpoint)
	}
	return w.Flush()
}
