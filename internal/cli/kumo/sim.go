package kumo

import (
	"errors"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/controller/simload"
	"github.com/kumo-dev/kumo/internal/platform"
)

func newSimCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Drive the simulated cloud of a local platform",
	}
	cmd.AddCommand(newSimLoadCommand())
	return cmd
}

func newSimLoadCommand() *cobra.Command {
	var o platform.SimLoadOptions
	cmd := &cobra.Command{
		Use:   "load [--machine NAMESPACE/MACHINE | --hypervisor REGION/HYPERVISOR] --cpu CORES | --clear",
		Short: "Make a sim VM or hypervisor busy, to cause CPU steal",
		Long: `Set the CPU demand of the simulated cloud. Every sim VM asks for a share of its
vCPUs with some noise; each hypervisor shares its physical cores among what
everything on it asks for, and what a VM asks for and does not get is steal
(node_cpu_seconds_total{mode="steal"} on the manager's /metrics/nodes).

  --machine NAMESPACE/MACHINE --cpu CORES     the Machine's VM asks for CORES
                                              (at most its vCPUs), without noise
  --hypervisor REGION/HYPERVISOR --cpu CORES  the cloud's other tenants ask for
                                              CORES of that hypervisor
  --clear                                     every VM back to the default profile,
                                              no load of other tenants

A load of a VM stays with that VM: a Machine that replaces it starts at the
default. Without flags, the load in place is shown. The load is kept in the
management API (ConfigMap kumo-system/kumo-sim-load), so it outlives a restart
of the platform; the manager applies it within a second.`,
		Example: `  kumo sim load --hypervisor tokyo-1/tokyo-1-hv-003 --cpu 40
  kumo sim load --machine team-a/web-default-0 --cpu 2
  kumo sim load
  kumo sim load --clear`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set := 0
			for _, b := range []bool{o.Machine != "", o.Hypervisor != "", o.Clear} {
				if b {
					set++
				}
			}
			cpu := cmd.Flags().Changed("cpu")
			switch {
			case set > 1:
				return errors.New("give one of --machine, --hypervisor and --clear")
			case (o.Machine != "" || o.Hypervisor != "") && !cpu:
				return errors.New("--cpu CORES is required with --machine and --hypervisor")
			case cpu && o.Machine == "" && o.Hypervisor == "":
				return errors.New("--cpu needs --machine or --hypervisor to say whose load it is")
			case !(o.CPU >= 0) || math.IsInf(o.CPU, 0):
				return fmt.Errorf("--cpu %v: need a number of cores, 0 or more", o.CPU)
			}
			if !platform.Running(o.DataDir) {
				return notRunning(o.DataDir)
			}
			spec, err := platform.SetSimLoad(cmd.Context(), o)
			if err != nil {
				return err
			}
			if o.Clear {
				_, _ = fmt.Fprintln(cmd.ErrOrStderr(), "Sim load cleared: every VM follows the default profile")
				return nil
			}
			return printSimLoad(cmd.OutOrStdout(), spec)
		},
	}
	dataDirFlag(cmd.Flags(), &o.DataDir)
	cmd.Flags().StringVar(&o.Machine, "machine", "", "the Machine whose VM gets busy, NAMESPACE/MACHINE")
	cmd.Flags().StringVar(&o.Hypervisor, "hypervisor", "", "the hypervisor that gets load from outside Kumo, REGION/HYPERVISOR")
	cmd.Flags().Float64Var(&o.CPU, "cpu", 0, "CPU cores asked for")
	cmd.Flags().BoolVar(&o.Clear, "clear", false, "remove every load")
	return cmd
}

func printSimLoad(out io.Writer, s simload.Spec) error {
	if len(s.Machines) == 0 && len(s.Hypervisors) == 0 {
		_, err := fmt.Fprintln(out, "No sim load: every VM follows the default profile")
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(w, "KIND\tNAME\tVM\tCPU")
	for _, m := range s.Machines {
		_, _ = fmt.Fprintf(w, "machine\t%s/%s\t%s\t%g\n", m.Namespace, m.Machine, m.VM, m.CPU)
	}
	for _, h := range s.Hypervisors {
		_, _ = fmt.Fprintf(w, "hypervisor\t%s/%s\t-\t%g\n", h.Region, h.Hypervisor, h.CPU)
	}
	return w.Flush()
}
