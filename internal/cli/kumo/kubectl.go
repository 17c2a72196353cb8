package kumo

import (
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/platform"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

func newKubectlCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kubectl [args...]",
		Short: "Run the kubectl Kumo built, against the management API by default",
		Long: `Run kubectl (built from source with the platform's Kubernetes version). Unless
KUBECONFIG is set, it talks to the management API of the local "kumo up".`,
		Example: `  kumo kubectl get regions
  kumo kubectl get clusters -A -w`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			kubectl, err := toolchain.New(toolchain.DefaultDir(), cmd.ErrOrStderr()).Kubectl(cmd.Context(), toolchain.DefaultVersion())
			if err != nil {
				return err
			}
			env := os.Environ()
			if os.Getenv("KUBECONFIG") == "" {
				env = append(env, "KUBECONFIG="+platform.KubeconfigPath(defaultDataDir()))
			}
			// Replace this process so exit codes and signals pass straight through.
			return syscall.Exec(kubectl, append([]string{"kubectl"}, args...), env)
		},
	}
}
