package kumoctl

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// Version is set at build time with -ldflags "-X .../kumoctl.Version=v0.1.0".
var Version = ""

// NewCmdVersion prints kumoctl's version.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kumoctl's version",
		Long: `Print the version of this kumoctl binary. Release builds carry their tag;
builds from source say "(devel)".`,
		Example: `  kumoctl version`,
		Args:    cmdutil.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := Version
			if v == "" {
				v = "(devel)"
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
					v = bi.Main.Version
				}
			}
			_, err := fmt.Fprintf(f.IOStreams.Out, "kumoctl %s\n", v)
			return err
		},
	}
}
