package pki_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/pki"
)

func TestWriteFiles(t *testing.T) {
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "pki")
	files := map[string][]byte{
		"ca.crt": []byte("ca cert"),
		"ca.key": []byte("ca key"),
	}

	g.Expect(pki.WriteFiles(dir, files)).To(Succeed())

	info, err := os.Stat(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o700)))
	for name, want := range files {
		path := filepath.Join(dir, name)
		g.Expect(os.ReadFile(path)).To(Equal(want))
		info, err := os.Stat(path)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)), name)
	}
	entries, err := os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(2), "no temporary files are left behind")

	// Backdate the files so a rewrite would show in the mtime.
	old := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	for name := range files {
		g.Expect(os.Chtimes(filepath.Join(dir, name), old, old)).To(Succeed())
	}
	mtime := func(name string) time.Time {
		info, err := os.Stat(filepath.Join(dir, name))
		g.Expect(err).NotTo(HaveOccurred())
		return info.ModTime()
	}

	// Writing the same content again touches nothing.
	g.Expect(pki.WriteFiles(dir, files)).To(Succeed())
	g.Expect(mtime("ca.crt")).To(Equal(old))
	g.Expect(mtime("ca.key")).To(Equal(old))

	// Changing one file rewrites only that one.
	g.Expect(pki.WriteFiles(dir, map[string][]byte{"ca.crt": []byte("new cert"), "ca.key": []byte("ca key")})).To(Succeed())
	g.Expect(os.ReadFile(filepath.Join(dir, "ca.crt"))).To(Equal([]byte("new cert")))
	g.Expect(mtime("ca.crt")).NotTo(Equal(old))
	g.Expect(mtime("ca.key")).To(Equal(old))

	// Identical content with loose permissions is tightened, not rewritten.
	g.Expect(os.Chmod(filepath.Join(dir, "ca.key"), 0o644)).To(Succeed())
	g.Expect(pki.WriteFiles(dir, map[string][]byte{"ca.key": []byte("ca key")})).To(Succeed())
	info, err = os.Stat(filepath.Join(dir, "ca.key"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	g.Expect(info.ModTime()).To(Equal(old))

	entries, err = os.ReadDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(2))
}

func TestWriteFilesRejectsPaths(t *testing.T) {
	for _, name := range []string{"", ".", "..", "../escape", "sub/file", "/abs"} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			err := pki.WriteFiles(dir, map[string][]byte{name: []byte("x")})
			g.Expect(err).To(MatchError(ContainSubstring("not a plain file name")))
			_, err = os.Stat(filepath.Join(filepath.Dir(dir), "escape"))
			g.Expect(os.IsNotExist(err)).To(BeTrue())
		})
	}
}
