// Package docs holds the project's documentation; its test keeps the
// documents' links inside the repository.
package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mdLink matches [text](target) in Markdown.
var mdLink = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)

// TestRelativeLinksResolve: every relative link in README.md and docs/
// points at a file or folder of this repository, so a clone stands alone.
func TestRelativeLinksResolve(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(root, "README.md")}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, docs...)
	if len(files) < 3 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			path := filepath.Clean(filepath.Join(filepath.Dir(f), target))
			rel, err := filepath.Rel(root, path)
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links to %s, outside the repository", filepath.Base(f), m[1])
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", filepath.Base(f), m[1])
			}
		}
		// Plain-text pointers outside the repository count too.
		if strings.Contains(string(data), "../shared/") {
			t.Errorf("%s points at ../shared/, which a clone does not have", filepath.Base(f))
		}
	}
}

// fileTarget matches the files README commands write: --file F, --out F,
// -o F after "tenant add", and shell redirections.
var fileTarget = regexp.MustCompile(`(?:--file|--out|tenant add \S+ --user \S+ -o|[^-]>)\s+(\S+)`)

// TestReadmeWritesNoSecretsIntoTheRepository: the kubeconfigs the README
// journey writes (they hold private keys) land outside the work tree or
// in files git ignores, so `git status` never offers them for commit.
func TestReadmeWritesNoSecretsIntoTheRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	writes := fileTarget.FindAllStringSubmatch(string(data), -1)
	if len(writes) == 0 {
		t.Fatal("found no command in README.md that writes a file; has the pattern gone stale?")
	}
	for _, m := range writes {
		target := m[1]
		if strings.HasPrefix(target, "~/") || strings.HasPrefix(target, "/") || strings.HasPrefix(target, "$HOME") || target == "/dev/null" {
			continue
		}
		found++
		out, err := exec.Command("git", "-C", root, "check-ignore", "-q", target).CombinedOutput()
		if err != nil {
			t.Errorf("README writes %s into the repository and git does not ignore it (%v %s)", target, err, out)
		}
	}
	t.Logf("%d files written inside the repository, all ignored", found)
}
