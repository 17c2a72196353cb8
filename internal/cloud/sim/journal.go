package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// change is one line of the journal: a server created or deleted. See save
// for when changes go to the journal rather than into the state file.
type change struct {
	// Seq numbers the change: one more than the state's Seq before it.
	Seq    int64  `json:"seq"`
	Op     Op     `json:"op"` // OpCreate or OpDelete
	Region string `json:"region"`
	// Server is the server created.
	Server *server `json:"server,omitempty"`
	// LastHost is the region's address counter after the create.
	LastHost int `json:"lastHost,omitempty"`
	// ID is the server deleted.
	ID string `json:"id,omitempty"`
}

// journalPath is the journal beside a state file.
func journalPath(statePath string) string { return statePath + ".journal" }

// replay applies the journal at path to st: the changes numbered after
// st.Seq, in order. Changes up to st.Seq are in the state file already (a
// crash came between rewriting it and removing the journal). A last line cut
// short by a crash belongs to a call that never returned: it is dropped, and
// d.mustRewrite set so that nothing is appended after it.
func replay(st *state, path string, d *disk) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading sim cloud journal: %w", err)
	}
	d.journal = int64(len(data))
	for len(data) > 0 {
		line, rest, complete := bytes.Cut(data, []byte("\n"))
		data = rest
		var ch change
		err := json.Unmarshal(line, &ch)
		if !complete || (err != nil && len(rest) == 0) {
			d.mustRewrite = true
			break
		}
		if err == nil {
			err = st.apply(&ch)
		}
		if err != nil {
			return fmt.Errorf("sim cloud journal %s is corrupt: %w", path, err)
		}
	}
	return nil
}

// apply replays one change of the journal onto the state it extends.
func (st *state) apply(ch *change) error {
	if ch.Seq <= st.Seq {
		return nil
	}
	if ch.Seq != st.Seq+1 {
		return fmt.Errorf("change %d does not follow change %d of the state file", ch.Seq, st.Seq)
	}
	r := st.Regions[ch.Region]
	if r == nil {
		return fmt.Errorf("change %d: unknown region %q", ch.Seq, ch.Region)
	}
	if r.Servers == nil {
		r.Servers = map[string]*server{}
	}
	switch {
	case ch.Op == OpCreate && ch.Server != nil:
		r.Servers[ch.Server.ID] = ch.Server
		r.LastHost = ch.LastHost
	case ch.Op == OpDelete:
		delete(r.Servers, ch.ID)
	default:
		return fmt.Errorf("change %d: invalid %q", ch.Seq, ch.Op)
	}
	st.Seq = ch.Seq
	return nil
}

// appendFile appends data to path, creating it if need be, and syncs it;
// newFile also syncs the directory, so that the file itself survives a crash.
func appendFile(path string, data []byte, newFile bool) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if newFile {
		syncDir(filepath.Dir(path))
	}
	return nil
}
