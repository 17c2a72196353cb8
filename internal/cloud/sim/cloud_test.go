package sim_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

func TestFlavors(t *testing.T) {
	g := NewWithT(t)
	g.Expect(sim.Flavors()).To(Equal([]cloud.Flavor{
		{Name: "m1.small", VCPUs: 1, MemoryMiB: 2048},
		{Name: "m1.medium", VCPUs: 2, MemoryMiB: 4096},
		{Name: "m1.large", VCPUs: 4, MemoryMiB: 8192},
		{Name: "m1.xlarge", VCPUs: 8, MemoryMiB: 16384},
		{Name: "m1.2xlarge", VCPUs: 16, MemoryMiB: 32768},
	}))
	sim.Flavors()[0].VCPUs = 99 // callers get a copy
	g.Expect(sim.Flavors()[0].VCPUs).To(Equal(int32(1)))
}

func TestPlacement(t *testing.T) {
	tests := map[string]struct {
		// region is the one region "r" the requests go to.
		region sim.RegionConfig
		// requests are created in order.
		requests []cloud.CreateRequest
		// want is the hypervisor suffix each request lands on.
		want []string
	}{
		"spreads servers with the same key": {
			region: small(3),
			requests: []cloud.CreateRequest{
				{Flavor: "m1.small", SpreadKey: "a"},
				{Flavor: "m1.small", SpreadKey: "a"},
				{Flavor: "m1.small", SpreadKey: "a"},
				{Flavor: "m1.small", SpreadKey: "a"},
			},
			want: []string{"001", "002", "003", "001"},
		},
		"spread beats least allocated": {
			region: small(2),
			requests: []cloud.CreateRequest{
				{Flavor: "m1.large", SpreadKey: "b"},
				{Flavor: "m1.small", SpreadKey: "a"},
				{Flavor: "m1.small", SpreadKey: "a"},
			},
			want: []string{"001", "002", "001"},
		},
		"least allocated vCPUs, then name": {
			region: small(3),
			requests: []cloud.CreateRequest{
				{Flavor: "m1.large"},
				{Flavor: "m1.medium"},
				{Flavor: "m1.small"},
				{Flavor: "m1.small"},
				{Flavor: "m1.small"},
			},
			want: []string{"001", "002", "003", "003", "002"},
		},
		"skips a hypervisor without free vCPUs": {
			region: small(2),
			requests: []cloud.CreateRequest{
				{Flavor: "m1.xlarge"},
				{Flavor: "m1.small", SpreadKey: "a"},
				{Flavor: "m1.small", SpreadKey: "a"},
			},
			want: []string{"001", "002", "002"},
		},
		"never overcommits memory": {
			region: sim.RegionConfig{Hypervisors: 2, Cores: 16, MemoryGiB: 8},
			requests: []cloud.CreateRequest{
				{Flavor: "m1.large"},
				{Flavor: "m1.small", SpreadKey: "a"},
				{Flavor: "m1.small", SpreadKey: "a"},
			},
			want: []string{"001", "002", "002"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c := newCloud(t, sim.Options{}, map[string]sim.RegionConfig{"r": tc.region})
			var got []string
			for _, req := range tc.requests {
				s, err := c.CreateServer(t.Context(), "r", req)
				g.Expect(err).NotTo(HaveOccurred())
				got = append(got, strings.TrimPrefix(s.Hypervisor, "r-hv-"))
			}
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

// DifferentHostFrom keeps a VM off the hypervisors of the servers it names
// (an evacuation's replacement off the noisy one), even where spread and
// allocation would put it there; a server that is gone is ignored.
func TestPlacementDifferentHost(t *testing.T) {
	g := NewWithT(t)
	c := newCloud(t, sim.Options{}, map[string]sim.RegionConfig{"r": small(2)})
	ctx := t.Context()
	old, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small", SpreadKey: "a"})
	g.Expect(err).NotTo(HaveOccurred())
	busy, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.large"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(busy.Hypervisor).NotTo(Equal(old.Hypervisor))
	// Least allocated and no spread conflict would pick old's hypervisor.
	repl, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small", DifferentHostFrom: []string{old.ID}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(repl.Hypervisor).To(Equal(busy.Hypervisor))

	g.Expect(c.DeleteServer(ctx, "r", old.ID)).To(Succeed())
	again, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small", DifferentHostFrom: []string{old.ID}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.Hypervisor).To(Equal(old.Hypervisor))

	// Avoiding every hypervisor leaves none: a capacity error, nothing created.
	_, err = c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small", DifferentHostFrom: []string{repl.ID, again.ID}})
	g.Expect(cloud.IsCapacity(err)).To(BeTrue(), "%v", err)
}

func TestCreateServerErrors(t *testing.T) {
	tests := map[string]struct {
		// fill is created first and must succeed.
		fill []string
		// flavor is then requested.
		flavor string
		// is is the error class expected.
		is error
		// wantErr is the exact message.
		wantErr string
	}{
		"unknown flavor lists valid ones": {
			flavor:  "m1.huge",
			is:      cloud.ErrInvalidFlavor,
			wantErr: `unknown flavor "m1.huge" (valid flavors: m1.small, m1.medium, m1.large, m1.xlarge, m1.2xlarge)`,
		},
		"full region explains what is free": {
			fill:    []string{"m1.xlarge", "m1.large", "m1.medium"},
			flavor:  "m1.large",
			is:      cloud.ErrCapacity,
			wantErr: "region tokyo-1 is full: no hypervisor has 4 vCPUs and 8192 MiB free (largest free: 2 vCPUs, 4096 MiB; 14/16 vCPUs used)",
		},
		"flavor larger than any hypervisor": {
			flavor:  "m1.2xlarge",
			is:      cloud.ErrCapacity,
			wantErr: "region tokyo-1 is full: no hypervisor has 16 vCPUs and 32768 MiB free (largest free: 8 vCPUs, 16384 MiB; 0/16 vCPUs used)",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c := newCloud(t, sim.Options{}, map[string]sim.RegionConfig{"tokyo-1": small(2)})
			for _, f := range tc.fill {
				_, err := c.CreateServer(t.Context(), "tokyo-1", cloud.CreateRequest{Flavor: f})
				g.Expect(err).NotTo(HaveOccurred())
			}
			before, err := c.Capacity(t.Context(), "tokyo-1")
			g.Expect(err).NotTo(HaveOccurred())

			_, err = c.CreateServer(t.Context(), "tokyo-1", cloud.CreateRequest{Flavor: tc.flavor})
			g.Expect(err).To(MatchError(tc.is))
			g.Expect(err).To(MatchError(tc.wantErr))
			g.Expect(c.Capacity(t.Context(), "tokyo-1")).To(Equal(before))
		})
	}
}

func TestCreateServer(t *testing.T) {
	g := NewWithT(t)
	clk := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)}
	c := newCloud(t, sim.Options{Now: clk.Now}, map[string]sim.RegionConfig{"a": small(1), "b": small(1)})
	tags := map[string]string{"kumo.dev/machine": "m-1"}

	s, err := c.CreateServer(t.Context(), "a", cloud.CreateRequest{Name: "m-1", Flavor: "m1.medium", Tags: tags})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.ID).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
	g.Expect(*s).To(Equal(cloud.Server{
		ID: s.ID, Name: "m-1", Region: "a", Flavor: "m1.medium", VCPUs: 2, MemoryMiB: 4096,
		Hypervisor: "a-hv-001", Address: "10.10.0.1", Status: cloud.ServerActive,
		Tags: tags, Created: clk.Now(),
	}))

	tags["kumo.dev/machine"] = "changed" // the cloud keeps its own copy
	got, err := c.GetServer(t.Context(), "a", s.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(s))
	g.Expect(got.Tags).To(HaveKeyWithValue("kumo.dev/machine", "m-1"))

	// Addresses count up per region; each region has its own /16.
	s2, err := c.CreateServer(t.Context(), "a", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s2.Address).To(Equal("10.10.0.2"))
	s3, err := c.CreateServer(t.Context(), "b", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s3.Address).To(Equal("10.11.0.1"))

	_, err = c.GetServer(t.Context(), "a", s3.ID)
	g.Expect(cloud.IsNotFound(err)).To(BeTrue())
	g.Expect(err).To(MatchError(fmt.Sprintf("server %q not found in region a", s3.ID)))
}

func TestDeleteServer(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	c := newCloud(t, sim.Options{}, map[string]sim.RegionConfig{"r": small(1)})
	s, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.xlarge"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(cloud.IsCapacity(err)).To(BeTrue())

	g.Expect(c.DeleteServer(ctx, "r", s.ID)).To(Succeed())
	g.Expect(c.DeleteServer(ctx, "r", s.ID)).To(Succeed(), "deleting twice is not an error")
	g.Expect(c.DeleteServer(ctx, "r", "never-existed")).To(Succeed())
	g.Expect(c.Capacity(ctx, "r")).To(Equal(&cloud.Capacity{Hypervisors: 1, VCPUs: 8, MemoryMiB: 16384}))
	_, err = c.GetServer(ctx, "r", s.ID)
	g.Expect(cloud.IsNotFound(err)).To(BeTrue())

	s2, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.xlarge"})
	g.Expect(err).NotTo(HaveOccurred(), "the freed capacity is usable again")
	g.Expect(s2.Address).To(Equal("10.10.0.2"), "a freed address is not reused right away")
	g.Expect(c.Capacity(ctx, "r")).To(Equal(&cloud.Capacity{
		Hypervisors: 1, VCPUs: 8, UsedVCPUs: 8, MemoryMiB: 16384, UsedMemoryMiB: 16384, Servers: 1,
	}))
}

func TestListServers(t *testing.T) {
	clk := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newCloud(t, sim.Options{Now: clk.Now}, map[string]sim.RegionConfig{"r": small(4)})
	create := func(name string, tags map[string]string) {
		_, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Name: name, Flavor: "m1.small", Tags: tags})
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		clk.Step(time.Second)
	}
	create("a1", map[string]string{"cluster": "a", "pool": "p1"})
	create("b1", map[string]string{"cluster": "b", "pool": "p1"})
	create("a2", map[string]string{"cluster": "a", "pool": "p2"})
	create("untagged", nil)
	create("empty", map[string]string{"cluster": ""})

	tests := map[string]struct {
		// tags is the filter.
		tags map[string]string
		// want is the names listed, oldest first.
		want []string
	}{
		"nil lists all":             {tags: nil, want: []string{"a1", "b1", "a2", "untagged", "empty"}},
		"one tag":                   {tags: map[string]string{"cluster": "a"}, want: []string{"a1", "a2"}},
		"every tag must match":      {tags: map[string]string{"cluster": "a", "pool": "p1"}, want: []string{"a1"}},
		"no match":                  {tags: map[string]string{"cluster": "c"}, want: []string{}},
		"empty value needs the key": {tags: map[string]string{"cluster": ""}, want: []string{"empty"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := c.ListServers(t.Context(), "r", tc.tags)
			g.Expect(err).NotTo(HaveOccurred())
			names := []string{}
			for _, s := range got {
				names = append(names, s.Name)
			}
			g.Expect(names).To(Equal(tc.want))
		})
	}
}

func TestBootDelay(t *testing.T) {
	g := NewWithT(t)
	clk := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newCloud(t, sim.Options{Now: clk.Now, BootDelay: time.Minute}, map[string]sim.RegionConfig{"r": small(1)})
	s, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Status).To(Equal(cloud.ServerBuilding))

	status := func() cloud.ServerStatus {
		got, err := c.GetServer(t.Context(), "r", s.ID)
		g.Expect(err).NotTo(HaveOccurred())
		return got.Status
	}
	clk.Step(time.Minute - time.Nanosecond)
	g.Expect(status()).To(Equal(cloud.ServerBuilding))
	clk.Step(time.Nanosecond)
	g.Expect(status()).To(Equal(cloud.ServerActive))
	list, err := c.ListServers(t.Context(), "r", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list[0].Status).To(Equal(cloud.ServerActive))
}

func TestFailNext(t *testing.T) {
	boom := errors.New("boom")
	tests := map[string]struct {
		// op is the faulted operation.
		op sim.Op
		// call performs it once.
		call func(ctx context.Context, c *sim.Cloud, id string) error
	}{
		"create": {op: sim.OpCreate, call: func(ctx context.Context, c *sim.Cloud, _ string) error {
			_, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
			return err
		}},
		"delete": {op: sim.OpDelete, call: func(ctx context.Context, c *sim.Cloud, id string) error {
			return c.DeleteServer(ctx, "r", id)
		}},
		"get": {op: sim.OpGet, call: func(ctx context.Context, c *sim.Cloud, id string) error {
			_, err := c.GetServer(ctx, "r", id)
			return err
		}},
		"list": {op: sim.OpList, call: func(ctx context.Context, c *sim.Cloud, _ string) error {
			_, err := c.ListServers(ctx, "r", nil)
			return err
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := t.Context()
			c := newCloud(t, sim.Options{}, map[string]sim.RegionConfig{"r": small(1)})
			s, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
			g.Expect(err).NotTo(HaveOccurred())
			before, err := c.Capacity(ctx, "r")
			g.Expect(err).NotTo(HaveOccurred())

			c.FailNext(tc.op, 2, boom)
			g.Expect(tc.call(ctx, c, s.ID)).To(MatchError(boom))
			g.Expect(tc.call(ctx, c, s.ID)).To(MatchError(boom))
			g.Expect(c.Capacity(ctx, "r")).To(Equal(before), "a failed call changes nothing")
			g.Expect(tc.call(ctx, c, s.ID)).To(Succeed(), "only the next n calls fail")

			c.FailNext(tc.op, 5, nil)
			g.Expect(tc.call(ctx, c, s.ID)).To(MatchError(ContainSubstring("injected")))
			c.FailNext(tc.op, 0, nil)
			g.Expect(tc.call(ctx, c, s.ID)).To(Succeed(), "n = 0 clears the fault")
		})
	}
}

func TestAPILatencyHonoursContext(t *testing.T) {
	g := NewWithT(t)
	c := newCloud(t, sim.Options{APILatency: time.Hour}, map[string]sim.RegionConfig{"r": small(1)})
	ctx, cancel := context.WithCancel(t.Context())
	go cancel()
	_, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).To(MatchError(context.Canceled))

	ctx, cancel = context.WithTimeout(t.Context(), time.Millisecond)
	defer cancel()
	_, err = c.Capacity(ctx, "r")
	g.Expect(err).To(MatchError(context.DeadlineExceeded))
}

// TestConcurrentCreate races many creators against a small persistent region:
// every server that fits is created, no hypervisor is overcommitted and no
// address is handed out twice.
func TestConcurrentCreate(t *testing.T) {
	g := NewWithT(t)
	path := t.TempDir() + "/state.json"
	c := newCloud(t, sim.Options{StatePath: path, APILatency: time.Microsecond},
		map[string]sim.RegionConfig{"r": small(4)}) // 4 x 8 vCPUs
	const workers = 50
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		created, full int
		unexpected    []error
	)
	for i := range workers {
		wg.Go(func() {
			_, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.medium", SpreadKey: fmt.Sprint(i % 3)})
			if err == nil { // readers run alongside writers
				_, err = c.ListServers(t.Context(), "r", nil)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case cloud.IsCapacity(err):
				full++
			default:
				unexpected = append(unexpected, err)
			}
		})
	}
	wg.Wait()
	g.Expect(unexpected).To(BeEmpty())
	g.Expect(created).To(Equal(16))
	g.Expect(full).To(Equal(workers - 16))

	hvs, err := c.Hypervisors("r")
	g.Expect(err).NotTo(HaveOccurred())
	for _, hv := range hvs {
		g.Expect(hv.AllocatedVCPUs).To(BeNumerically("<=", hv.VCPUs))
	}
	reloaded, err := sim.New(sim.Options{StatePath: path})
	g.Expect(err).NotTo(HaveOccurred())
	servers, err := reloaded.ListServers(t.Context(), "r", nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(servers).To(HaveLen(16))
	addrs := map[string]bool{}
	for _, s := range servers {
		g.Expect(addrs).NotTo(HaveKey(s.Address))
		addrs[s.Address] = true
	}
}
