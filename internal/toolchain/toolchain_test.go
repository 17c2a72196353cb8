package toolchain

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
)

func TestResolve(t *testing.T) {
	newest := PlatformVersion() // the newest 1.36
	tests := map[string]struct {
		in      string // what the user wrote
		want    string // the exact version, if offered
		wantErr string // a part of the error, if not
	}{
		"minor":              {in: "1.36", want: newest},
		"minor with v":       {in: "v1.36", want: newest},
		"exact":              {in: newest, want: newest},
		"exact without v":    {in: newest[1:], want: newest},
		"unknown minor":      {in: "1.20", wantErr: "kubernetes 1.20 is not offered; offered versions: " + strings.Join(Versions(), ", ")},
		"unknown patch":      {in: "1.36.99", wantErr: "not offered"},
		"prefix is no match": {in: "1.3", wantErr: "not offered"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := Resolve(tc.in)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestVersionsAreModuleFolders(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Versions()).To(ContainElements("v1.36.3", "v1.37.2"))
	g.Expect(DefaultVersion()).To(Equal("v1.37.2"), "the newest")
	g.Expect(Resolve("1.37")).To(Equal("v1.37.2"))
	g.Expect(PlatformVersion()).To(HavePrefix("v" + PlatformMinor + "."))
	for _, v := range Versions() {
		rel, err := ReleaseOf(v)
		g.Expect(err).NotTo(HaveOccurred(), "every module folder says when its minor's support ends")
		g.Expect(rel.EndOfSupport.Year()).To(BeNumerically(">=", 2026), v)
	}
	r36, _ := ReleaseOf("v1.36.3")
	r37, _ := ReleaseOf("v1.37.2")
	g.Expect(r36.EndOfSupport.Before(r37.EndOfSupport)).To(BeTrue())
}

func TestCompareVersions(t *testing.T) {
	g := NewWithT(t)
	g.Expect(compareVersions("v1.35.4", "v1.36.1")).To(BeNumerically("<", 0))
	g.Expect(compareVersions("v1.36.10", "v1.36.9")).To(BeNumerically(">", 0))
	g.Expect(compareVersions("v1.36.3", "v1.36.3")).To(Equal(0))
}

// TestEnsureBuildsOnceUnderRace: many callers racing for a cold cache run
// the build once, and a failed build leaves nothing half-installed.
func TestEnsureBuildsOnceUnderRace(t *testing.T) {
	g := NewWithT(t)
	tc := New(t.TempDir(), nil)
	dir := filepath.Join(tc.Dir, "thing-v1")
	var builds atomic.Int32
	build := func(tmp string) error {
		builds.Add(1)
		g.Expect(os.MkdirAll(filepath.Join(tmp, "bin"), 0o755)).To(Succeed())
		return os.WriteFile(filepath.Join(tmp, "bin", "etcd"), []byte("#!/bin/true\n"), 0o755)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Expect(tc.ensure(context.Background(), dir, []Component{Etcd}, build)).To(Succeed())
		}()
	}
	wg.Wait()
	g.Expect(builds.Load()).To(Equal(int32(1)))
	g.Expect(filepath.Join(dir, "etcd")).To(BeAnExistingFile())

	failing := filepath.Join(tc.Dir, "broken-v1")
	err := tc.ensure(context.Background(), failing, []Component{Etcd}, func(tmp string) error {
		_ = os.WriteFile(filepath.Join(tmp, "partial"), nil, 0o644)
		return errors.New("compiler exploded")
	})
	g.Expect(err).To(MatchError("compiler exploded"))
	g.Expect(failing).NotTo(BeADirectory())
	leftovers, _ := filepath.Glob(filepath.Join(tc.Dir, ".build-*"))
	g.Expect(leftovers).To(BeEmpty())
}

// TestBuiltBinariesReportTheirVersion checks the real cached build: the
// ldflags must make /version report the pinned version, not v0.0.0.
func TestBuiltBinariesReportTheirVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Kubernetes on a cold cache")
	}
	g := NewWithT(t)
	tc := New(DefaultDir(), os.Stderr)
	bins, err := tc.Kubernetes(context.Background(), "1.36")
	g.Expect(err).NotTo(HaveOccurred())
	for _, bin := range []string{bins.APIServer, bins.ControllerManager, bins.Scheduler} {
		out, err := runOutput(bin, "--version")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(ContainSubstring("Kubernetes " + bins.Version))
	}
	kubectl, err := tc.Kubectl(context.Background(), "1.36")
	g.Expect(err).NotTo(HaveOccurred())
	out, err := runOutput(kubectl, "version", "--client")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(ContainSubstring("Client Version: " + bins.Version))
	etcd, err := tc.Etcd(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	out, err = runOutput(etcd, "--version")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(ContainSubstring("etcd Version: " + EtcdVersion[1:]))
}

// FuzzResolve: whatever a user types as a version, Resolve answers with an
// offered version or an error naming the offered ones; it never panics.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"1.36", "v1.36.3", "", "v", "1.", "..", "1.36.3.4", "latest"} {
		f.Add(s)
	}
	offered := map[string]bool{}
	for _, v := range Versions() {
		offered[v] = true
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Resolve(in)
		if err != nil {
			if !strings.Contains(err.Error(), "offered versions") {
				t.Fatalf("error without the offered versions: %v", err)
			}
			return
		}
		if !offered[got] {
			t.Fatalf("Resolve(%q) = %q, not an offered version", in, got)
		}
	})
}

func runOutput(bin string, args ...string) (string, error) {
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

func TestPrometheusVersion(t *testing.T) {
	g := NewWithT(t)
	g.Expect(PrometheusVersion()).To(Equal("3.16.0"))
	g.Expect(prometheusRelease("v0.300.1")).To(Equal("3.0.1"))
	g.Expect(prometheusRelease("v0.316.0")).To(Equal("3.16.0"))
}

// TestBuiltPrometheusReportsItsVersion checks the real cached build of
// Prometheus and promtool (`kumo toolchain build --prometheus`).
func TestBuiltPrometheusReportsItsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Prometheus on a cold cache")
	}
	g := NewWithT(t)
	bins, err := New(DefaultDir(), os.Stderr).Prometheus(context.Background())
	g.Expect(err).NotTo(HaveOccurred())
	for _, bin := range []string{bins.Prometheus, bins.Promtool} {
		out, err := runOutput(bin, "--version")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(ContainSubstring("version " + bins.Version))
	}
}
