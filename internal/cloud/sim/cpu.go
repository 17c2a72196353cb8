package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"sync"
	"time"
)

// CPUProfile is the CPU demand of a VM that has no load set: a mean share of
// its vCPUs, changed by noise every Step. The demand of step k is a pure
// function of the VM's ID and k, so the same clock gives the same figures.
type CPUProfile struct {
	// Utilisation is the mean share of its vCPUs a VM keeps busy.
	Utilisation float64
	// Noise is how far the demand strays from the mean, as a share of it:
	// mean * (1 + Noise*u) with u uniform in [-1, 1], drawn anew each step.
	Noise float64
	// Step is how long one draw of the noise lasts.
	Step time.Duration
	// SystemShare is the share of the CPU time a VM gets spent in system
	// mode; the rest is user mode.
	SystemShare float64
}

// DefaultCPUProfile keeps a fully sold hypervisor (4 vCPUs a core) at 80%
// of its cores on average: no steal until something gets busy.
var DefaultCPUProfile = CPUProfile{Utilisation: 0.2, Noise: 0.5, Step: 10 * time.Second, SystemShare: 0.2}

// maxGap is how much of a stretch without reads is integrated step by step;
// anything older is integrated as one piece at the demand of its first
// step, so a read after a day costs what a read after an hour does.
const maxGap = time.Hour

// Load is CPU demand set from outside the default profile (kumo sim load).
type Load struct {
	// VMs is the demand of VMs, in cores, by server ID; it is capped at the
	// VM's vCPUs and has no noise.
	VMs map[string]float64
	// External is the demand of the cloud's other tenants (outside Kumo)
	// on a hypervisor, in cores.
	External map[HypervisorRef]float64
}

// HypervisorRef names a hypervisor of a region.
type HypervisorRef struct{ Region, Name string }

// VMCPU is one VM's CPU as of the last read.
type VMCPU struct {
	ID, Name, Region, Hypervisor, Address string
	VCPUs                                 int32
	// Demand is what the VM asks for now, and Steal the part of it that it
	// does not get, in cores.
	Demand, Steal float64
	// User, System, Idle and StealSeconds are the VM's counters, summed
	// over its vCPUs, since the VM was created or the cloud loaded.
	User, System, Idle, StealSeconds float64
}

// HypervisorCPU is one hypervisor's CPU as of the last read.
type HypervisorCPU struct {
	Region, Name string
	Cores        float64
	// External is the demand of the cloud's other tenants; Demand and
	// Steal sum the VMs on the hypervisor, in cores.
	External, Demand, Steal float64
	VMs                     int
}

// cpuModel shares each hypervisor's cores among the demand placed on it.
// It keeps counters per VM and integrates them lazily, per hypervisor, up
// to the time of each read or change: no goroutine, and a read costs one
// pass over the VMs per step since the last one. It has its own lock, so
// that reads (scrapes of 60,000 VMs) never wait for the cloud's API calls
// nor hold them up; the cloud calls it with c.mu held (c.mu, then cpu.mu).
type cpuModel struct {
	mu      sync.Mutex
	profile CPUProfile
	now     func() time.Time
	hvs     map[HypervisorRef]*hvCPU
	vms     map[string]*vmCPU
	load    Load
}

type hvCPU struct {
	ref      HypervisorRef
	cores    float64
	external float64
	vms      []*vmCPU
	// last is when the counters of its VMs were integrated up to (zero:
	// never, the next advance only starts the clock).
	last time.Time
}

type vmCPU struct {
	id, name, address string
	vcpus             int32
	hv                *hvCPU
	pos               int // in hv.vms
	seed              uint64
	load              float64 // demand set with Load; < 0: the profile
	// demand and steal of the step last integrated, in cores.
	demand, steal float64
	// counters, summed over the VM's vCPUs, in seconds
	user, system, idle, stealSeconds float64
}

func newCPUModel(p CPUProfile, now func() time.Time) *cpuModel {
	if p.Step <= 0 {
		p.Step = DefaultCPUProfile.Step
	}
	return &cpuModel{profile: p, now: now, hvs: map[HypervisorRef]*hvCPU{}, vms: map[string]*vmCPU{}}
}

// validate says why a profile cannot be used.
func (p CPUProfile) validate() error {
	if p.Utilisation < 0 || p.Utilisation > 1 || p.Noise < 0 || p.Noise > 1 || p.SystemShare < 0 || p.SystemShare > 1 {
		return fmt.Errorf("CPU profile %+v: utilisation, noise and system share must be between 0 and 1", p)
	}
	return nil
}

// setHypervisors makes the model's hypervisors of region r those of its
// state; the caller holds c.mu.
func (m *cpuModel) setHypervisors(r *region) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	keep := map[string]bool{}
	for _, hv := range r.Hypervisors {
		keep[hv.Name] = true
	}
	for ref, h := range m.hvs {
		if ref.Region == r.Name && !keep[ref.Name] && len(h.vms) == 0 { // the region shrank
			delete(m.hvs, ref)
		}
	}
	for _, hv := range r.Hypervisors {
		ref := HypervisorRef{r.Name, hv.Name}
		h := m.hvs[ref]
		if h == nil {
			h = &hvCPU{ref: ref, external: m.load.External[ref]}
			m.hvs[ref] = h
		}
		if h.cores != float64(hv.Cores) {
			m.advance(h, now)
			h.cores = float64(hv.Cores)
		}
	}
}

// add starts the counters of a server; the caller holds c.mu.
func (m *cpuModel) add(s *server) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := HypervisorRef{s.Region, s.Hypervisor}
	h := m.hvs[ref]
	if h == nil { // a hypervisor removed from the region's config still runs its servers
		h = &hvCPU{ref: ref, external: m.load.External[ref]}
		m.hvs[ref] = h
	}
	m.advance(h, m.now())
	v := &vmCPU{id: s.ID, name: s.Name, address: s.Address, vcpus: s.VCPUs, hv: h, pos: len(h.vms), seed: seedOf(s.ID), load: -1}
	if l, ok := m.load.VMs[s.ID]; ok {
		v.load = l
	}
	v.demand = m.demandAt(v, m.stepOf(h.last))
	h.vms = append(h.vms, v)
	m.vms[s.ID] = v
	m.share(h)
}

// remove drops a server's counters; the caller holds c.mu.
func (m *cpuModel) remove(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.vms[id]
	if v == nil {
		return
	}
	h := v.hv
	m.advance(h, m.now())
	last := h.vms[len(h.vms)-1]
	h.vms[v.pos], last.pos = last, v.pos
	h.vms = h.vms[:len(h.vms)-1]
	delete(m.vms, id)
	m.share(h)
}

// setLoad replaces the load: what it does not name goes back to the
// profile (VMs) or to no external load (hypervisors).
func (m *cpuModel) setLoad(l Load) error {
	for id, d := range l.VMs {
		if !(d >= 0) || math.IsInf(d, 0) {
			return fmt.Errorf("load of VM %s: %v cores is not a number of cores", id, d)
		}
	}
	for ref, d := range l.External {
		if !(d >= 0) || math.IsInf(d, 0) {
			return fmt.Errorf("external load of hypervisor %s/%s: %v cores is not a number of cores", ref.Region, ref.Name, d)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, h := range m.hvs {
		m.advance(h, now)
		h.external = l.External[h.ref]
		for _, v := range h.vms {
			v.load = -1
			if d, ok := l.VMs[v.id]; ok {
				v.load = d
			}
			v.demand = m.demandAt(v, m.stepOf(h.last))
		}
		m.share(h)
	}
	m.load = l
	return nil
}

// stepOf is the number of the profile's step that t falls in.
func (m *cpuModel) stepOf(t time.Time) int64 { return t.UnixNano() / int64(m.profile.Step) }

// advance integrates the counters of h's VMs up to now, step by step; the
// caller holds m.mu.
func (m *cpuModel) advance(h *hvCPU, now time.Time) {
	if h.last.IsZero() {
		h.last = now
		for _, v := range h.vms {
			v.demand = m.demandAt(v, m.stepOf(now))
		}
		m.share(h)
		return
	}
	t := h.last
	if now.Sub(t) > maxGap {
		end := now.Add(-maxGap)
		m.integrate(h, m.stepOf(t), end.Sub(t).Seconds())
		t = end
	}
	step := int64(m.profile.Step)
	for t.Before(now) {
		k := m.stepOf(t)
		end := time.Unix(0, (k+1)*step)
		if end.After(now) {
			end = now
		}
		m.integrate(h, k, end.Sub(t).Seconds())
		t = end
	}
	if now.After(h.last) {
		h.last = now
	}
}

// integrate adds dt seconds of step k to the counters of h's VMs.
func (m *cpuModel) integrate(h *hvCPU, k int64, dt float64) {
	for _, v := range h.vms {
		v.demand = m.demandAt(v, k)
	}
	m.share(h)
	sys := m.profile.SystemShare
	for _, v := range h.vms {
		got := v.demand - v.steal
		v.user += dt * got * (1 - sys)
		v.system += dt * got * sys
		v.stealSeconds += dt * v.steal
		v.idle += dt * (float64(v.vcpus) - v.demand)
	}
}

// share sets the steal of h's VMs from their demand: when everything on
// the hypervisor asks for more than its cores, each gets the same share of
// what it asks for, cores / total demand, and the rest is steal.
func (m *cpuModel) share(h *hvCPU) {
	total := h.external
	for _, v := range h.vms {
		total += v.demand
	}
	given := 1.0
	if total > h.cores {
		given = h.cores / total
	}
	for _, v := range h.vms {
		v.steal = v.demand * (1 - given)
	}
}

// demandAt is the demand of v in step k, in cores, within [0, vCPUs].
func (m *cpuModel) demandAt(v *vmCPU, k int64) float64 {
	n := float64(v.vcpus)
	if v.load >= 0 {
		return min(v.load, n)
	}
	p := m.profile
	u := 2*unitFloat(v.seed^uint64(k)*0x9e3779b97f4a7c15) - 1
	return min(max(p.Utilisation*n*(1+p.Noise*u), 0), n)
}

// vmCPUs appends every VM's CPU, integrated up to now, to dst.
func (m *cpuModel) vmCPUs(dst []VMCPU) []VMCPU {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for _, h := range m.hvs {
		m.advance(h, now)
		for _, v := range h.vms {
			dst = append(dst, VMCPU{
				ID: v.id, Name: v.name, Region: h.ref.Region, Hypervisor: h.ref.Name, Address: v.address, VCPUs: v.vcpus,
				Demand: v.demand, Steal: v.steal,
				User: v.user, System: v.system, Idle: v.idle, StealSeconds: v.stealSeconds,
			})
		}
	}
	return dst
}

// hypervisorCPUs sums the hypervisors of a region ("" for all), as of now.
func (m *cpuModel) hypervisorCPUs(region string) []HypervisorCPU {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []HypervisorCPU
	for _, h := range m.hvs {
		if region != "" && h.ref.Region != region {
			continue
		}
		m.advance(h, now)
		hc := HypervisorCPU{Region: h.ref.Region, Name: h.ref.Name, Cores: h.cores, External: h.external, VMs: len(h.vms)}
		for _, v := range h.vms {
			hc.Demand += v.demand
			hc.Steal += v.steal
		}
		out = append(out, hc)
	}
	return out
}

func seedOf(id string) uint64 {
	f := fnv.New64a()
	_, _ = f.Write([]byte(id))
	return f.Sum64()
}

// unitFloat maps x to [0, 1) through splitmix64's finalizer, so that
// neighbouring steps get unrelated draws.
func unitFloat(x uint64) float64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// SetLoad replaces the CPU load set from outside the default profile
// (kumo sim load): VMs it names demand what it says, hypervisors it names
// carry that much load of the cloud's other tenants, and everything else
// goes back to the default. A VM or hypervisor that does not exist (yet)
// is kept in the load and takes it once it does.
func (c *Cloud) SetLoad(l Load) error {
	if err := c.cpu.setLoad(l); err != nil {
		return fmt.Errorf("setting sim CPU load: %w", err)
	}
	return nil
}

// VMCPUs appends the CPU of every VM, as of now, to dst (pass the slice of
// the last call, emptied, to reuse it).
func (c *Cloud) VMCPUs(dst []VMCPU) []VMCPU { return c.cpu.vmCPUs(dst) }

// HypervisorCPUs returns the CPU of each hypervisor of a region ("" for
// every region), as of now, in no particular order.
func (c *Cloud) HypervisorCPUs(region string) []HypervisorCPU { return c.cpu.hypervisorCPUs(region) }
