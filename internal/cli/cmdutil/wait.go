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
	io := f.IOStreams
	start := f.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	follow := fmt.Sprintf("follow it with `kumoctl cluster describe %s -n %s`", name, namespace)
	tick := time.NewTicker(f.PollInterval)
	defer tick.Stop()
	for {
		cluster, machines, err := readCluster(ctx, c, namespace, name)
		switch code := CodeOf(err); {
		case err == nil:
		case code == ExitForbidden || code == ExitUsage:
			return err
		case ctx.Err() == nil:
			// A passing API error (a restart, a timeout): keep waiting.
			if io.IsTerminal() {
				_, _ = fmt.Fprintf(io.ErrOut, "\r\033[K%s: %v (retrying)", name, err)
			} else {
				_, _ = fmt.Fprintf(io.ErrOut, "%s: %v (retrying)\n", name, err)
			}
		}
		if err == nil && ctx.Err() == nil {
			outcome, detail := cond(cluster, machines)
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
	if c == nil {
		return Failed, "the cluster was deleted"
	}
	if !c.DeletionTimestamp.IsZero() {
		return Failed, "the cluster is being deleted"
	}
	if msg := blockingProblem(c, machines); msg != "" {
		return Failed, msg
	}
	progress := fmt.Sprintf("%s, nodes %d/%d ready", orPending(string(c.Status.Phase)), c.Status.ReadyNodes, c.DesiredReplicas())
	if c.Status.ObservedGeneration == c.Generation && c.Status.Phase == kumov1.ClusterReady &&
		meta.IsStatusConditionTrue(c.Status.Conditions, kumov1.ReadyCondition) {
		return Done, progress
	}
	return Pending, progress
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

func orPending(s string) string {
	if s == "" {
		return "Pending"
	}
	return s
}
