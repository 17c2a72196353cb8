package cmdutil

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ExactArgs requires exactly n positional arguments, naming them in the error.
func ExactArgs(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		if len(args) < n {
			return UsageError("missing %s; usage: %s", strings.Join(names[len(args):], " and "), cmd.UseLine())
		}
		return UsageError("too many arguments %q; usage: %s", args[n:], cmd.UseLine())
	}
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageError("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// AddWaitFlags registers --wait and --timeout.
func AddWaitFlags(cmd *cobra.Command, o *WaitOptions, timeout time.Duration) {
	cmd.Flags().BoolVarP(&o.Wait, "wait", "w", false, "wait until the operation has finished, showing progress")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", timeout, "how long --wait waits before giving up (the operation goes on)")
}

// ValidateName checks a DNS label such as a cluster or pool name.
func ValidateName(kind, name string, maxLen int) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return UsageError("invalid %s name %q: %s", kind, name, strings.Join(errs, "; "))
	}
	if len(name) > maxLen {
		return UsageError("invalid %s name %q: at most %d characters", kind, name, maxLen)
	}
	return nil
}
