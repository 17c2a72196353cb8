package sim

// index is what a region derives from its servers, kept up to date server
// by server (addServer, removeServer) so that no call has to scan them all.
// It is never saved: load rebuilds it from the servers, and a change undone
// after a failed save is taken out of it like any other.
type index struct {
	// hypervisors is what is placed on each hypervisor, by name; a
	// hypervisor without servers has no entry.
	hypervisors map[string]usage
	// spread counts servers by spread key, then hypervisor, for
	// anti-affinity; servers without a spread key are not counted.
	spread map[string]map[string]int32
	// addresses holds every address in use.
	addresses map[string]struct{}
	// tags finds servers by tag: key and value, then server ID.
	tags map[tag]map[string]*server
	// vcpus and memMiB are allocated in the whole region.
	vcpus  int64
	memMiB int64
}

// tag is one key=value pair of a server's tags.
type tag struct{ key, value string }

// usage is what is placed on one hypervisor.
type usage struct {
	vcpus   int32
	memMiB  int64
	servers int32
}

func newIndex() *index {
	return &index{
		hypervisors: map[string]usage{},
		spread:      map[string]map[string]int32{},
		addresses:   map[string]struct{}{},
		tags:        map[tag]map[string]*server{},
	}
}

// reindex builds the region's index from its servers, as after a load.
func (r *region) reindex() {
	r.idx = newIndex()
	for _, s := range r.Servers {
		r.idx.add(s)
	}
}

// addServer puts s in the region and its index.
func (r *region) addServer(s *server) {
	r.Servers[s.ID] = s
	r.idx.add(s)
}

// removeServer takes s out of the region and its index.
func (r *region) removeServer(s *server) {
	delete(r.Servers, s.ID)
	r.idx.remove(s)
}

func (x *index) add(s *server) {
	u := x.hypervisors[s.Hypervisor]
	u.vcpus += s.VCPUs
	u.memMiB += s.MemoryMiB
	u.servers++
	x.hypervisors[s.Hypervisor] = u
	x.vcpus += int64(s.VCPUs)
	x.memMiB += s.MemoryMiB
	if s.SpreadKey != "" {
		byHV := x.spread[s.SpreadKey]
		if byHV == nil {
			byHV = map[string]int32{}
			x.spread[s.SpreadKey] = byHV
		}
		byHV[s.Hypervisor]++
	}
	x.addresses[s.Address] = struct{}{}
	for k, v := range s.Tags {
		ids := x.tags[tag{k, v}]
		if ids == nil {
			ids = map[string]*server{}
			x.tags[tag{k, v}] = ids
		}
		ids[s.ID] = s
	}
}

// remove undoes add(s), dropping entries that fall to zero so that the
// index of a region is the same however its servers came and went.
func (x *index) remove(s *server) {
	u := x.hypervisors[s.Hypervisor]
	u.vcpus -= s.VCPUs
	u.memMiB -= s.MemoryMiB
	u.servers--
	if u.servers == 0 {
		delete(x.hypervisors, s.Hypervisor)
	} else {
		x.hypervisors[s.Hypervisor] = u
	}
	x.vcpus -= int64(s.VCPUs)
	x.memMiB -= s.MemoryMiB
	if byHV := x.spread[s.SpreadKey]; s.SpreadKey != "" && byHV != nil {
		if byHV[s.Hypervisor]--; byHV[s.Hypervisor] <= 0 {
			delete(byHV, s.Hypervisor)
		}
		if len(byHV) == 0 {
			delete(x.spread, s.SpreadKey)
		}
	}
	delete(x.addresses, s.Address)
	for k, v := range s.Tags {
		if ids := x.tags[tag{k, v}]; ids != nil {
			delete(ids, s.ID)
			if len(ids) == 0 {
				delete(x.tags, tag{k, v})
			}
		}
	}
}

// find returns the servers carrying every given tag (all for none),
// reading only the servers of the rarest tag asked for.
func (r *region) find(tags map[string]string) []*server {
	if len(tags) == 0 {
		out := make([]*server, 0, len(r.Servers))
		for _, s := range r.Servers {
			out = append(out, s)
		}
		return out
	}
	var rarest map[string]*server
	for k, v := range tags {
		ids := r.idx.tags[tag{k, v}]
		if len(ids) == 0 {
			return nil
		}
		if rarest == nil || len(ids) < len(rarest) {
			rarest = ids
		}
	}
	var out []*server
	for _, s := range rarest {
		if hasTags(s.Tags, tags) {
			out = append(out, s)
		}
	}
	return out
}
