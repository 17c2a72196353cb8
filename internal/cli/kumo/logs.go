package kumo

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/platform"
)

type logsOptions struct {
	DataDir string
	Follow  bool
	// Tail is how many lines to print from the end; negative prints all.
	Tail int
	// Cluster and Component name the log; both "" is the manager's.
	Cluster, Component string
	// Poll is how often --follow looks for new lines.
	Poll time.Duration
}

func newLogsCommand() *cobra.Command {
	o := &logsOptions{Poll: 200 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "logs [CLUSTER] [COMPONENT]",
		Short: "Print a log of the manager, a management component or a tenant cluster",
		Long: `Print a log of the platform in the data directory, running or stopped.

Without arguments: the manager's (Kumo's controllers). With one of manager,
etcd, kube-apiserver or kube-controller-manager: that component of the
management plane. Otherwise CLUSTER is a tenant cluster, as NAMESPACE/NAME, or
as NAME when only one namespace has a cluster of that name, and COMPONENT one
of its control plane's: kube-apiserver (the default), kube-controller-manager
or kube-scheduler, or kwok (which plays its nodes' kubelets inside kumo).
Tenant clusters keep their state in the management etcd.`,
		Example: `  # follow the manager's log
  kumo logs -f

  # the management API server's last 50 lines
  kumo logs kube-apiserver --tail 50

  # a tenant cluster's scheduler
  kumo logs team-a/demo kube-scheduler`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 1 && slices.Contains(platform.ManagementComponents, args[0]):
				o.Component = args[0]
			case len(args) >= 1:
				o.Cluster = args[0]
				if len(args) == 2 {
					o.Component = args[1]
				}
			}
			return logsRun(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	dataDirFlag(cmd.Flags(), &o.DataDir)
	cmd.Flags().BoolVarP(&o.Follow, "follow", "f", false, "keep printing lines as they are written, until interrupted")
	cmd.Flags().IntVar(&o.Tail, "tail", -1, "print only this many lines from the end (-1: all)")
	return cmd
}

func logsRun(ctx context.Context, o *logsOptions, out io.Writer) error {
	path, err := platform.LogFile(o.DataDir, o.Cluster, o.Component)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if err := printTail(f, out, o.Tail); err != nil {
		return err
	}
	if !o.Follow {
		return nil
	}
	return follow(ctx, f, path, out, o.Poll)
}

// printTail copies r to out, only the last n lines if n >= 0.
func printTail(r io.Reader, out io.Writer, n int) error {
	if n < 0 {
		_, err := io.Copy(out, r)
		return err
	}
	var last [][]byte
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		last = append(last, bytes.Clone(sc.Bytes()))
		if len(last) > n {
			last = last[1:]
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, l := range last {
		if _, err := fmt.Fprintf(out, "%s\n", l); err != nil {
			return err
		}
	}
	return nil
}

// follow prints what is appended to f until ctx ends. A file that shrank
// (truncated, or replaced) is read again from its start.
func follow(ctx context.Context, f *os.File, path string, out io.Writer, poll time.Duration) error {
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		if _, err := io.Copy(out, f); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		pos, _ := f.Seek(0, io.SeekCurrent)
		if st, err := os.Stat(path); err == nil && st.Size() < pos {
			nf, err := os.Open(path)
			if err != nil {
				return err
			}
			_ = f.Close()
			f = nf
		}
	}
}
