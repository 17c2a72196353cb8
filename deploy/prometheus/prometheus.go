// Package prometheus embeds Kumo's Prometheus configuration, rules and
// Grafana dashboards, so that `kumo up --prometheus` runs exactly these and
// the tests check them with the real promtool and Prometheus.
package prometheus

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

//go:embed prometheus.yml rules/*.rules.yml dashboards/*.json
var files embed.FS

// ConfigFile is the configuration's name; it reads its targets from
// targets/<job>.json beside it and its rules from rules/.
const ConfigFile = "prometheus.yml"

// Scrape jobs, as in prometheus.yml.
const (
	ManagerJob = "kumo-manager"
	NodeJob    = "node"
)

// intervals are prometheus.yml's scrape and evaluation intervals.
const intervals = "  scrape_interval: 15s\n  evaluation_interval: 15s\n"

// WriteTo writes the configuration and its rules into dir, replacing the
// copies of an earlier run. A non-zero interval replaces the scrape and
// rule evaluation intervals (tests want seconds, not 15 s).
func WriteTo(dir string, interval time.Duration) error {
	return fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, "dashboards/") {
			return err
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		if path == ConfigFile && interval > 0 {
			s := string(data)
			if !strings.Contains(s, intervals) {
				return fmt.Errorf("%s has no global intervals to replace", ConfigFile)
			}
			data = []byte(strings.Replace(s, intervals, fmt.Sprintf("  scrape_interval: %s\n  evaluation_interval: %[1]s\n", interval), 1))
		}
		dst := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}

// WriteTargets writes the targets of a scrape job for Prometheus's file
// discovery, with labels for all of them (e.g. __metrics_path__),
// atomically: Prometheus rereads the file when it changes.
func WriteTargets(dir, job string, targets []string, labels map[string]string) error {
	if targets == nil {
		targets = []string{}
	}
	type group struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels,omitempty"`
	}
	data, err := json.Marshal([]group{{Targets: targets, Labels: labels}})
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "targets", job+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Dashboard is what Kumo reads of a Grafana dashboard: its queries.
type Dashboard struct {
	File   string `json:"-"`
	UID    string `json:"uid"`
	Title  string `json:"title"`
	Panels []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
}

// Dashboards reads the Grafana dashboards.
func Dashboards() ([]Dashboard, error) {
	names, err := fs.Glob(files, "dashboards/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Dashboard
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		d := Dashboard{File: name}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Queries are the dashboard's PromQL queries with Grafana's variables
// ("$team") replaced by vars' values.
func (d Dashboard) Queries(vars map[string]string) []string {
	var pairs []string
	for k, v := range vars {
		pairs = append(pairs, "$"+k, v)
	}
	r := strings.NewReplacer(pairs...)
	var out []string
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out = append(out, r.Replace(t.Expr))
		}
	}
	return out
}

// SampleVariables are values for the dashboards' variables, for tests.
var SampleVariables = map[string]string{"region": "tokyo-1", "team": "team-a", "cluster": "alpha", "datasource": "prometheus"}
