package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// reconcileMachines makes each pool have exactly its replicas of Machines.
//
// Machine names are "<cluster>-<pool>-<index>" with the lowest free index,
// so a reconcile that runs on a stale cache (or again after a crash)
// recreates the same name and gets AlreadyExists instead of a duplicate VM.
//
// While a ClusterMigration runs (status.migratingTo), the migration
// controller alone creates and deletes the cluster's Machines: it holds
// both regions' nodes at once, which this loop would scale back in.
func (r *Reconciler) reconcileMachines(ctx context.Context, s *scope) (ctrl.Result, error) {
	c := s.cluster
	if c.Status.MigratingTo != "" {
		return ctrl.Result{}, nil
	}
	byPool := map[string][]*kumov1.Machine{}
	taken := map[string]bool{}
	for i := range s.machines {
		m := &s.machines[i]
		taken[m.Name] = true
		if m.DeletionTimestamp.IsZero() {
			byPool[m.Spec.Pool] = append(byPool[m.Spec.Pool], m)
		}
	}
	wanted := map[string]bool{}
	for _, pool := range c.Spec.NodePools {
		wanted[pool.Name] = true
		have := byPool[pool.Name]
		switch n := int(pool.Replicas) - len(have); {
		case n > 0:
			for idx := 0; n > 0; {
				// The n lowest free names; a name another cluster holds
				// is skipped and the next round asks for one more.
				var batch []string
				for ; len(batch) < n; idx++ {
					if name := fmt.Sprintf("%s-%s-%d", c.Name, pool.Name, idx); !taken[name] {
						batch = append(batch, name)
						taken[name] = true
					}
				}
				ours, err := slowStart(len(batch), func(i int) (bool, error) { return r.createMachine(ctx, c, pool, batch[i]) })
				n -= ours
				if err != nil {
					return ctrl.Result{}, err
				}
			}
			r.event(c, corev1.EventTypeNormal, "ScalingUp", "Pool %s: %d -> %d nodes", pool.Name, len(have), pool.Replicas)
		case n < 0:
			// Choosing victims on a stale cache could pick one more than
			// needed (a delete not seen yet): count again from the API.
			fresh, err := r.freshPool(ctx, c, pool.Name)
			if err != nil {
				return ctrl.Result{}, err
			}
			// The cache may show a migration's new Machines before the
			// Cluster's status.migratingTo: they are not surplus.
			if migrating, err := r.migrating(ctx, c); err != nil || migrating {
				return ctrl.Result{}, err
			}
			if n = int(pool.Replicas) - len(fresh); n >= 0 {
				continue
			}
			have = fresh
			victims := scaleInOrder(have)[:-n]
			for _, m := range victims {
				if err := r.Client.Delete(ctx, m); err != nil && !apierrors.IsNotFound(err) {
					return ctrl.Result{}, fmt.Errorf("deleting machine %s: %w", m.Name, err)
				}
			}
			r.event(c, corev1.EventTypeNormal, "ScalingDown", "Pool %s: %d -> %d nodes (draining %s)", pool.Name, len(have), pool.Replicas, names(victims))
		}
	}
	// Pools removed from the spec lose all their machines.
	for pool, ms := range byPool {
		if wanted[pool] {
			continue
		}
		for _, m := range ms {
			if err := r.Client.Delete(ctx, m); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, fmt.Errorf("deleting machine %s: %w", m.Name, err)
			}
		}
		r.event(c, corev1.EventTypeNormal, "PoolRemoved", "Pool %s removed: deleting %d nodes", pool, len(ms))
	}
	return ctrl.Result{}, nil
}

// migrating reads from the API server whether a migration holds the
// cluster's Machines.
func (r *Reconciler) migrating(ctx context.Context, c *kumov1.Cluster) (bool, error) {
	var fresh kumov1.Cluster
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(c), &fresh); err != nil {
		return false, fmt.Errorf("reading cluster: %w", err)
	}
	return fresh.Status.MigratingTo != "", nil
}

// maxCreateBatch bounds the creates slowStart sends at once.
const maxCreateBatch = 16

// slowStart calls create for 0..n-1 in batches that run at once and double
// in size (1, 2, 4, ... up to maxCreateBatch), as the ReplicaSet
// controller does: a pool of forty is created in a few round trips instead
// of forty, and a create that fails (a quota, a webhook) fails after one
// call, not forty. It stops after the first batch with an error and
// returns how many creates reported true.
func slowStart(n int, create func(i int) (bool, error)) (int, error) {
	ours := 0
	for done, size := 0, 1; done < n; size = min(2*size, maxCreateBatch) {
		size = min(size, n-done)
		results := make([]bool, size)
		errs := make([]error, size)
		var wg sync.WaitGroup
		for i := range size {
			wg.Go(func() { results[i], errs[i] = create(done + i) })
		}
		wg.Wait()
		done += size
		for _, ok := range results {
			if ok {
				ours++
			}
		}
		if err := errors.Join(errs...); err != nil {
			return ours, err
		}
	}
	return ours, nil
}

// freshPool lists a pool's live Machines from the API server, not the cache.
func (r *Reconciler) freshPool(ctx context.Context, c *kumov1.Cluster, pool string) ([]*kumov1.Machine, error) {
	var list kumov1.MachineList
	if err := r.APIReader.List(ctx, &list, client.InNamespace(c.Namespace),
		client.MatchingLabels{kumov1.ClusterNameLabel: c.Name, kumov1.PoolNameLabel: pool}); err != nil {
		return nil, fmt.Errorf("listing machines: %w", err)
	}
	var out []*kumov1.Machine
	for i := range list.Items {
		if list.Items[i].DeletionTimestamp.IsZero() {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// createMachine creates a Machine and reports whether the name is ours: a
// Machine of that name may already exist for this cluster (a repeat after
// a crash or a stale cache: fine) or for another cluster whose name and
// pool join to the same string ("web"+"api-w" and "web-api"+"w"): then the
// caller moves on to the next index.
func (r *Reconciler) createMachine(ctx context.Context, c *kumov1.Cluster, pool kumov1.NodePool, name string) (bool, error) {
	m := &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:  c.Namespace,
			Name:       name,
			Labels:     map[string]string{kumov1.ClusterNameLabel: c.Name, kumov1.PoolNameLabel: pool.Name},
			Finalizers: []string{kumov1.MachineFinalizer},
		},
		Spec: kumov1.MachineSpec{ClusterName: c.Name, Pool: pool.Name, Region: c.EffectiveRegion(), Flavor: pool.Flavor},
	}
	if err := controllerutil.SetControllerReference(c, m, r.Client.Scheme()); err != nil {
		return false, err
	}
	err := r.Client.Create(ctx, m)
	if err == nil {
		return true, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return false, fmt.Errorf("creating machine %s: %w", name, err)
	}
	existing := &kumov1.Machine{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(m), existing); err != nil {
		return false, fmt.Errorf("reading machine %s: %w", name, err)
	}
	return metav1.IsControlledBy(existing, c), nil
}

// scaleInOrder sorts the machines to remove first to the front: marked for
// deletion, then not ready, then the highest index (the newest).
func scaleInOrder(ms []*kumov1.Machine) []*kumov1.Machine {
	out := append([]*kumov1.Machine(nil), ms...)
	rank := func(m *kumov1.Machine) int {
		if _, ok := m.Annotations[kumov1.DeleteMachineAnnotation]; ok {
			return 0
		}
		if !meta.IsStatusConditionTrue(m.Status.Conditions, kumov1.ReadyCondition) {
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return index(out[i].Name) > index(out[j].Name)
	})
	return out
}

func index(name string) int {
	i := strings.LastIndexByte(name, '-')
	n, _ := strconv.Atoi(name[i+1:])
	return n
}

func names(ms []*kumov1.Machine) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return strings.Join(out, ", ")
}
