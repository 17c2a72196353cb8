package sim

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// WriteState saves the cloud's state to path, so that a benchmark can open a
// large persistent cloud without saving it once per server created.
func (c *Cloud) WriteState(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, err := json.Marshal(c.st)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// SetJournalFrom lowers (or raises) the state file size from which changes
// go to the journal, until the end of the test.
func SetJournalFrom(t testing.TB, size int64) {
	old := journalFrom
	journalFrom = size
	t.Cleanup(func() { journalFrom = old })
}

// CheckIndexes recomputes what each region's index holds from its servers,
// the way the sim did on every call before it kept indexes, and says where
// the kept index differs.
func (c *Cloud) CheckIndexes() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(c.st.Regions)) {
		r := c.st.Regions[name]
		if err := r.checkIndex(); err != nil {
			return fmt.Errorf("region %s: %w", name, err)
		}
	}
	return nil
}

func (r *region) checkIndex() error {
	keys := map[string]bool{"": true}
	for _, s := range r.Servers {
		keys[s.SpreadKey] = true
	}
	for key := range keys {
		use := r.scanUsage(key)
		for _, hv := range r.Hypervisors {
			want := use[hv.Name]
			got := r.idx.hypervisors[hv.Name]
			if got != (usage{vcpus: want.vcpus, memMiB: want.memMiB, servers: want.servers}) || r.idx.spread[key][hv.Name] != want.spread {
				return fmt.Errorf("hypervisor %s, spread key %q: index has %+v and %d of the key, servers say %+v",
					hv.Name, key, got, r.idx.spread[key][hv.Name], want)
			}
		}
	}
	// Every entry is of a server there is: none left at zero, none for a
	// key or hypervisor no server has.
	var n int32
	for _, u := range r.idx.hypervisors {
		n += u.servers
	}
	if int(n) != len(r.Servers) || len(r.idx.hypervisors) > len(r.Hypervisors) {
		return fmt.Errorf("index counts %d servers on %d hypervisors, region has %d", n, len(r.idx.hypervisors), len(r.Servers))
	}
	for key, byHV := range r.idx.spread {
		if !keys[key] || key == "" || slices.Contains(slices.Collect(maps.Values(byHV)), 0) {
			return fmt.Errorf("spread key %q: stale entry %v", key, byHV)
		}
	}

	var vcpus, memMiB int64
	addrs := map[string]struct{}{}
	tags := map[tag]map[string]*server{}
	for _, s := range r.Servers {
		vcpus += int64(s.VCPUs)
		memMiB += s.MemoryMiB
		addrs[s.Address] = struct{}{}
		for k, v := range s.Tags {
			if tags[tag{k, v}] == nil {
				tags[tag{k, v}] = map[string]*server{}
			}
			tags[tag{k, v}][s.ID] = s
		}
	}
	if r.idx.vcpus != vcpus || r.idx.memMiB != memMiB {
		return fmt.Errorf("index totals %d vCPUs, %d MiB; servers %d, %d", r.idx.vcpus, r.idx.memMiB, vcpus, memMiB)
	}
	if !reflect.DeepEqual(r.idx.addresses, addrs) {
		return fmt.Errorf("index addresses %v, servers' %v", slices.Sorted(maps.Keys(r.idx.addresses)), slices.Sorted(maps.Keys(addrs)))
	}
	if !reflect.DeepEqual(r.idx.tags, tags) {
		return fmt.Errorf("tag index has %d tags, servers %d", len(r.idx.tags), len(tags))
	}
	return nil
}

// scanned is what scanUsage finds on a hypervisor.
type scanned struct {
	vcpus, servers, spread int32
	memMiB                 int64
}

// scanUsage is the sim's usage before indexes: what is placed on each
// hypervisor, summed over all servers, with the servers of spreadKey.
func (r *region) scanUsage(spreadKey string) map[string]scanned {
	use := map[string]scanned{}
	for _, s := range r.Servers {
		u := use[s.Hypervisor]
		u.vcpus += s.VCPUs
		u.memMiB += s.MemoryMiB
		u.servers++
		if spreadKey != "" && s.SpreadKey == spreadKey {
			u.spread++
		}
		use[s.Hypervisor] = u
	}
	return use
}
