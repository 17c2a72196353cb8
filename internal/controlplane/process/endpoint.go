package process

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/kumo-dev/kumo/internal/controlplane"
	"github.com/kumo-dev/kumo/internal/ports"
)

// Tenant API servers listen on ports of this range, below Linux's
// ephemeral range, so that no outgoing connection can hold a port a
// restarting API server needs.
const portMin, portMax = 30000, 32767

// Files in a cluster's folder that say which cluster it is and where its
// API server listens.
const (
	portFile = "port"
	nameFile = "cluster"
)

// AllocateEndpoint picks a loopback port for a cluster and records it in
// the cluster's folder: asking again returns the same port, and no two
// clusters of this runtime ever get the same one, running or not. With a
// port registry (Options.Ports), no cluster or platform of another data
// directory on this machine gets it either.
func (r *Runtime) AllocateEndpoint(_ context.Context, c controlplane.Ref) (string, int32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs := Clusters(r.opts.Dir)
	own := map[int32]bool{}
	for _, rec := range recs {
		own[rec.Port] = true
	}
	port, recorded := r.recordedPort(c.UID)
	pick := func(free func(int) bool) (int32, error) {
		for p := range ports.Range(portMin, portMax, portMin+rand.IntN(portMax-portMin+1)) {
			if !own[int32(p)] && free(p) {
				return int32(p), nil
			}
		}
		return 0, fmt.Errorf("no free port left in %d-%d for %s", portMin, portMax, c)
	}
	var err error
	switch {
	case r.opts.Ports != nil:
		err = r.opts.Ports.Update(func(t *ports.Txn) error {
			// Ports recorded before the registry knew them are claimed now.
			for _, rec := range recs {
				t.Set(portName(rec.Ref.UID), int(rec.Port))
			}
			if recorded {
				return nil
			}
			// Claimed, then a crash before the folder recorded it.
			if p, ok := t.Get(portName(c.UID)); ok {
				port = int32(p)
				return nil
			}
			var perr error
			if port, perr = pick(t.Free); perr != nil {
				return perr
			}
			t.Set(portName(c.UID), int(port))
			return nil
		})
	case !recorded:
		port, err = pick(func(p int) bool { return ports.Bindable(net.JoinHostPort("127.0.0.1", strconv.Itoa(p))) })
	}
	if err != nil {
		return "", 0, err
	}
	if !recorded {
		dir := r.clusterDir(c.UID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", 0, err
		}
		if err := os.WriteFile(filepath.Join(dir, nameFile), []byte(c.String()), 0o600); err != nil {
			return "", 0, fmt.Errorf("recording name of %s: %w", c, err)
		}
		if err := os.WriteFile(filepath.Join(dir, portFile), []byte(strconv.Itoa(int(port))), 0o600); err != nil {
			return "", 0, fmt.Errorf("recording port of %s: %w", c, err)
		}
	}
	return "127.0.0.1", port, nil
}

// releasePort gives a deleted cluster's port back to the registry.
func (r *Runtime) releasePort(c controlplane.Ref) error {
	if r.opts.Ports == nil {
		return nil
	}
	if err := r.opts.Ports.Release(portName(c.UID)); err != nil {
		return fmt.Errorf("releasing port of %s: %w", c, err)
	}
	return nil
}

func portName(uid types.UID) string { return "cluster/" + string(uid) }

func (r *Runtime) recordedPort(uid types.UID) (int32, bool) {
	data, err := os.ReadFile(filepath.Join(r.clusterDir(uid), portFile))
	if err != nil {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(data)))
	return int32(port), err == nil
}

// Cluster is what the runtime keeps of one cluster in its folder.
type Cluster struct {
	// Ref names the cluster; Namespace and Name are empty for a cluster
	// allocated before the runtime recorded names.
	Ref controlplane.Ref
	// Port is where its API server listens.
	Port int32
	// Dir is its folder: certificates, kubeconfigs, logs/<component>.log.
	Dir string
}

// Clusters lists the clusters that have a port recorded under dir (a
// runtime's Options.Dir), running or not.
func Clusters(dir string) []Cluster {
	entries, _ := os.ReadDir(dir)
	r := &Runtime{opts: Options{Dir: dir}}
	var out []Cluster
	for _, e := range entries {
		uid := types.UID(e.Name())
		port, ok := r.recordedPort(uid)
		if !ok {
			continue
		}
		c := Cluster{Ref: controlplane.Ref{UID: uid}, Port: port, Dir: r.clusterDir(uid)}
		if data, err := os.ReadFile(filepath.Join(c.Dir, nameFile)); err == nil {
			c.Ref.Namespace, c.Ref.Name, _ = strings.Cut(strings.TrimSpace(string(data)), "/")
		}
		out = append(out, c)
	}
	return out
}
