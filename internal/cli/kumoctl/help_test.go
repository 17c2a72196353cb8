package kumoctl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// TestHelp compares every command's --help with testdata/help/<path>.golden;
// `go test ./internal/cli/... -update` rewrites them.
func TestHelp(t *testing.T) {
	dir := filepath.Join("testdata", "help")
	want := map[string]bool{}
	for _, c := range tree(cmdtest.New(t)) {
		if cobraOwned(c) {
			continue
		}
		path := c.CommandPath()
		file := strings.ReplaceAll(path, " ", "_") + ".golden"
		want[file] = true
		t.Run(path, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			args := append(strings.Fields(path)[1:], "--help")
			g.Expect(run(env, args...)).To(Succeed())
			g.Expect(env.ErrOut.String()).To(BeEmpty())
			cmdtest.Golden(t, filepath.Join(dir, file), env.Out.String())
		})
	}

	// A golden file without its command is left over from a removed or
	// renamed command.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if want[e.Name()] {
			continue
		}
		if *cmdtest.Update {
			_ = os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		t.Errorf("%s has no command; remove it, or run `go test ./internal/cli/... -update`", filepath.Join(dir, e.Name()))
	}
}

// TestCommandsAreDocumented fails for a command without a one-line Short,
// a Long and an Example, so that `kumoctl help` stays useful.
func TestCommandsAreDocumented(t *testing.T) {
	for _, c := range tree(cmdtest.New(t)) {
		if cobraOwned(c) {
			continue
		}
		path := c.CommandPath()
		t.Run(path, func(t *testing.T) {
			g := NewWithT(t)
			var missing []string
			for _, field := range []struct{ name, value string }{{"Short", c.Short}, {"Long", c.Long}, {"Example", c.Example}} {
				if strings.TrimSpace(field.value) == "" {
					missing = append(missing, field.name)
				}
			}
			g.Expect(missing).To(BeEmpty(), "%s lacks %s", path, strings.Join(missing, " and "))
			g.Expect(c.Short).NotTo(ContainSubstring("\n"), "Short is one line")
			g.Expect(c.Short).NotTo(HaveSuffix("."), "Short has no final period")
			for _, line := range strings.Split(c.Example, "\n") {
				if line != "" {
					g.Expect(line).To(HavePrefix("  "), "Example lines are indented by two spaces")
				}
			}
		})
	}
}

// TestFlagUsages checks what `--help` shows of each flag.
func TestFlagUsages(t *testing.T) {
	for _, c := range tree(cmdtest.New(t)) {
		c.LocalNonPersistentFlags().VisitAll(func(fl *pflag.Flag) {
			name := c.CommandPath() + " --" + fl.Name
			t.Run(name, func(t *testing.T) {
				g := NewWithT(t)
				g.Expect(fl.Usage).NotTo(BeEmpty())
				// pflag shows a backquoted word as the value's name.
				g.Expect(fl.Usage).NotTo(MatchRegexp("`.*`"), "quote commands with words, not backquotes")
			})
		})
	}
}

// TestExamplesParse checks that every `kumoctl ...` line of every Example
// names a command, flags it has, and the arguments it takes.
func TestExamplesParse(t *testing.T) {
	for _, c := range tree(cmdtest.New(t)) {
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "kumoctl ") {
				continue
			}
			t.Run(line, func(t *testing.T) {
				g := NewWithT(t)
				line, _, _ = strings.Cut(line, "|") // the rest is jq and friends
				args := strings.Fields(line)[1:]
				root := tree(cmdtest.New(t))[0]
				cmd, rest, err := root.Find(args)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(cmd.ParseFlags(rest)).To(Succeed())
				g.Expect(cmd.ValidateArgs(cmd.Flags().Args())).To(Succeed())
				g.Expect(cmd.ValidateRequiredFlags()).To(Succeed())
			})
		}
	}
}
