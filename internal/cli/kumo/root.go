package kumo

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kumo-dev/kumo/internal/platform"
)

// Execute runs the kumo command and returns the process exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := NewRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
	return 0
}

// NewRootCommand builds the kumo command tree.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "kumo",
		Short: "Kumo runs a private Kubernetes-as-a-Service platform",
		Long: `Kumo gives application teams self-service Kubernetes clusters on your own
clouds. "kumo up" runs the whole platform on this machine: a management API
server, the Kumo controllers and a simulated private cloud. Tenants then use
kumoctl (or kubectl) against the management API.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newUpCommand(), newStatusCommand(), newLogsCommand(), newDownCommand(),
		newKubectlCommand(), newTenantCommand(), newSimCommand(), newToolchainCommand(), newBenchCommand(), newEtcdCommand())
	return root
}

// dataDirFlag adds --data-dir, which every command that works with a
// platform takes.
func dataDirFlag(fs *pflag.FlagSet, dir *string) {
	fs.StringVar(dir, "data-dir", platform.DefaultDataDir(), "data directory of the platform ($KUMO_DATA_DIR)")
}

// self is how the user ran kumo ("bin/kumo", "kumo"), so that the commands
// kumo prints run as typed.
var self = platform.ShellQuote(os.Args[0])

// sibling is how to run another of Kumo's commands, e.g. kumoctl: beside
// kumo when kumo was run by its path and the command is there, else by name.
func sibling(name string) string {
	if strings.Contains(os.Args[0], "/") {
		path := filepath.Join(filepath.Dir(os.Args[0]), name)
		if _, err := os.Stat(path); err == nil {
			return platform.ShellQuote(path)
		}
	}
	return name
}

// withDataDir is a kumo command line for dataDir: it names the directory
// unless it is the default one.
func withDataDir(command, dataDir string) string {
	line := self + " " + command
	if dataDir != platform.DefaultDataDir() {
		line += " --data-dir " + platform.ShellQuote(dataDir)
	}
	return line
}

// notRunning is the error of a command that needs a running platform.
func notRunning(dataDir string) error {
	return fmt.Errorf(`no Kumo platform is running at %s
Start one with %q, or point at a running one with
--data-dir DIR, KUMO_DATA_DIR=DIR, or the "export KUBECONFIG=..." line "kumo up" printed`, dataDir, withDataDir("up", dataDir))
}
