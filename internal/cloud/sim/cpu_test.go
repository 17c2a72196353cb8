package sim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// flat is a profile without noise: every VM asks for a quarter of its vCPUs.
var flat = sim.CPUProfile{Utilisation: 0.25, Step: 10 * time.Second, SystemShare: 0.2}

// cpuCloud is a region "r" of one hypervisor of 4 cores (16 vCPUs) and
// servers of 2 vCPUs (m1.medium) on it, named s0, s1, ...
func cpuCloud(t *testing.T, profile sim.CPUProfile, servers int) (*sim.Cloud, *clock, []*cloud.Server) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newCloud(t, sim.Options{Now: clk.Now, CPU: &profile},
		map[string]sim.RegionConfig{"r": {Hypervisors: 1, Cores: 4, MemoryGiB: 64}})
	var out []*cloud.Server
	for i := range servers {
		s, err := c.CreateServer(context.Background(), "r", cloud.CreateRequest{Name: fmt.Sprintf("s%d", i), Flavor: "m1.medium"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return c, clk, out
}

func vmCPUs(c *sim.Cloud) map[string]sim.VMCPU {
	out := map[string]sim.VMCPU{}
	for _, v := range c.VMCPUs(nil) {
		out[v.Name] = v
	}
	return out
}

func TestCPUShares(t *testing.T) {
	type vmWant struct {
		demand, steal float64 // cores
	}
	tests := map[string]struct {
		servers int // of 2 vCPUs on one hypervisor of 4 cores, demanding 0.5 cores each
		vmLoad  map[int]float64
		// external is the load of other tenants on the hypervisor, in cores
		external float64
		want     map[int]vmWant
	}{
		"below the cores no VM has steal": {
			servers: 6, // 3 cores
			want:    map[int]vmWant{0: {0.5, 0}, 5: {0.5, 0}},
		},
		"exactly the cores is still no steal": {
			servers: 4, external: 2,
			want: map[int]vmWant{0: {0.5, 0}},
		},
		"a busy VM makes every VM on the hypervisor lose the same share": {
			servers: 4, vmLoad: map[int]float64{0: 2}, // 2 + 3*0.5 = 3.5 cores
			external: 1.5, // 5 cores asked of 4: each gets 4/5
			want:     map[int]vmWant{0: {2, 0.4}, 1: {0.5, 0.1}, 3: {0.5, 0.1}},
		},
		"external load alone": {
			servers: 2, external: 7, // 8 cores asked of 4: each gets half
			want: map[int]vmWant{0: {0.5, 0.25}, 1: {0.5, 0.25}},
		},
		"a VM's load is capped at its vCPUs": {
			servers: 1, vmLoad: map[int]float64{0: 64},
			want: map[int]vmWant{0: {2, 0}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c, clk, servers := cpuCloud(t, flat, tt.servers)
			l := sim.Load{VMs: map[string]float64{}, External: map[sim.HypervisorRef]float64{{Region: "r", Name: "r-hv-001"}: tt.external}}
			for i, d := range tt.vmLoad {
				l.VMs[servers[i].ID] = d
			}
			g.Expect(c.SetLoad(l)).To(Succeed())
			clk.Step(30 * time.Second)
			got := vmCPUs(c)
			for i, want := range tt.want {
				v := got[fmt.Sprintf("s%d", i)]
				g.Expect(v.Demand).To(BeNumerically("~", want.demand, 1e-9), "demand of s%d", i)
				g.Expect(v.Steal).To(BeNumerically("~", want.steal, 1e-9), "steal of s%d", i)
				// Counters: 30 s of it, and every vCPU second is in one mode.
				g.Expect(v.StealSeconds).To(BeNumerically("~", 30*want.steal, 1e-6))
				g.Expect(v.User + v.System).To(BeNumerically("~", 30*(want.demand-want.steal), 1e-6))
				g.Expect(v.System).To(BeNumerically("~", 0.2*(v.User+v.System), 1e-6))
				g.Expect(v.User + v.System + v.Idle + v.StealSeconds).To(BeNumerically("~", 30*2, 1e-6))
			}
			hvs := c.HypervisorCPUs("r")
			g.Expect(hvs).To(HaveLen(1))
			g.Expect(hvs[0].External).To(Equal(tt.external))
			g.Expect(hvs[0].VMs).To(Equal(tt.servers))
		})
	}
}

func TestCPULoadClearAndChange(t *testing.T) {
	g := NewWithT(t)
	c, clk, servers := cpuCloud(t, flat, 2)
	hv := sim.HypervisorRef{Region: "r", Name: "r-hv-001"}
	clk.Step(10 * time.Second)
	g.Expect(vmCPUs(c)["s0"].StealSeconds).To(BeZero())

	g.Expect(c.SetLoad(sim.Load{External: map[sim.HypervisorRef]float64{hv: 7}})).To(Succeed())
	clk.Step(10 * time.Second)
	g.Expect(vmCPUs(c)["s0"].StealSeconds).To(BeNumerically("~", 2.5, 1e-9)) // 10 s of 0.25 cores

	// Clearing stops the steal; the counter keeps what it counted.
	g.Expect(c.SetLoad(sim.Load{})).To(Succeed())
	clk.Step(20 * time.Second)
	v := vmCPUs(c)["s0"]
	g.Expect(v.Steal).To(BeZero())
	g.Expect(v.StealSeconds).To(BeNumerically("~", 2.5, 1e-9))
	g.Expect(v.User + v.System).To(BeNumerically("~", 40*0.5-2.5, 1e-9))

	// A VM deleted no longer takes a share: with s1 gone, the busy s0
	// (2 cores) and 2.5 external cores ask 4.5 of 4.
	g.Expect(c.SetLoad(sim.Load{VMs: map[string]float64{servers[0].ID: 2}, External: map[sim.HypervisorRef]float64{hv: 2.5}})).To(Succeed())
	g.Expect(c.DeleteServer(context.Background(), "r", servers[1].ID)).To(Succeed())
	clk.Step(time.Second)
	got := vmCPUs(c)
	g.Expect(got).NotTo(HaveKey("s1"))
	g.Expect(got["s0"].Steal).To(BeNumerically("~", 2*(1-4/4.5), 1e-9))

	// A load for a VM that comes later applies once it does.
	g.Expect(c.SetLoad(sim.Load{External: map[sim.HypervisorRef]float64{{Region: "r", Name: "r-hv-002"}: 100}})).To(Succeed())
	g.Expect(c.EnsureRegion("r", sim.RegionConfig{Hypervisors: 2, Cores: 4, MemoryGiB: 64})).To(Succeed())
	s, err := c.CreateServer(context.Background(), "r", cloud.CreateRequest{Name: "late", Flavor: "m1.medium"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Hypervisor).To(Equal("r-hv-002"))
	clk.Step(time.Second)
	g.Expect(vmCPUs(c)["late"].Steal).To(BeNumerically("~", 0.5*(1-4/100.5), 1e-9))

	// A region that shrinks loses the hypervisors' figures too.
	g.Expect(c.DeleteServer(context.Background(), "r", s.ID)).To(Succeed())
	g.Expect(c.EnsureRegion("r", sim.RegionConfig{Hypervisors: 1, Cores: 4, MemoryGiB: 64})).To(Succeed())
	g.Expect(c.HypervisorCPUs("")).To(HaveLen(1))
}

func TestCPULoadRefused(t *testing.T) {
	g := NewWithT(t)
	c, _, servers := cpuCloud(t, flat, 1)
	err := c.SetLoad(sim.Load{VMs: map[string]float64{servers[0].ID: -1}})
	g.Expect(err).To(MatchError(ContainSubstring("is not a number of cores")))
	_, err = sim.New(sim.Options{CPU: &sim.CPUProfile{Utilisation: 2}})
	g.Expect(err).To(MatchError(ContainSubstring("between 0 and 1")))
}

// The noise is a function of the VM and the time: reading at the same time
// gives the same figures, demand stays within the profile's bounds and
// changes from step to step, and counters never go back.
func TestCPUNoise(t *testing.T) {
	g := NewWithT(t)
	c, clk, _ := cpuCloud(t, sim.DefaultCPUProfile, 8)
	seen := map[float64]bool{}
	var last sim.VMCPU
	for range 30 {
		clk.Step(7 * time.Second)
		a, b := vmCPUs(c)["s0"], vmCPUs(c)["s0"]
		g.Expect(a).To(Equal(b))
		g.Expect(a.Demand).To(And(BeNumerically(">=", 0.2), BeNumerically("<=", 0.6)))
		g.Expect(a.User).To(BeNumerically(">", last.User))
		g.Expect(a.Idle).To(BeNumerically(">", last.Idle))
		seen[a.Demand] = true
		last = a
	}
	g.Expect(len(seen)).To(BeNumerically(">", 10))
	// A day without reads costs what an hour does, and is still counted.
	clk.Step(24 * time.Hour)
	v := vmCPUs(c)["s0"]
	g.Expect(v.User + v.System + v.Idle + v.StealSeconds).To(BeNumerically("~", 2*(210+86400), 1e-3))
}

// Counters start again from zero when the cloud is loaded again, as a
// node_exporter's do when its VM reboots; rate() expects that.
func TestCPUAfterReload(t *testing.T) {
	g := NewWithT(t)
	path := t.TempDir() + "/sim.json"
	clk := &clock{t: time.Now()}
	c := newCloud(t, sim.Options{StatePath: path, Now: clk.Now}, map[string]sim.RegionConfig{"r": {Hypervisors: 1, Cores: 4, MemoryGiB: 64}})
	_, err := c.CreateServer(context.Background(), "r", cloud.CreateRequest{Name: "s", Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	clk.Step(time.Minute)
	g.Expect(vmCPUs(c)["s"].Idle).To(BeNumerically(">", 30))

	c2, err := sim.New(sim.Options{StatePath: path, Now: clk.Now})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(vmCPUs(c2)["s"].Idle).To(BeZero())
	clk.Step(time.Second)
	g.Expect(vmCPUs(c2)["s"].Idle).To(BeNumerically(">", 0))
}

func TestNodeMetrics(t *testing.T) {
	g := NewWithT(t)
	c, clk, servers := cpuCloud(t, flat, 3)
	g.Expect(c.SetLoad(sim.Load{External: map[sim.HypervisorRef]float64{{Region: "r", Name: "r-hv-001"}: 5.5}})).To(Succeed())
	clk.Step(10 * time.Second)

	var b strings.Builder
	g.Expect((&sim.NodeMetrics{Cloud: c}).Write(&b)).To(Succeed())
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(b.String()))
	g.Expect(err).NotTo(HaveOccurred(), b.String())
	g.Expect(families).To(HaveLen(1))
	f := families["node_cpu_seconds_total"]
	g.Expect(f.GetType().String()).To(Equal("COUNTER"))
	g.Expect(f.GetMetric()).To(HaveLen(3 * 2 * 4)) // VMs, vCPUs, modes

	got := map[string]float64{}
	for _, m := range f.GetMetric() {
		labels := model.LabelSet{}
		for _, l := range m.GetLabel() {
			labels[model.LabelName(l.GetName())] = model.LabelValue(l.GetValue())
		}
		g.Expect(labels).To(HaveLen(3))
		got[labels.String()] = m.GetCounter().GetValue()
	}
	// 7 cores asked of 4: each VM gets 4/7 of its 0.5 cores, over 2 vCPUs.
	key := func(cpu, mode string) string {
		return model.LabelSet{"cpu": model.LabelValue(cpu), "instance": model.LabelValue(servers[1].Address + ":9100"), "mode": model.LabelValue(mode)}.String()
	}
	for _, cpu := range []string{"0", "1"} {
		g.Expect(got).To(HaveKeyWithValue(key(cpu, "steal"), BeNumerically("~", 10*0.5*3/7/2, 1e-3)))
		g.Expect(got).To(HaveKeyWithValue(key(cpu, "user"), BeNumerically("~", 10*0.5*4/7/2*0.8, 1e-3)))
		g.Expect(got).To(HaveKeyWithValue(key(cpu, "system"), BeNumerically("~", 10*0.5*4/7/2*0.2, 1e-3)))
		g.Expect(got).To(HaveKeyWithValue(key(cpu, "idle"), BeNumerically("~", 10*1.5/2, 1e-3)))
	}
	g.Expect(cloud.NodeExporterInstance("10.10.0.1")).To(Equal("10.10.0.1:9100"))
}
