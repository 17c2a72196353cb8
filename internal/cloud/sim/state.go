package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kumo-dev/kumo/internal/cloud"
)

// stateVersion is bumped whenever the file format changes incompatibly.
const stateVersion = 1

// state is everything the cloud knows; it is the JSON file's content.
type state struct {
	Version int                `json:"version"`
	Regions map[string]*region `json:"regions"`
	// Seq counts the changes saved (0 in files older than the journal); a
	// journal holds the changes after the Seq of the file it extends.
	Seq int64 `json:"seq,omitempty"`
}

type region struct {
	Name string `json:"name"`
	// Octet is n in the region's address range 10.n.0.0/16; fixed at creation.
	Octet              int          `json:"octet"`
	CPUOvercommitRatio int32        `json:"cpuOvercommitRatio"`
	Hypervisors        []hypervisor `json:"hypervisors"`
	// Servers by ID.
	Servers map[string]*server `json:"servers"`
	// LastHost is the host part of the last address handed out (0 = none yet).
	LastHost int `json:"lastHost"`

	// idx is derived from Servers, never saved.
	idx *index
}

type hypervisor struct {
	Name      string `json:"name"`
	Cores     int32  `json:"cores"`
	MemoryMiB int64  `json:"memoryMiB"`
}

// server is a cloud.Server plus what placement needs but callers do not see.
// Status is not stored: it is computed from Created on every read.
type server struct {
	cloud.Server
	SpreadKey string `json:"spreadKey,omitempty"`
}

func newState() *state { return &state{Version: stateVersion, Regions: map[string]*region{}} }

// load reads the state file and replays the journal beside it; a missing
// file is an empty cloud. It also says how big the files are, for save.
func load(path string) (*state, disk, error) {
	st := newState()
	if path == "" {
		return st, disk{}, nil
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, disk{}, fmt.Errorf("reading sim cloud state: %w", err)
	default:
		st = &state{}
		if err := json.Unmarshal(data, st); err != nil {
			return nil, disk{}, fmt.Errorf("sim cloud state file %s is corrupt: %w", path, err)
		}
	}
	d := disk{snapshot: int64(len(data))}
	if err := replay(st, journalPath(path), &d); err != nil {
		return nil, disk{}, err
	}
	if err := st.validate(); err != nil {
		return nil, disk{}, fmt.Errorf("sim cloud state file %s is corrupt: %w", path, err)
	}
	for _, r := range st.Regions {
		r.reindex()
	}
	return st, d, nil
}

// validate checks what the rest of the package relies on, so that a
// hand-edited or damaged file is refused here instead of panicking later.
func (st *state) validate() error {
	if st.Version != stateVersion {
		return fmt.Errorf("unsupported version %d, want %d", st.Version, stateVersion)
	}
	if st.Regions == nil {
		st.Regions = map[string]*region{}
	}
	octets := map[int]string{}
	for name, r := range st.Regions {
		if r == nil || r.Name != name || name == "" {
			return fmt.Errorf("region %q: missing or misnamed", name)
		}
		if r.Octet < firstOctet || r.Octet > 255 || octets[r.Octet] != "" {
			return fmt.Errorf("region %q: invalid or duplicate address octet %d", name, r.Octet)
		}
		octets[r.Octet] = name
		if r.CPUOvercommitRatio < 1 || r.LastHost < 0 || r.LastHost > hostsPerRegion {
			return fmt.Errorf("region %q: invalid overcommit ratio or address counter", name)
		}
		hvs := map[string]bool{}
		for _, hv := range r.Hypervisors {
			if hv.Name == "" || hvs[hv.Name] {
				return fmt.Errorf("region %q: empty or duplicate hypervisor name %q", name, hv.Name)
			}
			hvs[hv.Name] = true
		}
		if r.Servers == nil {
			r.Servers = map[string]*server{}
		}
		addrs := map[string]bool{}
		for id, s := range r.Servers {
			if s == nil || s.ID != id || s.Region != name || !hvs[s.Hypervisor] || addrs[s.Address] {
				return fmt.Errorf("region %q: server %q is inconsistent (unknown hypervisor, duplicate address or wrong ID)", name, id)
			}
			addrs[s.Address] = true
		}
	}
	return nil
}

// disk is what save knows of the files behind a persistent cloud.
type disk struct {
	// snapshot is the size of the state file as last written or read.
	snapshot int64
	// journal is the size of the journal beside it (0: none).
	journal int64
	// mustRewrite says that the next save must rewrite the state file rather
	// than append to the journal, which may end in part of a record.
	mustRewrite bool
}

// journalFrom is the size of state file from which changes go to the
// journal; below it every change rewrites the whole file, so that a small
// cloud (about 100 servers, a day's local use) is one file. Rewrites below
// it cost the square of its size: at 1 MiB they were half the manager's CPU
// while a fleet of 4,000 VMs was created.
var journalFrom int64 = 64 << 10

// save makes a change durable before the call that made it returns; the
// caller undoes the change in memory when save fails, so memory never runs
// ahead of the disk. ch is the change of a server; nil (a region changed)
// rewrites the state file.
//
// Saves are synchronous, not coalesced (a change marked dirty and written a
// few milliseconds later). Kumo records what the cloud answered (a VM's ID in
// a Machine's providerID) and deletes Machines once their VMs are deleted,
// so a cloud that forgot an answer in a crash would turn a created VM into a
// Machine failed for a VM "deleted outside Kumo", and a deleted one into a VM
// that no Machine owns, using capacity forever. A real cloud never forgets
// an answer; neither does the sim.
//
// What is written keeps a large cloud from being quadratic: a state file
// under journalFrom is rewritten whole. Above it the change is appended to
// the journal (one line, fsynced), and the state file is rewritten (with a
// new, empty journal) only once the journal would outgrow it. Each change
// then costs its line plus, amortized, a line's worth of rewriting, however
// large the cloud.
func (c *Cloud) save(ch *change) error {
	if c.opts.StatePath == "" {
		return nil
	}
	if ch != nil && !c.disk.mustRewrite && c.disk.snapshot >= journalFrom {
		ch.Seq = c.st.Seq + 1
		line, err := json.Marshal(ch)
		if err != nil {
			return fmt.Errorf("encoding sim cloud change: %w", err)
		}
		line = append(line, '\n')
		if c.disk.journal+int64(len(line)) <= c.disk.snapshot {
			if err := appendFile(journalPath(c.opts.StatePath), line, c.disk.journal == 0); err != nil {
				// Part of the line, or all of it, may be on disk: append
				// nothing after it. A load may find the whole change, which
				// the caller reported as failed: like a real cloud's
				// timeout, an error does not promise that nothing happened.
				c.disk.mustRewrite = true
				return fmt.Errorf("saving sim cloud state: %w", err)
			}
			c.st.Seq = ch.Seq
			c.disk.journal += int64(len(line))
			return nil
		}
	}
	return c.rewrite()
}

// rewrite replaces the state file with the whole state and drops the
// journal, whose changes it now holds.
func (c *Cloud) rewrite() error {
	c.st.Seq++
	data, err := json.Marshal(c.st) // not indented: a third of the time, and jq reads it
	if err == nil {
		err = writeFileAtomic(c.opts.StatePath, data)
	}
	if err != nil {
		c.st.Seq--
		return fmt.Errorf("saving sim cloud state: %w", err)
	}
	c.disk.snapshot = int64(len(data))
	// A journal left behind is harmless (a load skips the changes the state
	// file already has), but append to none until it is gone.
	err = os.Remove(journalPath(c.opts.StatePath))
	c.disk.journal, c.disk.mustRewrite = 0, err != nil && !errors.Is(err, fs.ErrNotExist)
	return nil
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content, never a torn file.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a file created or renamed in dir durable, as far as it can:
// it is best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
