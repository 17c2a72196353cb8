package sim_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// TestIndexesFollowServers drives a persistent cloud through random creates,
// deletes, region changes and failed saves. After each step the indexes must
// equal what a scan of the servers gives (the sim before indexes), a failed
// save must change nothing, and every few steps a cloud loaded from the
// files, as after a crash, must be the same cloud.
func TestIndexesFollowServers(t *testing.T) {
	tests := map[string]struct {
		// journalFrom is the state file size from which changes go to the journal.
		journalFrom int64
		// journal says whether a journal is expected at times.
		journal bool
	}{
		"every change rewrites the state file": {journalFrom: 1 << 40},
		"changes go to the journal":            {journalFrom: 4 << 10, journal: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			sim.SetJournalFrom(t, tc.journalFrom)
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "sim.json")
			clk := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
			regions := []string{"a", "b"}
			c := newCloud(t, sim.Options{StatePath: path, Now: clk.Now}, map[string]sim.RegionConfig{"a": small(3), "b": small(2)})
			disk := &faultyDisk{path: path}
			rng := rand.New(rand.NewPCG(7, 11))
			ids := map[string][]string{}
			var created, deleted, failed, journaled int

			for step := range 800 {
				region := regions[rng.IntN(len(regions))]
				if disk.broken && rng.IntN(3) == 0 || !disk.broken && rng.IntN(40) == 0 {
					disk.toggle(t)
				}
				before := see(g, c, regions...)
				var err error
				switch op := rng.IntN(20); {
				case op < 10:
					var s *cloud.Server
					s, err = c.CreateServer(ctx, region, randomRequest(rng))
					if err == nil {
						ids[region] = append(ids[region], s.ID)
						created++
					}
				case op < 19:
					id := "never-existed"
					if n := len(ids[region]); n > 0 && rng.IntN(10) > 0 {
						i := rng.IntN(n)
						id = ids[region][i]
						ids[region] = append(ids[region][:i], ids[region][i+1:]...)
					}
					if err = c.DeleteServer(ctx, region, id); err == nil && id != "never-existed" {
						deleted++
					}
				default:
					cfg := small(int32(1 + rng.IntN(5)))
					err = c.EnsureRegion(region, cfg)
				}
				if disk.broken {
					failed++
					g.Expect(see(g, c, regions...)).To(Equal(before), "step %d: a failed save changed the cloud", step)
				}
				if err != nil && !disk.broken {
					g.Expect(cloud.IsCapacity(err) || cloud.IsNotFound(err) || isShrinkRefused(err)).To(BeTrue(), "step %d: %v", step, err)
				}
				g.Expect(c.CheckIndexes()).To(Succeed(), "step %d", step)
				if _, err := os.Stat(path + ".journal"); err == nil && !disk.broken {
					journaled++
				}
				if step%20 == 0 && !disk.broken {
					reloaded, err := sim.New(sim.Options{StatePath: path, Now: clk.Now})
					g.Expect(err).NotTo(HaveOccurred(), "step %d", step)
					g.Expect(see(g, reloaded, regions...)).To(Equal(see(g, c, regions...)), "step %d: reloaded", step)
				}
				clk.Step(time.Duration(rng.IntN(2)) * time.Second) // some servers share a creation time
			}
			t.Logf("%d servers created, %d deleted, %d steps with failing saves, %d with a journal", created, deleted, failed, journaled)
			g.Expect(created).To(BeNumerically(">", 100))
			g.Expect(deleted).To(BeNumerically(">", 100))
			g.Expect(failed).To(BeNumerically(">", 10))
			g.Expect(journaled > 0).To(Equal(tc.journal))

			disk.fix(t)
			// A copy, since the two clouds go on creating servers.
			copied := copyState(t, path)
			reloaded, err := sim.New(sim.Options{StatePath: copied, Now: clk.Now})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(reloaded.CheckIndexes()).To(Succeed())
			g.Expect(see(g, reloaded, regions...)).To(Equal(see(g, c, regions...)))
			// The address counter and placement state came back too.
			for _, region := range regions {
				g.Expect(c.EnsureRegion(region, small(8))).To(Succeed())
				g.Expect(reloaded.EnsureRegion(region, small(8))).To(Succeed())
				req := cloud.CreateRequest{Flavor: "m1.small", SpreadKey: "k1"}
				want, err := c.CreateServer(ctx, region, req)
				g.Expect(err).NotTo(HaveOccurred())
				got, err := reloaded.CreateServer(ctx, region, req)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect([]string{got.Hypervisor, got.Address}).To(Equal([]string{want.Hypervisor, want.Address}))
			}
		})
	}
}

// randomRequest is a server of a few sizes, spread keys and tags.
func randomRequest(rng *rand.Rand) cloud.CreateRequest {
	req := cloud.CreateRequest{
		Flavor:    []string{"m1.small", "m1.small", "m1.medium", "m1.large"}[rng.IntN(4)],
		SpreadKey: []string{"", "k1", "k2", "k3"}[rng.IntN(4)],
	}
	if rng.IntN(5) > 0 {
		req.Tags = map[string]string{"cluster": fmt.Sprint("c", rng.IntN(4))}
		if rng.IntN(2) == 0 {
			req.Tags["pool"] = fmt.Sprint("p", rng.IntN(2))
		}
	}
	return req
}

func isShrinkRefused(err error) bool {
	return err != nil && strings.Contains(err.Error(), "delete them first")
}

// view is what a cloud shows of a region through its API.
type view struct {
	Servers     []cloud.Server
	Hypervisors []sim.Hypervisor
	Capacity    *cloud.Capacity
}

func see(g Gomega, c *sim.Cloud, regions ...string) map[string]view {
	out := map[string]view{}
	for _, r := range regions {
		var v view
		var err error
		v.Servers, err = c.ListServers(context.Background(), r, nil)
		g.Expect(err).NotTo(HaveOccurred())
		v.Hypervisors, err = c.Hypervisors(r)
		g.Expect(err).NotTo(HaveOccurred())
		v.Capacity, err = c.Capacity(context.Background(), r)
		g.Expect(err).NotTo(HaveOccurred())
		out[r] = v
	}
	return out
}

// faultyDisk makes every save of a cloud fail while it is broken: the state
// file and its journal are moved aside and non-empty folders take their
// place, so that neither writing, renaming onto nor removing them works.
type faultyDisk struct {
	path   string
	broken bool
}

func (d *faultyDisk) toggle(t *testing.T) {
	if d.broken {
		d.fix(t)
		return
	}
	for _, p := range []string{d.path, d.path + ".journal"} {
		if err := os.Rename(p, p+".aside"); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(p, "blocked"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	d.broken = true
}

func (d *faultyDisk) fix(t *testing.T) {
	if !d.broken {
		return
	}
	for _, p := range []string{d.path, d.path + ".journal"} {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(p+".aside", p); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	d.broken = false
}

// copyState copies a state file and its journal into a new folder and
// returns the copy's path.
func copyState(t *testing.T, path string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(path))
	for _, suffix := range []string{"", ".journal"} {
		data, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err == nil {
			err = os.WriteFile(to+suffix, data, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return to
}
