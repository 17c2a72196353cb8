package sim

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kumo-dev/kumo/internal/cloud"
)

// Options configures a Cloud.
type Options struct {
	// StatePath is the JSON file the cloud is loaded from and saved to
	// before each change returns; empty keeps the cloud in memory only. Once
	// the file passes 64 KiB (about 100 servers), changes are appended to a
	// journal beside it (StatePath + ".journal") that the next rewrite folds
	// in: a copy of a large cloud must take both files.
	StatePath string
	// BootDelay is how long a new server stays BUILD before it is ACTIVE.
	BootDelay time.Duration
	// APILatency is added to every Provider call, like a real API round trip.
	APILatency time.Duration
	// Now is the clock; nil means time.Now. Tests inject one to step past BootDelay.
	Now func() time.Time
	// RateLimit is the API rate limit that every Provider call counts
	// against, as a real cloud's API has one; the zero value is no limit.
	RateLimit RateLimit
	// CPU is the demand of VMs without load set; nil means DefaultCPUProfile.
	CPU *CPUProfile
}

// RateLimit is a token bucket: a call takes a token, and one that finds
// none is refused with cloud.ErrRateLimited, changes nothing, and says (in
// cloud.RetryAfter) when the next token comes.
type RateLimit struct {
	// QPS is how many tokens come per second; 0 means no limit.
	QPS float64
	// Burst is how many tokens the bucket holds; below 1 counts as 1.
	Burst int
}

// Op names a Provider call for fault injection.
type Op string

const (
	OpCreate Op = "create"
	OpDelete Op = "delete"
	OpGet    Op = "get"
	OpList   Op = "list"
)

// Cloud is an in-process private cloud. It is safe for concurrent use, but
// two Clouds must not share a state file at the same time.
type Cloud struct {
	opts Options

	mu     sync.Mutex
	st     *state
	disk   disk
	faults map[Op]fault
	// limiter enforces opts.RateLimit (nil: no limit); refused counts the
	// calls it refused.
	limiter *rate.Limiter
	refused int
	// cpu models the VMs' CPU demand and steal; it has its own lock.
	cpu *cpuModel
}

type fault struct {
	n   int
	err error
}

var _ cloud.Provider = (*Cloud)(nil)

// New loads the cloud from opts.StatePath (a missing file is an empty cloud).
func New(opts Options) (*Cloud, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StatePath != "" {
		if err := os.MkdirAll(filepath.Dir(opts.StatePath), 0o755); err != nil {
			return nil, fmt.Errorf("creating sim cloud state directory: %w", err)
		}
	}
	profile := DefaultCPUProfile
	if opts.CPU != nil {
		profile = *opts.CPU
	}
	if err := profile.validate(); err != nil {
		return nil, err
	}
	st, d, err := load(opts.StatePath)
	if err != nil {
		return nil, err
	}
	c := &Cloud{opts: opts, st: st, disk: d, faults: map[Op]fault{}, cpu: newCPUModel(profile, opts.Now)}
	for _, r := range st.Regions {
		c.cpu.setHypervisors(r)
		for _, s := range r.Servers {
			c.cpu.add(s)
		}
	}
	c.SetRateLimit(opts.RateLimit)
	return c, nil
}

// SetRateLimit changes the API rate limit from now on, as the operator of a
// real cloud may; the zero RateLimit lifts it.
func (c *Cloud) SetRateLimit(l RateLimit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opts.RateLimit, c.limiter = l, nil
	if l.QPS > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(l.QPS), max(l.Burst, 1))
	}
}

// RateLimited returns how many calls the rate limit has refused.
func (c *Cloud) RateLimited() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused
}

// FailNext makes the next n calls of op return err without touching state.
// n <= 0 clears the fault; a nil err stands for a generic injected failure.
func (c *Cloud) FailNext(op Op, n int, err error) {
	if err == nil {
		err = fmt.Errorf("sim: injected %s failure", op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n <= 0 {
		delete(c.faults, op)
		return
	}
	c.faults[op] = fault{n: n, err: err}
}

// CreateServer places a server on a hypervisor of the region and gives it an address.
func (c *Cloud) CreateServer(ctx context.Context, regionName string, req cloud.CreateRequest) (*cloud.Server, error) {
	if err := c.enter(ctx, OpCreate); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	r, err := c.region(regionName)
	if err != nil {
		return nil, err
	}
	f, err := lookupFlavor(req.Flavor)
	if err != nil {
		return nil, err
	}
	hv, err := r.place(f, req.SpreadKey)
	if err != nil {
		return nil, err
	}
	lastHost := r.LastHost
	addr, err := r.allocateAddress()
	if err != nil {
		return nil, err
	}
	s := &server{
		Server: cloud.Server{
			ID:         newID(),
			Name:       req.Name,
			Region:     r.Name,
			Flavor:     f.Name,
			VCPUs:      f.VCPUs,
			MemoryMiB:  f.MemoryMiB,
			Hypervisor: hv,
			Address:    addr,
			Tags:       cloneTags(req.Tags),
			// UTC without a monotonic reading, so it compares equal after a reload.
			Created: c.opts.Now().UTC().Round(0),
		},
		SpreadKey: req.SpreadKey,
	}
	r.addServer(s)
	if err := c.save(&change{Op: OpCreate, Region: r.Name, Server: s, LastHost: r.LastHost}); err != nil {
		r.removeServer(s)
		r.LastHost = lastHost
		return nil, err
	}
	c.cpu.add(s)
	out := c.view(s)
	return &out, nil
}

// DeleteServer removes a server and frees its capacity; an unknown ID is not an error.
func (c *Cloud) DeleteServer(ctx context.Context, regionName, id string) error {
	if err := c.enter(ctx, OpDelete); err != nil {
		return err
	}
	defer c.mu.Unlock()
	r, err := c.region(regionName)
	if err != nil {
		return err
	}
	s, ok := r.Servers[id]
	if !ok {
		return nil
	}
	r.removeServer(s)
	if err := c.save(&change{Op: OpDelete, Region: r.Name, ID: id}); err != nil {
		r.addServer(s)
		return err
	}
	c.cpu.remove(id)
	return nil
}

// GetServer returns one server, or an error wrapping cloud.ErrNotFound.
func (c *Cloud) GetServer(ctx context.Context, regionName, id string) (*cloud.Server, error) {
	if err := c.enter(ctx, OpGet); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	r, err := c.region(regionName)
	if err != nil {
		return nil, err
	}
	s, ok := r.Servers[id]
	if !ok {
		return nil, errorf(cloud.ErrNotFound, "server %q not found in region %s", id, regionName)
	}
	out := c.view(s)
	return &out, nil
}

// ListServers returns the servers carrying every given tag, oldest first.
// With tags it reads only servers that carry the rarest of them.
func (c *Cloud) ListServers(ctx context.Context, regionName string, tags map[string]string) ([]cloud.Server, error) {
	if err := c.enter(ctx, OpList); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	r, err := c.region(regionName)
	if err != nil {
		return nil, err
	}
	found := r.find(tags)
	out := make([]cloud.Server, 0, len(found))
	for _, s := range found {
		out = append(out, c.view(s))
	}
	slices.SortFunc(out, func(a, b cloud.Server) int {
		if n := a.Created.Compare(b.Created); n != 0 {
			return n
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Capacity sums the region's hypervisors; what is used is kept as servers come and go.
func (c *Cloud) Capacity(ctx context.Context, regionName string) (*cloud.Capacity, error) {
	if err := c.enter(ctx, ""); err != nil { // no Op: Capacity has no injectable fault
		return nil, err
	}
	defer c.mu.Unlock()
	r, err := c.region(regionName)
	if err != nil {
		return nil, err
	}
	capa := &cloud.Capacity{
		Hypervisors: int32(len(r.Hypervisors)), Servers: int32(len(r.Servers)),
		UsedVCPUs: r.idx.vcpus, UsedMemoryMiB: r.idx.memMiB,
	}
	for _, hv := range r.Hypervisors {
		capa.VCPUs += int64(r.vcpus(hv))
		capa.MemoryMiB += hv.MemoryMiB
	}
	return capa, nil
}

// enter waits out the API latency, then takes c.mu, a token of the rate
// limit and an injected fault for op. On success the caller holds c.mu and
// must unlock it.
func (c *Cloud) enter(ctx context.Context, op Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d := c.opts.APILatency; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	c.mu.Lock()
	if err := c.admit(); err != nil {
		c.mu.Unlock()
		return err
	}
	if f, ok := c.faults[op]; ok {
		if f.n--; f.n > 0 {
			c.faults[op] = f
		} else {
			delete(c.faults, op)
		}
		c.mu.Unlock()
		return f.err
	}
	return nil
}

// admit takes a token of the rate limit, or refuses the call with the
// time until the next token; the caller holds c.mu.
func (c *Cloud) admit() error {
	if c.limiter == nil {
		return nil
	}
	now := c.opts.Now()
	r := c.limiter.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	if wait == 0 {
		return nil
	}
	r.CancelAt(now) // a refused call takes no token
	c.refused++
	l := c.opts.RateLimit
	return cloud.WithRetryAfter(errorf(cloud.ErrRateLimited,
		"too many API calls: the limit is %g per second (burst %d); retry after %s", l.QPS, max(l.Burst, 1), wait.Round(time.Millisecond)), wait)
}

// view is the caller's copy of s, with the status the clock implies.
func (c *Cloud) view(s *server) cloud.Server {
	out := s.Server
	out.Tags = cloneTags(s.Tags)
	out.Status = cloud.ServerActive
	if c.opts.Now().Before(s.Created.Add(c.opts.BootDelay)) {
		out.Status = cloud.ServerBuilding
	}
	return out
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func cloneTags(tags map[string]string) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	return maps.Clone(tags)
}

// newID returns a random version 4 UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Flavors lists the VM sizes of a region: every sim region offers the same.
func (c *Cloud) Flavors(ctx context.Context, regionName string) ([]cloud.Flavor, error) {
	if err := c.enter(ctx, ""); err != nil {
		return nil, err
	}
	defer c.mu.Unlock()
	if _, err := c.region(regionName); err != nil {
		return nil, err
	}
	return Flavors(), nil
}
