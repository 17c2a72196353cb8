package sim_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

func TestPersistence(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	c := newCloud(t, sim.Options{StatePath: path}, map[string]sim.RegionConfig{"a": small(2), "b": small(1)})
	var ids []string
	for range 3 {
		s, err := c.CreateServer(ctx, "a", cloud.CreateRequest{Flavor: "m1.small", SpreadKey: "k", Tags: map[string]string{"t": "v"}})
		g.Expect(err).NotTo(HaveOccurred())
		ids = append(ids, s.ID)
	}
	g.Expect(c.DeleteServer(ctx, "a", ids[1])).To(Succeed()) // the one on hv-002
	wantServers, err := c.ListServers(ctx, "a", nil)
	g.Expect(err).NotTo(HaveOccurred())
	wantHVs, err := c.Hypervisors("a")
	g.Expect(err).NotTo(HaveOccurred())

	c2, err := sim.New(sim.Options{StatePath: path})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c2.ListServers(ctx, "a", nil)).To(Equal(wantServers))
	g.Expect(c2.Hypervisors("a")).To(Equal(wantHVs))
	g.Expect(c2.Hypervisors("b")).To(HaveLen(1))

	// The address counter and the spread key survive too.
	s, err := c2.CreateServer(ctx, "a", cloud.CreateRequest{Flavor: "m1.small", SpreadKey: "k"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Address).To(Equal("10.10.0.4"))
	g.Expect(s.Hypervisor).To(Equal("a-hv-002"), "hv-001 already holds two servers of key k")
	s, err = c2.CreateServer(ctx, "b", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Address).To(Equal("10.11.0.1"))

	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp-*"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(leftovers).To(BeEmpty())
	g.Expect(path+".journal").NotTo(BeAnExistingFile(), "a small cloud is its state file alone")
}

func TestCorruptState(t *testing.T) {
	tests := map[string]struct {
		// content is the state file.
		content string
		// wantErr is a substring of New's error.
		wantErr string
	}{
		"not JSON":      {content: "{not json", wantErr: "is corrupt: invalid character"},
		"empty file":    {content: "", wantErr: "is corrupt: unexpected end of JSON input"},
		"wrong version": {content: `{"version": 99}`, wantErr: "unsupported version 99"},
		"null region":   {content: `{"version": 1, "regions": {"r": null}}`, wantErr: `region "r": missing or misnamed`},
		"null server": {
			content: `{"version": 1, "regions": {"r": {"name": "r", "octet": 10, "cpuOvercommitRatio": 4, "servers": {"s": null}}}}`,
			wantErr: `server "s" is inconsistent`,
		},
		"server on unknown hypervisor": {
			content: `{"version": 1, "regions": {"r": {"name": "r", "octet": 10, "cpuOvercommitRatio": 4,
				"servers": {"s": {"id": "s", "region": "r", "hypervisor": "gone"}}}}}`,
			wantErr: `server "s" is inconsistent`,
		},
		"duplicate octet": {
			content: `{"version": 1, "regions": {
				"a": {"name": "a", "octet": 10, "cpuOvercommitRatio": 4},
				"b": {"name": "b", "octet": 10, "cpuOvercommitRatio": 4}}}`,
			wantErr: "duplicate address octet 10",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			path := filepath.Join(t.TempDir(), "state.json")
			g.Expect(os.WriteFile(path, []byte(tc.content), 0o600)).To(Succeed())
			_, err := sim.New(sim.Options{StatePath: path})
			g.Expect(err).To(MatchError(ContainSubstring(path)))
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
		})
	}
}

// TestSaveFailureChangesNothing makes the state file unwritable (a directory
// in its place) and checks that memory does not run ahead of the file.
func TestSaveFailureChangesNothing(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.json")
	c := newCloud(t, sim.Options{StatePath: path}, map[string]sim.RegionConfig{"r": small(1)})
	s, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.Remove(path)).To(Succeed())
	g.Expect(os.Mkdir(path, 0o700)).To(Succeed())

	_, err = c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).To(MatchError(ContainSubstring("saving sim cloud state")))
	g.Expect(c.DeleteServer(ctx, "r", s.ID)).To(MatchError(ContainSubstring("saving sim cloud state")))
	g.Expect(c.EnsureRegion("r", small(3))).To(MatchError(ContainSubstring("saving sim cloud state")))
	g.Expect(c.EnsureRegion("new", small(3))).To(MatchError(ContainSubstring("saving sim cloud state")))

	g.Expect(c.ListServers(ctx, "r", nil)).To(HaveLen(1))
	g.Expect(c.Hypervisors("r")).To(HaveLen(1))
	_, err = c.Hypervisors("new")
	g.Expect(cloud.IsNotFound(err)).To(BeTrue())

	g.Expect(os.Remove(path)).To(Succeed())
	s2, err := c.CreateServer(ctx, "r", cloud.CreateRequest{Flavor: "m1.small"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s2.Address).To(Equal("10.10.0.2"), "the failed create did not use up an address")
}
