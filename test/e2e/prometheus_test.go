package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	promconfig "github.com/kumo-dev/kumo/deploy/prometheus"
)

// promSample is one series of an instant query's answer.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// promQuery runs an instant query through Prometheus's HTTP API.
func promQuery(base, query string) ([]promSample, error) {
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := promGet(base+"/api/v1/query?query="+url.QueryEscape(query), &body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", query, body.Error)
	}
	var out []promSample
	if body.Data.ResultType == "vector" {
		if err := json.Unmarshal(body.Data.Result, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func promGet(u string, into any) error {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	return json.NewDecoder(resp.Body).Decode(into)
}

// TestPrometheus: `kumo up --prometheus` runs the real Prometheus, prints
// its URL, loads Kumo's rules without errors, scrapes the manager and the
// sim's node exporters, joins a cluster's nodes' steal with their
// hypervisors (and sees it rise under `kumo sim load`), answers every
// dashboard query, keeps its data in the data directory and is restarted
// when it dies.
func TestPrometheus(t *testing.T) {
	// Without the manager's metrics there is nothing to scrape: refused
	// before anything starts.
	_, errOut, code := runKumo(t, "up", "--data-dir", t.TempDir(), "--prometheus", "--metrics-bind-address", "0")
	if code == 0 || !strings.Contains(errOut, `--prometheus scrapes the manager's metrics, which are off (--metrics-bind-address "0")`) {
		t.Errorf("kumo up --prometheus --metrics-bind-address 0: exit %d\n%s", code, errOut)
	}

	promPort := freePort(t)
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startPlatform(t, "--fidelity", "scale", "--prometheus", "--prometheus-port", fmt.Sprint(promPort),
		"--metrics-bind-address", metrics, "--prometheus-interval", "1s")
	base := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	if !strings.Contains(p.terminal(), "Prometheus (HTTP API, rules, alerts): "+base+"\n") {
		t.Fatalf("kumo up did not print Prometheus's URL %s:\n%s", base, p.terminal())
	}

	if out, _, _ := runKumo(t, "status", "--data-dir", p.dataDir); !regexp.MustCompile(`(?m)^  Prometheus +` + regexp.QuoteMeta(base) + `$`).MatchString(out) {
		t.Errorf("kumo status does not show Prometheus at %s:\n%s", base, out)
	}

	p.eventually(time.Minute, "Prometheus to scrape the manager", func() (bool, string) {
		up, err := promQuery(base, `up{job="kumo-manager"}`)
		if err != nil || len(up) != 1 {
			return false, fmt.Sprint(up, err)
		}
		return up[0].Metric["instance"] == metrics && up[0].Value[1] == "1", fmt.Sprint(up)
	})
	// controller-runtime's metrics of the manager, through the scrape.
	p.eventually(time.Minute, "the manager's reconcile counters", func() (bool, string) {
		s, err := promQuery(base, `controller_runtime_reconcile_total{job="kumo-manager",controller="region"}`)
		return err == nil && len(s) > 0, fmt.Sprint(s, err)
	})

	// Every rule of deploy/prometheus is loaded and evaluates without error.
	var rules struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	p.eventually(time.Minute, "every rule to be evaluated", func() (bool, string) {
		if err := promGet(base+"/api/v1/rules", &rules); err != nil {
			return false, err.Error()
		}
		n, bad := 0, []string{}
		for _, g := range rules.Data.Groups {
			for _, r := range g.Rules {
				n++
				if r.Health != "ok" {
					bad = append(bad, fmt.Sprintf("%s: %s %s", r.Name, r.Health, r.LastError))
				}
			}
		}
		return len(rules.Data.Groups) == 3 && n == 14 && len(bad) == 0, fmt.Sprint(len(rules.Data.Groups), " groups, ", n, " rules, ", bad)
	})

	// The dashboards' queries run (the series they read may not exist yet).
	dashboards, err := promconfig.Dashboards()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dashboards {
		for _, q := range d.Queries(promconfig.SampleVariables) {
			if _, err := promQuery(base, q); err != nil {
				t.Errorf("%s: %v", d.File, err)
			}
		}
	}

	// The join: a cluster's nodes' steal (node_cpu_seconds_total of the
	// sim's VMs) with their team, cluster and hypervisor (kumo_machine_info),
	// read back as the recording rule's series.
	p.kubectl("apply", "-f", "../../examples/cluster.yaml")
	want := map[string]string{} // node -> hypervisor, from the Machines
	p.eventually(3*time.Minute, "the Machines of cluster demo on their hypervisors", func() (bool, string) {
		out, err := p.kubectlErr("get", "machines", "-n", "default", "-o",
			`jsonpath={range .items[*]}{.status.nodeName} {.status.hypervisor}{"\n"}{end}`)
		clear(want)
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				want[f[0]] = f[1]
			}
		}
		return err == nil && len(want) == 3, out
	})
	p.eventually(2*time.Minute, "the joined steal series of demo's nodes", func() (bool, string) {
		s, err := promQuery(base, `kumo:node_cpu_steal:ratio_rate1m{cluster="demo"}`)
		if err != nil || len(s) != len(want) {
			return false, fmt.Sprint(s, err)
		}
		for _, x := range s {
			m := x.Metric
			if want[m["node"]] != m["hypervisor"] || m["team"] != "default" || m["region"] != "tokyo-1" ||
				m["pool"] != "default" || !strings.HasSuffix(m["instance"], ":9100") {
				return false, fmt.Sprint(s)
			}
		}
		return true, ""
	})
	// Per hypervisor: the steal of demo's, and every hypervisor's allocation.
	for q, n := range map[string]int{
		`up{job="node"} == 1`: 1,
		`region_hypervisor:node_cpu_steal:ratio_max and on (region, hypervisor) kumo:node_cpu_steal:ratio_rate1m{cluster="demo"}`: len(distinct(want)),
		`region_hypervisor:kumo_hypervisor_vcpus_allocated_per_core:ratio`:                                                        24 + 16,
	} {
		p.eventually(time.Minute, q, func() (bool, string) {
			s, err := promQuery(base, q)
			return err == nil && len(s) == n, fmt.Sprint(s, err)
		})
	}

	// A busy node on a busy hypervisor: the share of its CPU time stolen
	// passes the threshold in the joined series, and its alert is pending
	// (it fires after 5 minutes). The node's Machine has its name.
	var node, hv string
	for node, hv = range want {
		break
	}
	for _, load := range [][]string{{"--hypervisor", "tokyo-1/" + hv, "--cpu", "96"}, {"--machine", "default/" + node, "--cpu", "2"}} {
		if out, errOut, code := runKumo(t, append([]string{"sim", "load", "--data-dir", p.dataDir}, load...)...); code != 0 {
			t.Fatalf("kumo sim load %s: %s%s", strings.Join(load, " "), out, errOut)
		}
	}
	p.eventually(time.Minute, "steal above 20 % on "+node+" and its alert pending", func() (bool, string) {
		s, err := promQuery(base, fmt.Sprintf(`kumo:node_cpu_steal:ratio_rate1m{node=%q, hypervisor=%q, team="default"} > 0.2`, node, hv))
		if err != nil || len(s) != 1 {
			return false, fmt.Sprint(s, err)
		}
		a, err := promQuery(base, fmt.Sprintf(`ALERTS{alertname="KumoNodeCPUSteal", node=%q, hypervisor=%q, cluster="demo", alertstate="pending"}`, node, hv))
		return err == nil && len(a) == 1, fmt.Sprint(s, a, err)
	})

	blocks := filepath.Join(p.dataDir, "prometheus", "data", "wal")
	if _, err := os.Stat(blocks); err != nil {
		t.Errorf("Prometheus keeps no data in the data directory: %v", err)
	}

	// Supervised like the other components: killed, it comes back.
	pids := prometheusPIDs(p.dataDir)
	if len(pids) != 1 {
		t.Fatalf("want one Prometheus of this platform, found %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	restarted := regexp.MustCompile(`prometheus exited \(signal: killed\), restarting it`)
	p.eventually(time.Minute, "Prometheus to be restarted and ready", func() (bool, string) {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		_ = resp.Body.Close()
		now := prometheusPIDs(p.dataDir)
		return resp.StatusCode == http.StatusOK && restarted.MatchString(p.terminal()) && len(now) == 1 && now[0] != pids[0], fmt.Sprint(now)
	})

	p.stop()
	if left := prometheusPIDs(p.dataDir); len(left) != 0 {
		t.Errorf("Prometheus still runs after kumo up stopped: %v", left)
	}
}

// prometheusPIDs are the Prometheus processes of the platform at dataDir.
func prometheusPIDs(dataDir string) []int {
	return pidsMatching("--storage.tsdb.path=" + filepath.Join(dataDir, "prometheus", "data"))
}

// distinct are the distinct values of m.
func distinct(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, v := range m {
		out[v] = true
	}
	return out
}
