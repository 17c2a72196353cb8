package toolchain

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// PrometheusModuleVersion pins github.com/prometheus/prometheus. The module
// numbers Prometheus 3.x.y as v0.3xx.y: v0.316.0 is Prometheus 3.16.0.
const PrometheusModuleVersion = "v0.316.0"

// Prometheus's binaries: the server and its rule checker.
const (
	PrometheusServer Component = "prometheus"
	Promtool         Component = "promtool"
)

// PrometheusBuildTags leave out every service discovery but static, file
// and HTTP (Prometheus's own remove_all_sd tag): Kumo writes its targets to
// files, and the cloud SDs of AWS, Azure, GCE, Kubernetes and the rest
// would double the build for nothing Kumo uses.
const PrometheusBuildTags = "remove_all_sd"

// PrometheusBinaries are the paths of the pinned Prometheus's binaries.
type PrometheusBinaries struct {
	// Version is Prometheus's own version, e.g. "3.16.0".
	Version    string
	Prometheus string
	Promtool   string
}

// PrometheusVersion is the Prometheus release of the pinned module.
func PrometheusVersion() string { return prometheusRelease(PrometheusModuleVersion) }

// prometheusRelease turns a module version v0.MNN.P into Prometheus M.NN.P.
func prometheusRelease(module string) string {
	mm, patch, _ := strings.Cut(strings.TrimPrefix(module, "v0."), ".")
	n, err := strconv.Atoi(mm)
	if err != nil {
		return module
	}
	return fmt.Sprintf("%d.%d.%s", n/100, n%100, patch)
}

// Prometheus returns the pinned Prometheus and promtool, building them if
// missing. Only monitoring needs them, so nothing else builds them.
func (t *Toolchain) Prometheus(ctx context.Context) (*PrometheusBinaries, error) {
	name := "prometheus-" + PrometheusModuleVersion
	dir := filepath.Join(t.Dir, name)
	comps := []Component{PrometheusServer, Promtool}
	err := t.ensure(ctx, dir, comps, func(tmp string) error {
		src, err := t.writeModule(name, tmp)
		if err != nil {
			return err
		}
		// As Prometheus's release builds (.promu.yml) stamp it.
		const v = "github.com/prometheus/common/version."
		ldflags := "-s -w -X " + v + "Version=" + PrometheusVersion() + " -X " + v + "BuildUser=kumo -X " + v + "Branch=" + PrometheusModuleVersion
		var pkgs []string
		for _, c := range comps {
			pkgs = append(pkgs, "github.com/prometheus/prometheus/cmd/"+string(c))
		}
		return t.goBuild(ctx, "prometheus "+PrometheusVersion()+" (prometheus, promtool)", src, tmp, ldflags, PrometheusBuildTags, pkgs...)
	})
	if err != nil {
		return nil, err
	}
	return &PrometheusBinaries{
		Version:    PrometheusVersion(),
		Prometheus: filepath.Join(dir, string(PrometheusServer)),
		Promtool:   filepath.Join(dir, string(Promtool)),
	}, nil
}
