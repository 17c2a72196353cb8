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

// load reads the state file; a missing file is an empty cloud.
func load(path string) (*state, error) {
	if path == "" {
		return newState(), nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading sim cloud state: %w", err)
	}
	st := &state{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("sim cloud state file %s is corrupt: %w", path, err)
	}
	if err := st.validate(); err != nil {
		return nil, fmt.Errorf("sim cloud state file %s is corrupt: %w", path, err)
	}
	return st, nil
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

// save writes the state if the cloud is persistent. Callers undo their
// in-memory change when it fails, so memory never runs ahead of the file.
func (c *Cloud) save() error {
	if c.opts.StatePath == "" {
		return nil
	}
	data, err := json.MarshalIndent(c.st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding sim cloud state: %w", err)
	}
	if err := writeFileAtomic(c.opts.StatePath, data); err != nil {
		return fmt.Errorf("saving sim cloud state: %w", err)
	}
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
	// Best effort: sync the directory so the rename itself is durable.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
