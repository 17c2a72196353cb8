package kumo

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/platform"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

func newKubectlCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kubectl [--data-dir DIR] [args...]",
		Short: "Run the kubectl Kumo built, against the management API by default",
		Long: `Run kubectl (built from source with the platform's Kubernetes version) against
the management API of the platform in the data directory: --data-dir, given
first, else $KUBECONFIG if set, else $KUMO_DATA_DIR or ~/.kumo. Everything
after --data-dir goes to kubectl ("kumo kubectl --help" is kubectl's help).`,
		Example: `  kumo kubectl get regions
  kumo kubectl get clusters -A -w

  # the platform of another data directory
  kumo kubectl --data-dir /tmp/kumo2 get clusters`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			dataDir, args, err := splitDataDir(args)
			if err != nil {
				return err
			}
			env := os.Environ()
			if dataDir != "" || os.Getenv("KUBECONFIG") == "" {
				if dataDir == "" {
					dataDir = platform.DefaultDataDir()
				}
				if !platform.Running(dataDir) {
					return notRunning(dataDir)
				}
				env = setEnv(env, "KUBECONFIG", platform.KubeconfigPath(dataDir))
			}
			kubectl, err := toolchain.New(toolchain.DefaultDir(), cmd.ErrOrStderr()).Kubectl(cmd.Context(), toolchain.PlatformVersion())
			if err != nil {
				return err
			}
			// Replace this process so exit codes and signals pass straight through.
			return syscall.Exec(kubectl, append([]string{"kubectl"}, args...), env)
		},
	}
}

// splitDataDir takes a leading --data-dir DIR or --data-dir=DIR off args;
// the rest are kubectl's.
func splitDataDir(args []string) (dataDir string, rest []string, err error) {
	if len(args) == 0 {
		return "", args, nil
	}
	if dir, ok := strings.CutPrefix(args[0], "--data-dir="); ok {
		if dir == "" {
			return "", nil, errors.New("--data-dir needs a directory")
		}
		return dir, args[1:], nil
	}
	if args[0] == "--data-dir" {
		if len(args) < 2 || args[1] == "" {
			return "", nil, errors.New("--data-dir needs a directory")
		}
		return args[1], args[2:], nil
	}
	return "", args, nil
}

// setEnv sets key in env, dropping any value it had: a program sees the
// first of duplicate entries.
func setEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}
