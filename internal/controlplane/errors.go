package controlplane

import (
	"errors"
	"fmt"
)

// InsufficientMemoryError is returned by Ensure when starting one more
// control plane would take the host's available memory below the reserve
// the operator keeps. Nothing was started; Ensure tries again when called
// again.
type InsufficientMemoryError struct {
	// Available is the host's available memory, in bytes.
	Available uint64
	// Reserve is what the control planes must leave available.
	Reserve uint64
	// PerControlPlane is what one control plane is expected to take.
	PerControlPlane uint64
	// Starting counts control planes that are starting or waiting to
	// start: they take their share of Available soon.
	Starting int
}

func (e *InsufficientMemoryError) Error() string {
	starting := ""
	if e.Starting > 0 {
		starting = fmt.Sprintf(" (%d starting, which take their share soon)", e.Starting)
	}
	return fmt.Sprintf("not enough memory on the host to start the control plane: %s available, %s kept in reserve, "+
		"about %s per control plane%s; it starts once there is room: delete a cluster, free memory on the host or lower the reserve",
		HumanBytes(e.Available), HumanBytes(e.Reserve), HumanBytes(e.PerControlPlane), starting)
}

// IsInsufficientMemory reports whether err is or wraps an
// InsufficientMemoryError.
func IsInsufficientMemory(err error) bool {
	var e *InsufficientMemoryError
	return errors.As(err, &e)
}

// HumanBytes writes a size for people: "512 MiB", "2.4 GiB". GiB have one
// decimal, so that a size read again and again (available memory) reads
// the same unless it changed by 100 MiB.
func HumanBytes(b uint64) string {
	const mib, gib = 1 << 20, 1 << 30
	if b < gib {
		return fmt.Sprintf("%d MiB", (b+mib/2)/mib)
	}
	return fmt.Sprintf("%.1f GiB", float64(b)/gib)
}
