package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// WaitOptions are the shared --wait and --timeout flags.
type WaitOptions struct {
	Wait    bool
	Timeout time.Duration
}

// Outcome is what a wait condition decides about the cluster it saw.
type Outcome int

const (
	Pending Outcome = iota
	Done
	Failed
)

// ClusterCondition judges a cluster (nil: it is gone) and its machines.
type ClusterCondition func(c *kumov1.Cluster, machines []kumov1.Machine) (Outcome, string)

// WaitForCluster polls a cluster until cond says Done or Failed, showing
// progress: redrawn in place on a terminal, one line per change otherwise.
// Ctrl-C and timeouts leave the operation running and say how to follow it.
func WaitForCluster(ctx context.Context, f *Factory, c client.Client, namespace, name string, timeout time.Duration, cond ClusterCondition) error {
	follow := fmt.Sprintf("follow it with `kumoctl cluster describe %s -n %s`", name, namespace)
	return WaitFor(ctx, f, name, follow, timeout, func(ctx context.Context) (Outcome, string, error) {
		cluster, machines, err := readCluster(ctx, c, namespace, name)
		if err != nil {
			return Pending, "", err
		}
		outcome, detail := cond(cluster, machines)
		return outcome, detail, nil
	})
}

// WaitFor calls check until it says Done or Failed, showing its progress
// detail after name: redrawn in place on a terminal, one line per change
// otherwise. A passing API error (a restart, a timeout) is shown and
// waited out. Ctrl-C and timeouts leave the operation running and say how
// to follow it.
func WaitFor(ctx context.Context, f *Factory, name, follow string, timeout time.Duration, check func(context.Context) (Outcome, string, error)) error {
	io := f.IOStreams
	start := f.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	tick := time.NewTicker(f.PollInterval)
	defer tick.Stop()
	for {
		outcome, detail, err := check(ctx)
		switch code := CodeOf(err); {
		case err == nil:
		case code == ExitForbidden || code == ExitUsage:
			return err
		case ctx.Err() == nil:
			if io.IsTerminal() {
				_, _ = fmt.Fprintf(io.ErrOut, "\r\033[K%s: %v (retrying)", name, err)
			} else {
				_, _ = fmt.Fprintf(io.ErrOut, "%s: %v (retrying)\n", name, err)
			}
		}
		if err == nil && ctx.Err() == nil {
			line := fmt.Sprintf("%s: %s (%s)", name, detail, f.Now().Sub(start).Round(time.Second))
			switch {
			case io.IsTerminal():
				_, _ = fmt.Fprintf(io.ErrOut, "\r\033[K%s", line)
			case detail != last:
				_, _ = fmt.Fprintln(io.ErrOut, line)
			}
			last = detail
			if outcome != Pending {
				if io.IsTerminal() {
					_, _ = fmt.Fprintln(io.ErrOut)
				}
				if outcome == Failed {
					return Exit(ExitFailed, "%s: %s", name, detail)
				}
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if io.IsTerminal() {
				_, _ = fmt.Fprintln(io.ErrOut)
			}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return Exit(ExitTimeout, "gave up waiting after %s; the operation goes on: %s", timeout, follow)
			}
			_, _ = fmt.Fprintf(io.ErrOut, "Stopped waiting; the operation goes on: %s\n", follow)
			return Exit(ExitInterrupt, "interrupted")
		case <-tick.C:
		}
	}
}

func readCluster(ctx context.Context, c client.Client, namespace, name string) (*kumov1.Cluster, []kumov1.Machine, error) {
	cluster := &kumov1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cluster); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, nil, nil
		}
		return nil, nil, APIError(err, "read cluster "+name, namespace)
	}
	var machines kumov1.MachineList
	if err := c.List(ctx, &machines, client.InNamespace(namespace), client.MatchingLabels{kumov1.ClusterNameLabel: name}); err != nil {
		return nil, nil, APIError(err, "list machines of "+name, namespace)
	}
	return cluster, machines.Items, nil
}

// ClusterReady is Done when the cluster is Ready with its current spec,
// and Failed when the cluster or one of its machines hit an error that
// waiting will not fix (unknown region or version, region full, bad flavor).
func ClusterReady(c *kumov1.Cluster, machines []kumov1.Machine) (Outcome, string) {
	if outcome, msg, over := unwaitable(c, machines); over {
		return outcome, msg
	}
	if c.Status.ObservedGeneration < c.Generation {
		// The status is of an older spec: its phase and counts are not news.
		return Pending, "waiting for the platform to pick up the change"
	}
	progress := fmt.Sprintf("%s, nodes %d/%d ready", orPending(string(c.Status.Phase)), c.Status.ReadyNodes, c.DesiredReplicas())
	if cp := meta.FindStatusCondition(c.Status.Conditions, kumov1.ControlPlaneReadyCondition); cp != nil && cp.Reason == kumov1.InsufficientHostMemoryReason {
		// It may wait long; say why.
		progress += ": " + cp.Message
	}
	if readyAt(c, c.Generation) {
		return Done, progress
	}
	return Pending, progress
}

// PoolScaled waits for a pool scaled from one size to another by a spec
// of the given generation (or a later one): Done when the cluster is Ready
// with it and the pool has exactly its new size. Meanwhile it says what
// happens: "scaling 5 -> 2: draining 3 nodes", "scaling 3 -> 5: 4/5 nodes
// ready", counting the pool's machines, not trusting a status of an older
// spec. Should someone resize the pool again after it (the platform has
// seen a later spec), the new size is never reached: it waits for theirs
// instead, and says that the spec changed again.
func PoolScaled(pool string, from, to int32, generation int64) ClusterCondition {
	return func(c *kumov1.Cluster, machines []kumov1.Machine) (Outcome, string) {
		if outcome, msg, over := unwaitable(c, machines); over {
			return outcome, msg
		}
		target, changed := to, ""
		if c.Status.ObservedGeneration > generation {
			if now, ok := poolReplicas(c, pool); now != to {
				target, changed = now, fmt.Sprintf("the spec changed again: pool %s wants %s now", pool, nodes(now))
				if !ok {
					changed = fmt.Sprintf("the spec changed again: pool %s is gone", pool)
				}
			}
		}
		var live, leaving, ready int32
		for _, m := range machines {
			switch {
			case m.Spec.Pool != pool:
			case !m.DeletionTimestamp.IsZero():
				leaving++
			default:
				live++
				if meta.IsStatusConditionTrue(m.Status.Conditions, kumov1.ReadyCondition) {
					ready++
				}
			}
		}
		done := readyAt(c, generation) && live == target && leaving == 0
		progress := fmt.Sprintf("%d/%d nodes ready", ready, target)
		if draining := live + leaving - target; draining > 0 {
			progress = "draining " + nodes(draining)
		}
		switch {
		case changed != "" && done:
			progress = changed + "; Ready, " + progress
		case changed != "":
			progress = changed + "; " + progress
		case from != to && done:
			progress = fmt.Sprintf("scaled %d -> %d: %s", from, to, progress)
		case from != to:
			progress = fmt.Sprintf("scaling %d -> %d: %s", from, to, progress)
		}
		if done {
			return Done, progress
		}
		return Pending, progress
	}
}

// poolReplicas is the size the cluster's spec gives a pool; ok is false
// when it has no such pool.
func poolReplicas(c *kumov1.Cluster, pool string) (replicas int32, ok bool) {
	for _, p := range c.Spec.NodePools {
		if p.Name == pool {
			return p.Replicas, true
		}
	}
	return 0, false
}

// readyAt reports whether the status describes a spec of at least the
// given generation (and the current one) and says Ready.
func readyAt(c *kumov1.Cluster, generation int64) bool {
	return c.Status.ObservedGeneration >= generation && c.Status.ObservedGeneration == c.Generation &&
		c.Status.Phase == kumov1.ClusterReady && meta.IsStatusConditionTrue(c.Status.Conditions, kumov1.ReadyCondition)
}

// unwaitable ends a wait for a cluster to become Ready: it is gone, going,
// or blocked by a problem waiting will not fix.
func unwaitable(c *kumov1.Cluster, machines []kumov1.Machine) (Outcome, string, bool) {
	switch {
	case c == nil:
		return Failed, "the cluster was deleted", true
	case !c.DeletionTimestamp.IsZero():
		return Failed, "the cluster is being deleted", true
	}
	if msg := blockingProblem(c, machines); msg != "" {
		return Failed, msg, true
	}
	return Pending, "", false
}

// ClusterGone is Done when the cluster no longer exists.
func ClusterGone(c *kumov1.Cluster, machines []kumov1.Machine) (Outcome, string) {
	if c == nil {
		return Done, "deleted"
	}
	return Pending, fmt.Sprintf("deleting, %d machines left", len(machines))
}

func blockingProblem(c *kumov1.Cluster, machines []kumov1.Machine) string {
	if cp := meta.FindStatusCondition(c.Status.Conditions, kumov1.ControlPlaneReadyCondition); cp != nil && c.Status.ObservedGeneration == c.Generation {
		switch cp.Reason {
		case kumov1.RegionNotFoundReason, kumov1.VersionNotSupportedReason:
			return cp.Message
		}
	}
	for _, m := range machines {
		if !m.DeletionTimestamp.IsZero() {
			continue // on its way out: its problems no longer block
		}
		if vm := meta.FindStatusCondition(m.Status.Conditions, kumov1.VMReadyCondition); vm != nil {
			switch vm.Reason {
			case kumov1.CapacityExhaustedReason, kumov1.InvalidFlavorReason:
				return fmt.Sprintf("machine %s: %s", m.Name, vm.Message)
			}
		}
	}
	return ""
}

// nodes is "1 node" or "n nodes".
func nodes(n int32) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

func orPending(s string) string {
	if s == "" {
		return "Pending"
	}
	return s
}
