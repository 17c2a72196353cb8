package kumo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/platform"
)

func newDownCommand() *cobra.Command {
	var dataDir string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the platform running at the data directory, as Ctrl-C does",
		Long: `Stop the "kumo up" running at the data directory from another shell: it is
sent SIGINT, as Ctrl-C sends, and stops every process it started; down waits
until it has exited. State stays in the data directory: "kumo up" resumes.
Nothing running there is not an error.`,
		Example: `  kumo down
  kumo down --data-dir /tmp/kumo2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			pid, err := platform.Stop(ctx, dataDir)
			if errors.Is(err, platform.ErrNotRunning) {
				_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "Nothing to stop: %v\n", err)
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w; to force it: kill -KILL %d", err, pid)
			}
			_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "Stopped Kumo at %s (PID %d)\n", dataDir, pid)
			return nil
		},
	}
	dataDirFlag(cmd.Flags(), &dataDir)
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for it to stop")
	return cmd
}
