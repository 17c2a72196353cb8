package process

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kumo-dev/kumo/internal/controlplane"
)

// DefaultMemoryPerControlPlane is what one tenant control plane takes from
// the host's available memory once running: measured 170-200 MiB (heap and
// stacks of kube-apiserver, kube-controller-manager and kube-scheduler,
// plus the manager's kwok; docs/benchmarks.md), rounded up for the peak of
// a start.
const DefaultMemoryPerControlPlane = 256 << 20

// DefaultMemoryReserve is the host memory kept free for everything else
// on the machine unless `kumo up --host-memory-reserve` says otherwise.
const DefaultMemoryReserve = "10%"

// HostMemory is the host's memory in bytes, from /proc/meminfo.
type HostMemory struct {
	Total uint64
	// Available is what the kernel estimates can be allocated without
	// swapping (MemAvailable): free memory plus reclaimable caches.
	Available uint64
}

// ReadHostMemory reads /proc/meminfo.
func ReadHostMemory() (HostMemory, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return HostMemory{}, fmt.Errorf("reading host memory: %w", err)
	}
	return parseMeminfo(data)
}

// parseMeminfo reads MemTotal and MemAvailable (in kB) from the text of
// /proc/meminfo.
func parseMeminfo(data []byte) (HostMemory, error) {
	var m HostMemory
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch key {
		case "MemTotal":
			dst = &m.Total
		case "MemAvailable":
			dst = &m.Available
		default:
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return m, fmt.Errorf("reading host memory: %s has no value", key)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("reading host memory: %s: %w", key, err)
		}
		*dst = kb << 10
		seen++
	}
	if seen != 2 {
		return m, fmt.Errorf("reading host memory: MemTotal or MemAvailable missing from /proc/meminfo")
	}
	return m, nil
}

// ParseMemoryReserve reads a reserve as `kumo up --host-memory-reserve`
// takes it: a share of the host's total memory ("10%") or a size ("2Gi",
// "2GiB", "512Mi", "0").
func ParseMemoryReserve(s string, total uint64) (uint64, error) {
	s = strings.TrimSpace(s)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		p, err := strconv.ParseFloat(pct, 64)
		if err != nil || !(p >= 0 && p <= 100) { // NaN too
			return 0, fmt.Errorf("invalid memory reserve %q: a percentage must be between 0%% and 100%%", s)
		}
		return uint64(float64(total) * p / 100), nil
	}
	q, err := resource.ParseQuantity(strings.TrimSuffix(s, "B"))
	if err != nil || q.Sign() < 0 {
		return 0, fmt.Errorf("invalid memory reserve %q: give a size such as 2Gi or 512Mi, or a share of the host's memory such as 10%%", s)
	}
	return uint64(q.Value()), nil
}

// MemoryGuard decides whether the host has room for one more control plane.
type MemoryGuard struct {
	// Reserve is the memory, in bytes, that control planes leave available
	// for everything else on the host.
	Reserve uint64
	// PerControlPlane is what one control plane is expected to take
	// (0: DefaultMemoryPerControlPlane).
	PerControlPlane uint64
	// Read reads the host's memory (nil: ReadHostMemory).
	Read func() (HostMemory, error)
}

func (g MemoryGuard) perControlPlane() uint64 {
	if g.PerControlPlane == 0 {
		return DefaultMemoryPerControlPlane
	}
	return g.PerControlPlane
}

func (g MemoryGuard) read() (HostMemory, error) {
	if g.Read == nil {
		return ReadHostMemory()
	}
	return g.Read()
}

// Room says how many more control planes fit, given how many are starting
// (or waiting to start) and have not taken their memory yet.
func (g MemoryGuard) Room(m HostMemory, starting int) int {
	per := g.perControlPlane()
	committed := g.Reserve + per*uint64(starting)
	if m.Available <= committed {
		return 0
	}
	return int((m.Available - committed) / per)
}

// Admit returns nil when one more control plane fits beside those starting,
// and an *controlplane.InsufficientMemoryError when it does not. When the
// host's memory cannot be read there is no guard.
func (g MemoryGuard) Admit(starting int) error {
	m, err := g.read()
	if err != nil {
		return nil //nolint:nilerr // a host without /proc/meminfo runs unguarded, as before
	}
	if g.Room(m, starting) > 0 {
		return nil
	}
	return &controlplane.InsufficientMemoryError{Available: m.Available, Reserve: g.Reserve, PerControlPlane: g.perControlPlane(), Starting: starting}
}
