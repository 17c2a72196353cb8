package sim_test

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

func TestEnsureRegion(t *testing.T) {
	tests := map[string]struct {
		// first is applied to a new region, then servers are placed, then second.
		first sim.RegionConfig
		// servers is the number of m1.small servers created between the two calls;
		// with no spread key they fill hypervisors least-allocated first.
		servers int
		second  sim.RegionConfig
		// wantErr is a substring of the second call's error; empty means success.
		wantErr string
		// want is the hypervisors after the second call.
		want []sim.Hypervisor
	}{
		"creates numbered hypervisors and is idempotent": {
			first:  small(2),
			second: small(2),
			want: []sim.Hypervisor{
				{Name: "r-hv-001", Cores: 2, VCPUs: 8, MemoryMiB: 16384},
				{Name: "r-hv-002", Cores: 2, VCPUs: 8, MemoryMiB: 16384},
			},
		},
		"grows by appending": {
			first:  small(1),
			second: small(3),
			want: []sim.Hypervisor{
				{Name: "r-hv-001", Cores: 2, VCPUs: 8, MemoryMiB: 16384},
				{Name: "r-hv-002", Cores: 2, VCPUs: 8, MemoryMiB: 16384},
				{Name: "r-hv-003", Cores: 2, VCPUs: 8, MemoryMiB: 16384},
			},
		},
		"shrinks empty trailing hypervisors": {
			first:   small(3),
			servers: 1,
			second:  small(1),
			want: []sim.Hypervisor{
				{Name: "r-hv-001", Cores: 2, VCPUs: 8, AllocatedVCPUs: 1, MemoryMiB: 16384, AllocatedMemoryMiB: 2048, Servers: 1},
			},
		},
		"refuses to remove a hypervisor that hosts servers": {
			first:   small(3),
			servers: 2,
			second:  small(1),
			wantErr: "shrinking region r to 1 hypervisors: r-hv-002 hosts 1 servers",
			want: []sim.Hypervisor{
				{Name: "r-hv-001", Cores: 2, VCPUs: 8, AllocatedVCPUs: 1, MemoryMiB: 16384, AllocatedMemoryMiB: 2048, Servers: 1},
				{Name: "r-hv-002", Cores: 2, VCPUs: 8, AllocatedVCPUs: 1, MemoryMiB: 16384, AllocatedMemoryMiB: 2048, Servers: 1},
				{Name: "r-hv-003", Cores: 2, VCPUs: 8, MemoryMiB: 16384},
			},
		},
		"updates cores, memory and ratio": {
			first:  small(1),
			second: sim.RegionConfig{Hypervisors: 1, Cores: 32, MemoryGiB: 256, CPUOvercommitRatio: 2},
			want:   []sim.Hypervisor{{Name: "r-hv-001", Cores: 32, VCPUs: 64, MemoryMiB: 262144}},
		},
		"defaults the ratio to 4": {
			first:  small(1),
			second: sim.RegionConfig{Hypervisors: 1, Cores: 10, MemoryGiB: 1},
			want:   []sim.Hypervisor{{Name: "r-hv-001", Cores: 10, VCPUs: 40, MemoryMiB: 1024}},
		},
		"rejects a config without cores": {
			first:   small(1),
			second:  sim.RegionConfig{Hypervisors: 1, MemoryGiB: 1},
			wantErr: "positive cores",
			want:    []sim.Hypervisor{{Name: "r-hv-001", Cores: 2, VCPUs: 8, MemoryMiB: 16384}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			c := newCloud(t, sim.Options{}, map[string]sim.RegionConfig{"r": tc.first})
			for range tc.servers {
				_, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
				g.Expect(err).NotTo(HaveOccurred())
			}

			err := c.EnsureRegion("r", tc.second)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
			} else {
				g.Expect(err).NotTo(HaveOccurred())
			}
			g.Expect(c.Hypervisors("r")).To(Equal(tc.want))
		})
	}
}

func TestUnknownRegion(t *testing.T) {
	c := newCloud(t, sim.Options{}, map[string]sim.RegionConfig{"known": small(1)})
	ctx := t.Context()
	calls := map[string]func() error{
		"CreateServer": func() error {
			_, err := c.CreateServer(ctx, "x", cloud.CreateRequest{Flavor: "m1.small"})
			return err
		},
		"DeleteServer": func() error { return c.DeleteServer(ctx, "x", "id") },
		"GetServer":    func() error { _, err := c.GetServer(ctx, "x", "id"); return err },
		"ListServers":  func() error { _, err := c.ListServers(ctx, "x", nil); return err },
		"Capacity":     func() error { _, err := c.Capacity(ctx, "x"); return err },
		"Hypervisors":  func() error { _, err := c.Hypervisors("x"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			err := call()
			g.Expect(cloud.IsNotFound(err)).To(BeTrue())
			g.Expect(err).To(MatchError(`region "x" not found`))
		})
	}
}
