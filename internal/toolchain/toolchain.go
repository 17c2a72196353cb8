package toolchain

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Component names a binary Kumo runs.
type Component string

const (
	Etcd                  Component = "etcd"
	KubeAPIServer         Component = "kube-apiserver"
	KubeControllerManager Component = "kube-controller-manager"
	KubeScheduler         Component = "kube-scheduler"
	Kubectl               Component = "kubectl"
)

// EtcdVersion is the pinned etcd. (kwok, which plays the nodes' kubelets, is
// a library linked into kumo: see internal/kwok.)
const EtcdVersion = "v3.6.16"

// serverComponents are what a platform runs, built from one
// k8s.io/kubernetes module; kubectl is built apart, only when asked for.
var serverComponents = []Component{KubeAPIServer, KubeControllerManager, KubeScheduler}

//go:embed modules
var modules embed.FS

// Versions lists the Kubernetes patch versions Kumo can build, oldest first.
func Versions() []string {
	entries, _ := fs.ReadDir(modules, "modules")
	var out []string
	for _, e := range entries {
		if v, ok := strings.CutPrefix(e.Name(), "kubernetes-"); ok {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return compareVersions(out[i], out[j]) < 0 })
	return out
}

// Resolve turns "1.36", "v1.36" or "1.36.3" into a supported patch version
// ("v1.36.3"), choosing the newest patch for a minor.
func Resolve(version string) (string, error) {
	want := "v" + strings.TrimPrefix(version, "v")
	var found string
	for _, v := range Versions() {
		if v == want || strings.HasPrefix(v, want+".") {
			found = v // Versions is sorted, so the last match is the newest
		}
	}
	if found == "" {
		return "", fmt.Errorf("kubernetes %s is not offered; offered versions: %s", version, strings.Join(Versions(), ", "))
	}
	return found, nil
}

// Toolchain builds and caches binaries under Dir.
type Toolchain struct {
	// Dir is the cache root; binaries live in Dir/<module>-<version>/.
	Dir string
	// Progress receives human-readable progress while building.
	Progress io.Writer
	// Go is the go command used to build; "go" from PATH by default.
	Go string
}

// DefaultDir is the user's cache directory for Kumo's binaries, overridable
// with KUMO_CACHE_DIR.
func DefaultDir() string {
	if d := os.Getenv("KUMO_CACHE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "kumo")
}

// New returns a Toolchain caching under dir, reporting progress to w.
func New(dir string, w io.Writer) *Toolchain {
	if w == nil {
		w = io.Discard
	}
	return &Toolchain{Dir: dir, Progress: w, Go: "go"}
}

// KubernetesBinaries are the paths of one Kubernetes version's server binaries.
type KubernetesBinaries struct {
	Version           string
	APIServer         string
	ControllerManager string
	Scheduler         string
}

// Kubernetes returns the server binaries of a Kubernetes version, building
// them if missing.
func (t *Toolchain) Kubernetes(ctx context.Context, version string) (*KubernetesBinaries, error) {
	v, err := Resolve(version)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(t.Dir, "kubernetes-"+v)
	if err := t.ensure(ctx, dir, serverComponents, func(tmp string) error {
		return t.buildKubernetes(ctx, v, tmp, serverComponents)
	}); err != nil {
		return nil, err
	}
	return &KubernetesBinaries{
		Version:           v,
		APIServer:         filepath.Join(dir, string(KubeAPIServer)),
		ControllerManager: filepath.Join(dir, string(KubeControllerManager)),
		Scheduler:         filepath.Join(dir, string(KubeScheduler)),
	}, nil
}

// Kubectl returns the path of kubectl of a Kubernetes version, building it
// if missing. A platform does not need it, so `kumo up` never builds it.
func (t *Toolchain) Kubectl(ctx context.Context, version string) (string, error) {
	v, err := Resolve(version)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(t.Dir, "kubectl-"+v)
	comps := []Component{Kubectl}
	err = t.ensure(ctx, dir, comps, func(tmp string) error {
		return t.buildKubernetes(ctx, v, tmp, comps)
	})
	return filepath.Join(dir, string(Kubectl)), err
}

// Etcd returns the path of the pinned etcd, building it if missing.
func (t *Toolchain) Etcd(ctx context.Context) (string, error) {
	dir := filepath.Join(t.Dir, "etcd-"+EtcdVersion)
	err := t.ensure(ctx, dir, []Component{Etcd}, func(tmp string) error {
		src, err := t.writeModule("etcd-"+EtcdVersion, tmp)
		if err != nil {
			return err
		}
		return t.goBuild(ctx, "etcd "+EtcdVersion, src, tmp, "", "", ".")
	})
	return filepath.Join(dir, string(Etcd)), err
}

// ensure makes dir hold every component, running build into a temporary
// directory under a file lock (several processes may race for a cold cache)
// and renaming it into place only when complete.
func (t *Toolchain) ensure(ctx context.Context, dir string, comps []Component, build func(tmp string) error) error {
	if complete(dir, comps) {
		return nil
	}
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return fmt.Errorf("creating cache directory: %w", err)
	}
	unlock, err := lock(ctx, dir+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if complete(dir, comps) { // built by another process while we waited
		return nil
	}
	tmp, err := os.MkdirTemp(t.Dir, ".build-")
	if err != nil {
		return fmt.Errorf("creating build directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	if err := build(tmp); err != nil {
		return err
	}
	bin := filepath.Join(tmp, "bin")
	if !complete(bin, comps) {
		// goBuild writes to tmp/bin; go install writes to tmp itself.
		bin = tmp
	}
	if !complete(bin, comps) {
		return fmt.Errorf("building %s: binaries missing after build", filepath.Base(dir))
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(bin, dir); err != nil {
		return fmt.Errorf("installing %s: %w", filepath.Base(dir), err)
	}
	return nil
}

func complete(dir string, comps []Component) bool {
	for _, c := range comps {
		if fi, err := os.Stat(filepath.Join(dir, string(c))); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

func (t *Toolchain) buildKubernetes(ctx context.Context, version, tmp string, comps []Component) error {
	src, err := t.writeModule("kubernetes-"+version, tmp)
	if err != nil {
		return err
	}
	major, minor, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	ldflags := strings.Join([]string{
		"-s", "-w",
		"-X k8s.io/component-base/version.gitVersion=" + version,
		"-X k8s.io/component-base/version.gitMajor=" + major,
		"-X k8s.io/component-base/version.gitMinor=" + minor,
		"-X k8s.io/component-base/version.gitTreeState=clean",
		"-X k8s.io/client-go/pkg/version.gitVersion=" + version,
		"-X k8s.io/client-go/pkg/version.gitMajor=" + major,
		"-X k8s.io/client-go/pkg/version.gitMinor=" + minor,
	}, " ")
	var pkgs, names []string
	for _, c := range comps {
		pkgs = append(pkgs, "k8s.io/kubernetes/cmd/"+string(c))
		names = append(names, string(c))
	}
	return t.goBuild(ctx, "kubernetes "+version+" ("+strings.Join(names, ", ")+")", src, tmp, ldflags, "", pkgs...)
}

// writeModule unpacks an embedded module (files named *.txt so that Go does
// not treat them as part of this module) into tmp/src.
func (t *Toolchain) writeModule(name, tmp string) (string, error) {
	src := filepath.Join(tmp, "src")
	root := "modules/" + name
	entries, err := fs.ReadDir(modules, root)
	if err != nil {
		return "", fmt.Errorf("%s is not a module Kumo knows how to build", name)
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.Name() == releaseFile {
			continue
		}
		data, err := modules.ReadFile(root + "/" + e.Name())
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(src, strings.TrimSuffix(e.Name(), ".txt")), data, 0o644); err != nil {
			return "", err
		}
	}
	return src, nil
}

func (t *Toolchain) goBuild(ctx context.Context, what, src, tmp, ldflags, tags string, pkgs ...string) error {
	args := []string{"build", "-trimpath", "-o", filepath.Join(tmp, "bin") + "/"}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.CommandContext(ctx, t.Go, append(args, pkgs...)...)
	cmd.Dir = src
	// The embedded go.sum pins every dependency; never edit it.
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "CGO_ENABLED=0", "GOWORK=off")
	return t.run(cmd, what)
}

// run executes a build, printing a line every 20 seconds so that a
// several-minute cold build is visibly alive.
func (t *Toolchain) run(cmd *exec.Cmd, what string) error {
	name := what
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	_, _ = fmt.Fprintf(t.Progress, "Building %s (once per version; a few minutes on a cold cache)\n", name)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(20 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_, _ = fmt.Fprintf(t.Progress, "  still building %s (%s)\n", name, time.Since(start).Round(time.Second))
			}
		}
	}()
	err := cmd.Run()
	close(done)
	if err != nil {
		return fmt.Errorf("building %s: %w\n%s", name, err, tail(out.String(), 40))
	}
	_, _ = fmt.Fprintf(t.Progress, "Built %s in %s\n", name, time.Since(start).Round(time.Second))
	return nil
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// lock takes an exclusive flock on path, waiting until ctx is done.
func lock(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// compareVersions orders "v1.35.4" before "v1.36.1".
func compareVersions(a, b string) int {
	pa := strings.Split(strings.TrimPrefix(a, "v"), ".")
	pb := strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var x, y int
		_, _ = fmt.Sscan(pa[i], &x)
		_, _ = fmt.Sscan(pb[i], &y)
		if x != y {
			return x - y
		}
	}
	return len(pa) - len(pb)
}

// DefaultVersion is the newest Kubernetes version Kumo can build: what a
// fresh catalog offers new clusters by default.
func DefaultVersion() string {
	v := Versions()
	return v[len(v)-1]
}

// PlatformMinor is the Kubernetes minor the platform itself runs: the
// management API server and controller-manager, envtest and kubectl. It
// moves on its own, deliberately, not whenever a newer minor is offered to
// tenants, so that offering one builds nothing the platform or its tests do
// not ask for.
const PlatformMinor = "1.36"

// PlatformVersion is the newest patch of PlatformMinor Kumo can build.
func PlatformVersion() string {
	v, err := Resolve(PlatformMinor)
	if err != nil {
		panic("toolchain: no module folder for the platform's Kubernetes " + PlatformMinor)
	}
	return v
}

// Release is what a version's module folder says of it beyond how to
// build it (its release.txt): when upstream stops supporting its minor.
// The catalog Kumo publishes starts from it; operators change it there.
type Release struct {
	Version      string
	EndOfSupport time.Time
}

// ReleaseOf reads the release facts of a version (as Versions lists it).
func ReleaseOf(version string) (Release, error) {
	rel := Release{Version: version}
	data, err := modules.ReadFile("modules/kubernetes-" + version + "/" + releaseFile)
	if err != nil {
		return rel, fmt.Errorf("kubernetes %s has no %s: %w", version, releaseFile, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		if key == "endOfSupport" {
			if rel.EndOfSupport, err = time.Parse(time.DateOnly, strings.TrimSpace(value)); err != nil {
				return rel, fmt.Errorf("kubernetes %s: %s: endOfSupport: %w", version, releaseFile, err)
			}
		}
	}
	return rel, nil
}

// releaseFile holds a version's release facts; it is not part of the module.
const releaseFile = "release.txt"

// Binaries are the paths of everything a platform runs.
type Binaries struct {
	Etcd string
	*KubernetesBinaries
}

// All returns etcd and one Kubernetes version's servers, building what is missing.
func (t *Toolchain) All(ctx context.Context, version string) (*Binaries, error) {
	etcd, err := t.Etcd(ctx)
	if err != nil {
		return nil, err
	}
	kube, err := t.Kubernetes(ctx, version)
	if err != nil {
		return nil, err
	}
	return &Binaries{Etcd: etcd, KubernetesBinaries: kube}, nil
}
