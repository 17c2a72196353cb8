package cmdutil

import (
	"context"
	"fmt"
	"strings"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// ValidateNodes checks a --nodes value against the API's bounds.
func ValidateNodes(n int32) error {
	if n < 0 || n > 1000 {
		return UsageError("--nodes must be between 0 and 1000, not %d", n)
	}
	return nil
}

// ScalePool sets a node pool's replicas (pool "" means the cluster's only
// pool), checking capacity for added nodes first, says what it did, and
// with wait.Wait waits until the cluster is Ready with the pool at its new
// size, showing how the scaling goes. It backs both
// `kumoctl cluster scale` and `kumoctl nodepool scale`.
func ScalePool(ctx context.Context, f *Factory, cluster, pool string, nodes int32, wait WaitOptions) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	var from int32
	var name string
	updated, err := UpdateCluster(ctx, c, ns, cluster, func(cl *kumov1.Cluster) error {
		name = pool
		if name == "" {
			if len(cl.Spec.NodePools) != 1 {
				var names []string
				for _, p := range cl.Spec.NodePools {
					names = append(names, p.Name)
				}
				return UsageError("cluster %s has %d node pools; choose one with --pool (%s)", cl.Name, len(names), OrNone(strings.Join(names, ", ")))
			}
			name = cl.Spec.NodePools[0].Name
		}
		i, err := FindPool(cl, name)
		if err != nil {
			return err
		}
		p := &cl.Spec.NodePools[i]
		from = p.Replicas
		if nodes > from {
			if err := CheckCapacity(ctx, c, cl.EffectiveRegion(), p.Flavor, nodes-from); err != nil {
				return err
			}
		}
		p.Replicas = nodes
		return nil
	})
	if err != nil {
		return err
	}
	if from == nodes {
		_, _ = fmt.Fprintf(f.IOStreams.ErrOut, "Pool %s of %s already has %d nodes (unchanged)\n", name, cluster, nodes)
	} else {
		_, _ = fmt.Fprintf(f.IOStreams.ErrOut, "Scaling pool %s of %s from %d to %d nodes\n", name, cluster, from, nodes)
	}
	if !wait.Wait {
		return nil
	}
	return WaitForCluster(ctx, f, c, ns, cluster, wait.Timeout, PoolScaled(name, from, nodes, updated.Generation))
}
