package ports

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// DefaultPath is the registry of this user's platforms: kumo/ports.json in
// the user's cache directory, next to the toolchain.
func DefaultPath() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "kumo", "ports.json")
}

// Registry is one data directory's handle on the machine's registry.
type Registry struct {
	path  string
	owner string
}

// Open returns the registry at path as seen by owner, an absolute data
// directory. Nothing is read until Update.
func Open(path, owner string) *Registry { return &Registry{path: path, owner: owner} }

// Owner is the data directory this handle claims ports for.
func (r *Registry) Owner() string { return r.owner }

// Txn is the registry's content during Update: ports by name, by owner.
type Txn struct {
	owner string
	all   map[string]map[string]int
}

// Get returns the port owner holds under name.
func (t *Txn) Get(name string) (int, bool) {
	p, ok := t.all[t.owner][name]
	return p, ok
}

// Set records that owner holds port under name.
func (t *Txn) Set(name string, port int) {
	if t.all[t.owner] == nil {
		t.all[t.owner] = map[string]int{}
	}
	t.all[t.owner][name] = port
}

// Delete drops owner's claim under name.
func (t *Txn) Delete(name string) { delete(t.all[t.owner], name) }

// Holder reports which data directory holds port, under which name: another
// one if any does, else the owner of this Txn.
func (t *Txn) Holder(port int) (owner, name string, ok bool) {
	for o, claims := range t.all {
		for n, p := range claims {
			if p == port && (o != t.owner || !ok) {
				owner, name, ok = o, n, true
			}
		}
	}
	return owner, name, ok
}

// Free reports whether port is held by no data directory and can be bound
// on the loopback address now.
func (t *Txn) Free(port int) bool {
	if _, _, held := t.Holder(port); held {
		return false
	}
	return Bindable(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// Update runs f on the registry under its lock and saves what f leaves.
// Claims of data directories that no longer exist are dropped first, so a
// removed data directory gives its ports back.
func (r *Registry) Update(f func(*Txn) error) error {
	if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
		return fmt.Errorf("creating the port registry's directory: %w", err)
	}
	lock, err := os.OpenFile(r.path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("opening the port registry's lock: %w", err)
	}
	defer func() { _ = lock.Close() }()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking the port registry: %w", err)
	}
	t := &Txn{owner: r.owner, all: map[string]map[string]int{}}
	data, err := os.ReadFile(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading the port registry: %w", err)
	default:
		// A corrupt registry is rebuilt from what the platforms claim next;
		// the bind check still keeps running platforms apart meanwhile.
		_ = json.Unmarshal(data, &t.all)
	}
	for o := range t.all {
		if _, err := os.Stat(o); errors.Is(err, os.ErrNotExist) && o != r.owner {
			delete(t.all, o)
		}
	}
	if err := f(t); err != nil {
		return err
	}
	if len(t.all[r.owner]) == 0 {
		delete(t.all, r.owner)
	}
	out, err := json.MarshalIndent(t.all, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return fmt.Errorf("writing the port registry: %w", err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("writing the port registry: %w", err)
	}
	return nil
}

// Release gives back the port owner holds under name.
func (r *Registry) Release(name string) error {
	return r.Update(func(t *Txn) error { t.Delete(name); return nil })
}

// Bindable reports whether a TCP listener can be opened on addr now.
func Bindable(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// Range yields the ports from lo to hi once each, beginning at start and
// wrapping around.
func Range(lo, hi, start int) iter.Seq[int] {
	n := hi - lo + 1
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(lo + ((start-lo)%n+n+i)%n) {
				return
			}
		}
	}
}
