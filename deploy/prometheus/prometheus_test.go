package prometheus

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/toolchain"
)

// promtool returns the pinned promtool, building it on a cold cache.
func promtool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs promtool, built from the Go module proxy (run without -short)")
	}
	bins, err := toolchain.New(toolchain.DefaultDir(), os.Stderr).Prometheus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bins.Promtool
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestRules checks the configuration and rules with the real promtool and
// runs their unit tests (tests/*.test.yml).
func TestRules(t *testing.T) {
	g := NewWithT(t)
	pt := promtool(t)
	rules, _ := filepath.Glob("rules/*.rules.yml")
	tests, _ := filepath.Glob("tests/*.test.yml")
	g.Expect(rules).To(HaveLen(2))
	g.Expect(tests).NotTo(BeEmpty())

	out := run(t, pt, append([]string{"check", "rules"}, rules...)...)
	g.Expect(out).To(ContainSubstring("SUCCESS: 9 rules found"))
	g.Expect(out).To(ContainSubstring("SUCCESS: 5 rules found"))
	g.Expect(run(t, pt, append([]string{"test", "rules"}, tests...)...)).To(ContainSubstring("SUCCESS"))

	// The configuration as kumo up writes it, targets files included.
	dir := t.TempDir()
	g.Expect(WriteTo(dir, 0)).To(Succeed())
	g.Expect(os.ReadFile(filepath.Join(dir, "rules", "steal.rules.yml"))).NotTo(BeEmpty())
	g.Expect(WriteTargets(dir, ManagerJob, []string{"127.0.0.1:23810"}, nil)).To(Succeed())
	g.Expect(WriteTargets(dir, NodeJob, []string{"127.0.0.1:23810"}, map[string]string{"__metrics_path__": "/metrics/nodes"})).To(Succeed())
	g.Expect(run(t, pt, "check", "config", filepath.Join(dir, ConfigFile))).To(ContainSubstring("SUCCESS"))
}

// TestDashboards: every dashboard is Grafana JSON with unique ids whose
// queries the real PromQL parser accepts once Grafana has put in its
// variables.
func TestDashboards(t *testing.T) {
	g := NewWithT(t)
	pt := promtool(t)
	dashboards, err := Dashboards()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dashboards).To(HaveLen(2))
	uids := map[string]bool{}
	for _, d := range dashboards {
		g.Expect(d.UID).NotTo(BeEmpty(), d.File)
		g.Expect(uids).NotTo(HaveKey(d.UID), d.File)
		uids[d.UID] = true
		ids := map[int]bool{}
		for _, p := range d.Panels {
			g.Expect(ids).NotTo(HaveKey(p.ID), "%s: panel %q", d.File, p.Title)
			ids[p.ID] = true
			g.Expect(p.Targets).NotTo(BeEmpty(), "%s: panel %q", d.File, p.Title)
		}
		for _, q := range d.Queries(SampleVariables) {
			g.Expect(q).NotTo(ContainSubstring("$"), d.File)
			run(t, pt, "promql", "format", "--experimental", q)
		}
	}
}

// TestWriteTo: the configuration is written with the intervals asked for,
// and the targets files in file discovery's format.
func TestWriteTo(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(WriteTo(dir, 2*time.Second)).To(Succeed())
	cfg, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(cfg)).To(ContainSubstring("  scrape_interval: 2s\n  evaluation_interval: 2s\n"))
	g.Expect(filepath.Join(dir, "rules", "alerts.rules.yml")).To(BeAnExistingFile())
	g.Expect(filepath.Join(dir, "dashboards")).NotTo(BeADirectory())

	g.Expect(WriteTargets(dir, NodeJob, []string{"127.0.0.1:1"}, map[string]string{"__metrics_path__": "/metrics/nodes"})).To(Succeed())
	data, err := os.ReadFile(filepath.Join(dir, "targets", "node.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(data).To(MatchJSON(`[{"targets":["127.0.0.1:1"],"labels":{"__metrics_path__":"/metrics/nodes"}}]`))
	g.Expect(WriteTargets(dir, ManagerJob, nil, nil)).To(Succeed())
	data, _ = os.ReadFile(filepath.Join(dir, "targets", "kumo-manager.json"))
	g.Expect(data).To(MatchJSON(`[{"targets":[]}]`))
}
