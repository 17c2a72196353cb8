package kumo

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
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
	root.AddCommand(newUpCommand(), newKubectlCommand(), newTenantCommand(), newToolchainCommand())
	return root
}
