package sim

import (
	"slices"
	"strings"

	"github.com/kumo-dev/kumo/internal/cloud"
)

// flavors is the fixed menu every sim region offers, smallest first.
var flavors = []cloud.Flavor{
	{Name: "m1.small", VCPUs: 1, MemoryMiB: 2048},
	{Name: "m1.medium", VCPUs: 2, MemoryMiB: 4096},
	{Name: "m1.large", VCPUs: 4, MemoryMiB: 8192},
	{Name: "m1.xlarge", VCPUs: 8, MemoryMiB: 16384},
	{Name: "m1.2xlarge", VCPUs: 16, MemoryMiB: 32768},
}

// Flavors returns the VM sizes the sim cloud offers, smallest first.
func Flavors() []cloud.Flavor { return slices.Clone(flavors) }

func lookupFlavor(name string) (cloud.Flavor, error) {
	names := make([]string, 0, len(flavors))
	for _, f := range flavors {
		if f.Name == name {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return cloud.Flavor{}, errorf(cloud.ErrInvalidFlavor, "unknown flavor %q (valid flavors: %s)", name, strings.Join(names, ", "))
}
