package kumoctl_test

import (
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// TestTables compares what commands print about cmdtest.World with
// testdata/tables/<command line>.golden.
func TestTables(t *testing.T) {
	for _, line := range []string{
		"cluster list",
		"cluster list -A -o wide",
		"cluster get demo -o wide",
		"cluster describe demo",
		"cluster describe batch",
		"nodepool list demo",
		"nodepool list demo -o json",
		"nodepool list demo -o yaml",
		"regions",
		"regions -o wide",
		"versions",
		"quota",
	} {
		t.Run(line, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			g.Expect(run(env, strings.Fields(line)...)).To(Succeed())
			g.Expect(env.ErrOut.String()).To(BeEmpty())
			file := strings.NewReplacer(" ", "_", "-", "").Replace(line) + ".golden"
			cmdtest.Golden(t, filepath.Join("testdata", "tables", file), env.Out.String())
		})
	}
}
