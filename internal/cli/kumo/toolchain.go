package kumo

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/toolchain"
)

func newToolchainCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "toolchain",
		Short: "Build and locate the Kubernetes binaries Kumo runs",
		Long: `Kumo runs real etcd, kube-apiserver, kube-controller-manager and
kube-scheduler, and offers kubectl ("kumo kubectl"). They are built once per
version from the Go module proxy and cached (default: the user's cache
directory, or $KUMO_CACHE_DIR). kwok, which plays the simulated nodes'
kubelets, is linked into kumo itself. Prometheus and promtool ("kumo up
--prometheus", the rules' tests) are built the same way, only when asked for.`,
	}
	cmd.PersistentFlags().StringVar(&dir, "cache-dir", toolchain.DefaultDir(), "where built binaries are cached")

	var versions []string
	var binary string
	var kubectl, prometheus, allKubernetes bool
	build := &cobra.Command{
		Use:   "build",
		Short: "Build every binary Kumo needs (skips what is cached)",
		Example: `  # build etcd and the default Kubernetes version's servers
  kumo toolchain build

  # kubectl too, and an older Kubernetes for upgrade tests
  kumo toolchain build --kubectl --kubernetes 1.36 --kubernetes 1.35

  # Prometheus and promtool too, for "kumo up --prometheus"
  kumo toolchain build --prometheus

  # every Kubernetes version new clusters may run (what make run builds)
  kumo toolchain build --all-kubernetes`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tc := toolchain.New(dir, cmd.ErrOrStderr())
			ctx := cmd.Context()
			if allKubernetes {
				versions = toolchain.Versions()
			}
			for _, v := range versions {
				if _, err := tc.All(ctx, v); err != nil {
					return err
				}
				if kubectl {
					if _, err := tc.Kubectl(ctx, v); err != nil {
						return err
					}
				}
			}
			if prometheus {
				if _, err := tc.Prometheus(ctx); err != nil {
					return err
				}
			}
			return nil
		},
	}
	build.Flags().StringSliceVar(&versions, "kubernetes", []string{toolchain.PlatformVersion()}, "Kubernetes versions to build (default: the one the platform runs; tenants' others are built when first used)")
	build.Flags().BoolVar(&kubectl, "kubectl", false, "build kubectl too")
	build.Flags().BoolVar(&allKubernetes, "all-kubernetes", false, "build every Kubernetes version Kumo offers (instead of --kubernetes), so that no first cluster of a version waits for its build")
	build.Flags().BoolVar(&prometheus, "prometheus", false, "build Prometheus "+toolchain.PrometheusVersion()+" and promtool too")

	path := &cobra.Command{
		Use:   "path",
		Short: "Print the directories holding the built binaries (building what is missing)",
		Example: `  # run the built kubectl
  $(kumo toolchain path --binary kubectl) get nodes`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tc := toolchain.New(dir, cmd.ErrOrStderr())
			ctx := cmd.Context()
			b, err := tc.All(ctx, toolchain.PlatformVersion())
			if err != nil {
				return err
			}
			kube := b.KubernetesBinaries
			paths := map[string]string{"etcd": b.Etcd, "kube-apiserver": kube.APIServer,
				"kube-controller-manager": kube.ControllerManager, "kube-scheduler": kube.Scheduler}
			names := []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}
			switch binary {
			case "kubectl":
				if paths["kubectl"], err = tc.Kubectl(ctx, toolchain.PlatformVersion()); err != nil {
					return err
				}
			case "prometheus", "promtool":
				prom, err := tc.Prometheus(ctx)
				if err != nil {
					return err
				}
				paths["prometheus"], paths["promtool"] = prom.Prometheus, prom.Promtool
			}
			if binary != "" {
				p, ok := paths[binary]
				if !ok {
					return fmt.Errorf("unknown binary %q; one of etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, prometheus, promtool", binary)
				}
				_, _ = fmt.Fprintln(cmd.OutOrStdout(), p)
				return nil
			}
			for _, k := range names {
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", k, paths[k])
			}
			return nil
		},
	}
	path.Flags().StringVar(&binary, "binary", "", "print the path of one binary only")
	cmd.AddCommand(build, path)
	return cmd
}
