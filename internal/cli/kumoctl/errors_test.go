package kumoctl_test

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// TestExitCodes runs whole command lines against cmdtest.World and checks
// the exit code and the message people see.
func TestExitCodes(t *testing.T) {
	tests := map[string]struct {
		line    string // the command line, after `kumoctl`
		code    int    // the exit code
		message string // part of the error, or of stderr on success
	}{
		"unknown cluster, close names": {
			line: "cluster get dmeo", code: cmdutil.ExitNotFound,
			message: `cluster "dmeo" not found in namespace "team-a"; did you mean "demo"?`,
		},
		"unknown cluster, nothing close": {
			line: "cluster describe production", code: cmdutil.ExitNotFound,
			message: `cluster "production" not found in namespace "team-a"`,
		},
		"unknown cluster of a node pool": {
			line: "nodepool list bach", code: cmdutil.ExitNotFound, message: `did you mean "batch"?`,
		},
		"unknown pool": {
			line: "nodepool scale demo gpus --nodes 2", code: cmdutil.ExitNotFound,
			message: `cluster demo has no node pool "gpus"; pools: default, gpu`,
		},
		"deleting an unknown pool is nothing to delete": {
			line: "nodepool delete demo gpus --yes", message: "Node pool gpus does not exist in cluster demo (nothing to delete)",
		},
		"adding the same pool again": {
			line: "nodepool add demo gpu --nodes 1 --flavor g1.large", message: "(unchanged)",
		},
		"adding a pool whose name is taken": {
			line: "nodepool add demo gpu --nodes 3 --flavor g1.large", code: cmdutil.ExitUsage, message: `already has a node pool "gpu"`,
		},
		"a full region": {
			line: "nodepool scale batch default --nodes 6", code: cmdutil.ExitFailed, message: "region osaka-1 is full",
		},
		"kubeconfig of a cluster that is not ready": {
			line: "kubeconfig batch", code: cmdutil.ExitError, message: "cluster batch in team-a is not ready yet (Provisioning)",
		},
		"use a cluster that is not ready": {
			line: "use batch", code: cmdutil.ExitError, message: "is not ready yet",
		},
		"kubeconfig of an unknown cluster": {
			line: "kubeconfig deom", code: cmdutil.ExitNotFound, message: `did you mean "demo"?`,
		},
		"unknown output format": {
			line: "regions -o name", code: cmdutil.ExitUsage, message: `unknown output format "name"`,
		},
		"unknown flag": {
			line: "versions --all", code: cmdutil.ExitUsage, message: "unknown flag: --all",
		},
		"missing argument": {
			line: "nodepool add demo --nodes 1", code: cmdutil.ExitUsage, message: "missing POOL; usage: kumoctl nodepool add CLUSTER POOL",
		},
		"unknown subcommand": {
			line: "nodepool delte demo gpu", code: cmdutil.ExitUsage, message: `unknown command "delte" for "kumoctl nodepool"; did you mean delete?`,
		},
		"unknown command": {
			line: "regoins", code: cmdutil.ExitUsage, message: `unknown command "regoins" for "kumoctl"`,
		},
		"unknown cluster subcommand": {
			line: "cluster delte demo", code: cmdutil.ExitUsage, message: `unknown command "delte" for "kumoctl cluster"`,
		},
		"missing required flag": {
			line: "nodepool add demo batch", code: cmdutil.ExitUsage, message: "--nodes is required",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			err := run(env, strings.Fields(tc.line)...)
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code), "error: %v", err)
			if err != nil {
				g.Expect(err.Error()).To(ContainSubstring(tc.message))
			} else {
				g.Expect(env.ErrOut.String()).To(ContainSubstring(tc.message))
			}
		})
	}
}
