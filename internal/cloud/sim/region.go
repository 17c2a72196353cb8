package sim

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kumo-dev/kumo/internal/cloud"
)

const (
	// DefaultCPUOvercommitRatio is used when RegionConfig leaves the ratio at zero.
	DefaultCPUOvercommitRatio = 4
	// firstOctet is n of the first region's range 10.n.0.0/16; later regions count up.
	firstOctet = 10
	// hostsPerRegion is the usable hosts of a /16 (no network or broadcast address).
	hostsPerRegion = 1<<16 - 2
)

// RegionConfig sizes a region. All hypervisors of a region are alike.
type RegionConfig struct {
	// Hypervisors is how many hypervisors the region has.
	Hypervisors int32
	// Cores is physical cores per hypervisor.
	Cores int32
	// MemoryGiB is memory per hypervisor; memory is never overcommitted.
	MemoryGiB int32
	// CPUOvercommitRatio is vCPUs sold per physical core; 0 means DefaultCPUOvercommitRatio.
	CPUOvercommitRatio int32
}

// Hypervisor is one host of a region and what is placed on it.
type Hypervisor = cloud.Hypervisor

// EnsureRegion creates the region or brings it to cfg. Growing adds
// hypervisors; shrinking removes trailing ones and fails if they host servers;
// cores, memory and ratio changes apply to every hypervisor (servers already
// placed stay, even if that leaves a hypervisor overcommitted).
func (c *Cloud) EnsureRegion(name string, cfg RegionConfig) error {
	if cfg.CPUOvercommitRatio == 0 {
		cfg.CPUOvercommitRatio = DefaultCPUOvercommitRatio
	}
	if name == "" || cfg.Hypervisors < 0 || cfg.Cores <= 0 || cfg.MemoryGiB <= 0 || cfg.CPUOvercommitRatio < 0 {
		return fmt.Errorf("ensuring region %q: need a name, hypervisors >= 0 and positive cores, memory and overcommit ratio, got %+v", name, cfg)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.st.Regions[name]
	if !ok {
		octet := firstOctet + len(c.st.Regions)
		if octet > 255 {
			return fmt.Errorf("ensuring region %q: no address range left (10.%d.0.0/16 would be next)", name, octet)
		}
		r = &region{Name: name, Octet: octet, Servers: map[string]*server{}, idx: newIndex()}
		c.st.Regions[name] = r
	}
	old := *r
	old.Hypervisors = slices.Clone(r.Hypervisors)

	want := int(cfg.Hypervisors)
	if want < len(r.Hypervisors) {
		for _, hv := range r.Hypervisors[want:] {
			if n := r.idx.hypervisors[hv.Name].servers; n > 0 {
				return fmt.Errorf("shrinking region %s to %d hypervisors: %s hosts %d servers; delete them first", name, want, hv.Name, n)
			}
		}
		r.Hypervisors = r.Hypervisors[:want]
	}
	for i := len(r.Hypervisors); i < want; i++ {
		r.Hypervisors = append(r.Hypervisors, hypervisor{Name: HypervisorName(name, i)})
	}
	for i := range r.Hypervisors {
		r.Hypervisors[i].Cores = cfg.Cores
		r.Hypervisors[i].MemoryMiB = int64(cfg.MemoryGiB) * 1024
	}
	r.CPUOvercommitRatio = cfg.CPUOvercommitRatio
	// The region controller ensures its region on every reconcile; saving
	// an unchanged region would rewrite the whole state file each time.
	if ok && r.CPUOvercommitRatio == old.CPUOvercommitRatio && slices.Equal(r.Hypervisors, old.Hypervisors) {
		return nil
	}

	if err := c.save(nil); err != nil {
		if ok {
			*r = old
		} else {
			delete(c.st.Regions, name)
		}
		return fmt.Errorf("ensuring region %q: %w", name, err)
	}
	c.cpu.setHypervisors(r)
	return nil
}

// HypervisorName is the name of the i-th hypervisor (from 0) of a region.
func HypervisorName(region string, i int) string { return fmt.Sprintf("%s-hv-%03d", region, i+1) }

// Hypervisors lists the region's hypervisors in creation order.
func (c *Cloud) Hypervisors(regionName string) ([]Hypervisor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.region(regionName)
	if err != nil {
		return nil, err
	}
	out := make([]Hypervisor, 0, len(r.Hypervisors))
	for _, hv := range r.Hypervisors {
		u := r.idx.hypervisors[hv.Name]
		out = append(out, Hypervisor{
			Name:               hv.Name,
			Cores:              hv.Cores,
			VCPUs:              r.vcpus(hv),
			AllocatedVCPUs:     u.vcpus,
			MemoryMiB:          hv.MemoryMiB,
			AllocatedMemoryMiB: u.memMiB,
			Servers:            u.servers,
		})
	}
	return out, nil
}

// ListHypervisors is Hypervisors for exporters (cloud.HypervisorLister). It
// is an operator's read, not counted against the API rate limit.
func (c *Cloud) ListHypervisors(ctx context.Context, regionName string) ([]Hypervisor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Hypervisors(regionName)
}

// Regions lists the names of the regions, sorted.
func (c *Cloud) Regions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.st.Regions))
}

// region returns the named region; the caller holds c.mu.
func (c *Cloud) region(name string) (*region, error) {
	r, ok := c.st.Regions[name]
	if !ok {
		return nil, errorf(cloud.ErrNotFound, "region %q not found", name)
	}
	return r, nil
}

func (r *region) vcpus(hv hypervisor) int32 { return hv.Cores * r.CPUOvercommitRatio }

// place picks a hypervisor with room for f: fewest servers of the same spread
// key first (anti-affinity), then least allocated vCPUs, then name. It reads
// the index: one step per hypervisor, however many servers there are.
func (r *region) place(f cloud.Flavor, spreadKey string) (string, error) {
	spread := r.idx.spread[spreadKey] // nil for no key: every count is 0
	var (
		best                   *hypervisor
		bestUse                usage
		bestSpread             int32
		maxFreeCPU, maxFreeMem int64 // on the hypervisor with the most free vCPUs, for the error
		totalVCPUs, usedVCPUs  int64
	)
	for i := range r.Hypervisors {
		hv := &r.Hypervisors[i]
		u, n := r.idx.hypervisors[hv.Name], spread[hv.Name]
		freeCPU, freeMem := int64(r.vcpus(*hv)-u.vcpus), hv.MemoryMiB-u.memMiB
		totalVCPUs += int64(r.vcpus(*hv))
		usedVCPUs += int64(u.vcpus)
		if freeCPU > maxFreeCPU || (freeCPU == maxFreeCPU && freeMem > maxFreeMem) {
			maxFreeCPU, maxFreeMem = freeCPU, freeMem
		}
		if freeCPU < int64(f.VCPUs) || freeMem < f.MemoryMiB {
			continue
		}
		if best == nil || cmp.Or(
			cmp.Compare(n, bestSpread),
			cmp.Compare(u.vcpus, bestUse.vcpus),
			strings.Compare(hv.Name, best.Name)) < 0 {
			best, bestUse, bestSpread = hv, u, n
		}
	}
	if best == nil {
		return "", errorf(cloud.ErrCapacity,
			"region %s is full: no hypervisor has %d vCPUs and %d MiB free (largest free: %d vCPUs, %d MiB; %d/%d vCPUs used)",
			r.Name, f.VCPUs, f.MemoryMiB, maxFreeCPU, max(maxFreeMem, 0), usedVCPUs, totalVCPUs)
	}
	return best.Name, nil
}

// allocateAddress hands out the next free host of 10.<octet>.0.0/16 after the
// last one given, so addresses are sequential and a deleted server's address
// comes back only once the range wraps around. Until the range first wraps
// the next host is always free; after that it skips the ones in use.
func (r *region) allocateAddress() (string, error) {
	for range hostsPerRegion {
		h := r.LastHost%hostsPerRegion + 1
		r.LastHost = h
		a := fmt.Sprintf("10.%d.%d.%d", r.Octet, h>>8, h&0xff)
		if _, used := r.idx.addresses[a]; !used {
			return a, nil
		}
	}
	return "", errorf(cloud.ErrCapacity, "region %s has no free address in 10.%d.0.0/16", r.Name, r.Octet)
}
