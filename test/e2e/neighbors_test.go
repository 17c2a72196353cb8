package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestSimLoadSteal: `kumo sim load` on a running platform makes a node's
// hypervisor busy, and the steal shows in node_exporter's series on the
// manager's /metrics/nodes, joined to the node by kumo_machine_info on
// /metrics; the load outlives a crash of kumo up; --clear stops it.
func TestSimLoadSteal(t *testing.T) {
	metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startPlatform(t, "--fidelity", "scale", "--metrics-bind-address", metrics)
	applyCluster(p, "busy", 2)
	var machine, hypervisor, address string
	p.eventually(2*time.Minute, "the machines' VMs", func() (bool, string) {
		out := p.kubectl("get", "machines", "-n", "default", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.status.hypervisor} {.status.address}{"\n"}{end}`)
		f := strings.Fields(strings.Split(strings.TrimSpace(out), "\n")[0])
		if len(f) == 3 {
			machine, hypervisor, address = f[0], f[1], f[2]
		}
		return address != "", out
	})
	instance := address + ":9100"

	// kumo_machine_info names the machine's node, VM and hypervisor.
	p.eventually(30*time.Second, "kumo_machine_info of "+machine, func() (bool, string) {
		info, err := series("http://"+metrics+"/metrics", "kumo_machine_info", model.LabelSet{"machine": model.LabelValue(machine)})
		if err != nil || len(info) != 1 {
			return false, fmt.Sprint(info, err)
		}
		l := info[0].labels
		return l["instance"] == model.LabelValue(instance) && l["hypervisor"] == model.LabelValue(hypervisor) &&
			l["cluster"] == "busy" && l["namespace"] == "default" && l["region"] == "tokyo-1" && l["vm"] != "", l.String()
	})

	out, stderr, code := runKumo(t, "sim", "load", "--data-dir", p.dataDir, "--hypervisor", "tokyo-1/"+hypervisor, "--cpu", "96")
	if code != 0 {
		t.Fatalf("kumo sim load --hypervisor: %s%s", out, stderr)
	}
	out, stderr, code = runKumo(t, "sim", "load", "--data-dir", p.dataDir, "--machine", "default/"+machine, "--cpu", "2")
	if code != 0 || !strings.Contains(out, "machine     default/"+machine) || !strings.Contains(out, "hypervisor  tokyo-1/"+hypervisor) {
		t.Fatalf("kumo sim load --machine: %s%s", out, stderr)
	}
	_, stderr, code = runKumo(t, "sim", "load", "--data-dir", p.dataDir, "--hypervisor", "tokyo-1/nowhere", "--cpu", "1")
	if code == 0 || !strings.Contains(stderr, `region tokyo-1 has no hypervisor "nowhere"`) {
		t.Fatalf("a hypervisor that does not exist: exit %d, %s", code, stderr)
	}

	// 96 + 2 + whatever the other VMs ask of 32 cores: more than half of
	// the machine's 2 cores is stolen.
	stealRate := func() (float64, error) {
		a, err := cpuSeconds(metrics, instance, "steal")
		if err != nil {
			return 0, err
		}
		time.Sleep(2 * time.Second)
		b, err := cpuSeconds(metrics, instance, "steal")
		return (b - a) / 2, err
	}
	p.eventually(30*time.Second, "steal on "+instance, func() (bool, string) {
		r, err := stealRate() // per vCPU: steal seconds a second
		return err == nil && r > 0.5, fmt.Sprintf("steal rate %.3f per vCPU, %v", r, err)
	})

	// The load is in the API, not in the manager: a crash of Kumo keeps it.
	p.kill()
	p.start()
	p.eventually(60*time.Second, "steal on "+instance+" after a crash of kumo up", func() (bool, string) {
		r, err := stealRate()
		return err == nil && r > 0.5, fmt.Sprintf("steal rate %.3f per vCPU, %v", r, err)
	})
	out, _, _ = runKumo(t, "sim", "load", "--data-dir", p.dataDir)
	if !regexp.MustCompile(`(?m)^hypervisor +tokyo-1/` + hypervisor + ` +- +96$`).MatchString(out) {
		t.Errorf("kumo sim load shows:\n%s", out)
	}

	_, stderr, code = runKumo(t, "sim", "load", "--data-dir", p.dataDir, "--clear")
	if code != 0 {
		t.Fatalf("kumo sim load --clear: %s", stderr)
	}
	p.eventually(30*time.Second, "no steal on "+instance+" after --clear", func() (bool, string) {
		r, err := stealRate()
		return err == nil && r == 0, fmt.Sprintf("steal rate %.3f per vCPU, %v", r, err)
	})
}

type scraped struct {
	labels model.LabelSet
	value  float64
}

// series scrapes url and returns the samples of the family name whose
// labels include match.
func series(url, name string, match model.LabelSet) ([]scraped, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", url, err)
	}
	var out []scraped
	for _, m := range families[name].GetMetric() {
		labels := model.LabelSet{}
		for _, l := range m.GetLabel() {
			labels[model.LabelName(l.GetName())] = model.LabelValue(l.GetValue())
		}
		ok := true
		for k, v := range match {
			ok = ok && labels[k] == v
		}
		if ok {
			out = append(out, scraped{labels, value(m)})
		}
	}
	return out, nil
}

func value(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

// cpuSeconds is node_cpu_seconds_total of cpu 0 of the node at instance in mode.
func cpuSeconds(metrics, instance, mode string) (float64, error) {
	s, err := series("http://"+metrics+"/metrics/nodes", "node_cpu_seconds_total",
		model.LabelSet{"instance": model.LabelValue(instance), "mode": model.LabelValue(mode), "cpu": "0"})
	if err == nil && len(s) != 1 {
		err = fmt.Errorf("node_cpu_seconds_total of %s, mode %s: %d series", instance, mode, len(s))
	}
	if err != nil {
		return 0, err
	}
	return s[0].value, nil
}
