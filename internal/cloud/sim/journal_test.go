package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// journaled is a persistent cloud whose changes go to the journal from the
// first: region "r" and its state file.
func journaled(t *testing.T) (*sim.Cloud, string) {
	t.Helper()
	sim.SetJournalFrom(t, 1)
	path := filepath.Join(t.TempDir(), "sim.json")
	return newCloud(t, sim.Options{StatePath: path}, map[string]sim.RegionConfig{"r": small(16)}), path
}

func fileSize(g Gomega, path string) int64 {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	g.Expect(err).NotTo(HaveOccurred())
	return fi.Size()
}

// serverIDs loads a cloud from path and lists the IDs in region "r".
func serverIDs(g Gomega, path string) []string {
	c, err := sim.New(sim.Options{StatePath: path})
	g.Expect(err).NotTo(HaveOccurred())
	servers, err := c.ListServers(context.Background(), "r", nil)
	g.Expect(err).NotTo(HaveOccurred())
	ids := []string{}
	for _, s := range servers {
		ids = append(ids, s.ID)
	}
	return ids
}

func TestJournal(t *testing.T) {
	g := NewWithT(t)
	c, path := journaled(t)
	var ids []string
	for range 30 {
		s, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
		g.Expect(err).NotTo(HaveOccurred())
		ids = append(ids, s.ID)
		// The journal never outgrows the state file: rewriting it pays
		// for no more than the changes it folds in.
		g.Expect(fileSize(g, path+".journal")).To(BeNumerically("<=", fileSize(g, path)))
	}
	for _, id := range ids[:10] {
		g.Expect(c.DeleteServer(t.Context(), "r", id)).To(Succeed())
	}
	g.Expect(path + ".journal").To(BeAnExistingFile())
	g.Expect(serverIDs(g, path)).To(ConsistOf(ids[10:]), "the state file and its journal are the cloud")

	// The state file alone is behind; with the journal, a rewrite catches up
	// and drops the journal.
	alone := filepath.Join(t.TempDir(), "alone.json")
	data, err := os.ReadFile(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(alone, data, 0o600)).To(Succeed())
	g.Expect(serverIDs(g, alone)).NotTo(ConsistOf(ids[10:]))
	// The region controller ensures an unchanged region on every
	// reconcile: that writes nothing.
	g.Expect(c.EnsureRegion("r", small(16))).To(Succeed())
	g.Expect(path + ".journal").To(BeAnExistingFile())
	g.Expect(c.EnsureRegion("r", small(17))).To(Succeed())
	g.Expect(path + ".journal").NotTo(BeAnExistingFile())
	g.Expect(serverIDs(g, path)).To(ConsistOf(ids[10:]))
}

// TestJournalCrashes plays the crashes a journal has to survive.
func TestJournalCrashes(t *testing.T) {
	t.Run("a torn last line is dropped, and the next change rewrites", func(t *testing.T) {
		g := NewWithT(t)
		c, path := journaled(t)
		s, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
		g.Expect(err).NotTo(HaveOccurred())
		s2, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(path + ".journal").To(BeAnExistingFile())
		appendTo(g, path+".journal", `{"seq":99,"op":"create","region":"r","serv`)

		after, err := sim.New(sim.Options{StatePath: path})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(serverIDs(g, path)).To(ConsistOf(s.ID, s2.ID))
		s3, err := after.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(path+".journal").NotTo(BeAnExistingFile(), "nothing is appended after a torn line")
		g.Expect(serverIDs(g, path)).To(ConsistOf(s.ID, s2.ID, s3.ID))
	})

	t.Run("a journal left behind by a rewrite changes nothing", func(t *testing.T) {
		g := NewWithT(t)
		c, path := journaled(t)
		s, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
		g.Expect(err).NotTo(HaveOccurred())
		stale, err := os.ReadFile(path + ".journal") // creates s
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.DeleteServer(t.Context(), "r", s.ID)).To(Succeed())
		g.Expect(c.EnsureRegion("r", small(17))).To(Succeed()) // rewrites
		// The crash came between the rename of the new state file and the
		// removal of the journal.
		g.Expect(os.WriteFile(path+".journal", stale, 0o600)).To(Succeed())
		g.Expect(serverIDs(g, path)).To(BeEmpty(), "the deleted server stays deleted")
	})

	tests := map[string]struct {
		// journal is the journal's content.
		journal string
		// wantErr is a substring of New's error.
		wantErr string
	}{
		"a bad line before others": {
			journal: "not json\n{}\n",
			wantErr: "is corrupt: invalid character",
		},
		"a gap in the changes": {
			journal: `{"seq":5,"op":"delete","region":"r","id":"x"}` + "\n",
			wantErr: "change 5 does not follow change 2 of the state file",
		},
		"a change of an unknown region": {
			journal: `{"seq":3,"op":"delete","region":"nowhere","id":"x"}` + "\n",
			wantErr: `change 3: unknown region "nowhere"`,
		},
		"a server on an unknown hypervisor": {
			journal: `{"seq":3,"op":"create","region":"r","server":{"id":"x","region":"r","hypervisor":"gone"}}` + "\n",
			wantErr: `server "x" is inconsistent`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			path := filepath.Join(t.TempDir(), "sim.json")
			// Two changes: the region, then a server.
			c := newCloud(t, sim.Options{StatePath: path}, map[string]sim.RegionConfig{"r": small(1)})
			_, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(os.WriteFile(path+".journal", []byte(tc.journal), 0o600)).To(Succeed())
			_, err = sim.New(sim.Options{StatePath: path})
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
			g.Expect(err).To(MatchError(ContainSubstring(path)))
		})
	}
}

func appendTo(g Gomega, path, s string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = f.WriteString(s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Close()).To(Succeed())
}

// TestLoadsStateFileBeforeJournal: a state file written before the journal
// (no seq) loads, and its address counter goes on, wrapping around past the
// addresses still in use.
func TestLoadsStateFileBeforeJournal(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "sim.json")
	g.Expect(os.WriteFile(path, []byte(`{
  "version": 1,
  "regions": {
    "r": {
      "name": "r",
      "octet": 10,
      "cpuOvercommitRatio": 4,
      "hypervisors": [{"name": "r-hv-001", "cores": 2, "memoryMiB": 16384}],
      "servers": {
        "s-1": {"id": "s-1", "name": "old", "region": "r", "flavor": "m1.small", "vcpus": 1, "memoryMiB": 2048,
          "hypervisor": "r-hv-001", "address": "10.10.0.1", "status": "", "created": "2030-01-01T00:00:00Z"}
      },
      "lastHost": 65533
    }
  }
}`), 0o600)).To(Succeed())
	c, err := sim.New(sim.Options{StatePath: path})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.CheckIndexes()).To(Succeed())
	g.Expect(c.Capacity(t.Context(), "r")).To(Equal(&cloud.Capacity{
		Hypervisors: 1, VCPUs: 8, UsedVCPUs: 1, MemoryMiB: 16384, UsedMemoryMiB: 2048, Servers: 1,
	}))
	var addrs []string
	for range 2 {
		s, err := c.CreateServer(t.Context(), "r", cloud.CreateRequest{Flavor: "m1.small"})
		g.Expect(err).NotTo(HaveOccurred())
		addrs = append(addrs, s.Address)
	}
	g.Expect(addrs).To(Equal([]string{"10.10.255.254", "10.10.0.2"}))
}
