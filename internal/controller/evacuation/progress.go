package evacuation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/machines"
	"github.com/kumo-dev/kumo/internal/controller/internal/status"
)

// DefaultReplaceTimeout is how long a replacement may take to become Ready
// before the evacuation gives up and the node stays.
const DefaultReplaceTimeout = 10 * time.Minute

// progress takes one evacuation as far as it goes now. Every step is read
// from the API (the old Machine's label and record, the replacement by
// name), so a repeat after a crash at any line does each step once:
// replacement created and Ready, old node cordoned and drained (PDBs
// honoured, no pod deleted by force), old Machine deleted, which deletes
// its VM.
func (r *Reconciler) progress(ctx context.Context, s *regionScope, m *kumov1.Machine) error {
	c := s.clusters[clusterKey(m.Namespace, m.Spec.ClusterName)]
	if c == nil || !c.DeletionTimestamp.IsZero() || c.Status.MigratingTo != "" {
		// Deleted with its cluster, or a migration holds every Machine.
		return nil
	}
	rec, ok := machineRecord(m)
	pool, inSpec := poolOf(c, m.Spec.Pool)
	if !ok || !inSpec {
		// An unreadable record or a pool gone from the spec: the cluster
		// controller decides this Machine's fate, not an evacuation.
		return r.abort(ctx, c, m, nil, "its pool left the cluster's spec")
	}
	if err := r.recordOnCluster(ctx, c, rec); err != nil {
		return err
	}
	repl := &kumov1.Machine{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: rec.Replacement}, repl)
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("reading replacement %s: %w", rec.Replacement, err)
	}
	if err != nil { // not found: create it
		nm := machines.New(c, pool, rec.Replacement, m.Spec.Region, map[string]string{kumov1.ReplacesLabel: m.Name})
		nm.Spec.Placement = &kumov1.Placement{DifferentHostFrom: []string{serverID(m)}}
		created, err := machines.Create(ctx, r.Client, c, nm)
		if err != nil {
			return err
		}
		if created {
			status.RelatedEvent(r.Recorder, c, m, corev1.EventTypeNormal, "EvacuationReplacing",
				"Creating node %s to replace %s, on any hypervisor but %s", nm.Name, m.Name, rec.Hypervisor)
		}
		return nil // the next pass reads what exists
	}
	if repl.Labels[kumov1.ReplacesLabel] != m.Name {
		// The cluster controller took the name first: pick another.
		rec.Replacement = freeName(s, c, m.Spec.Pool)
		return r.patchRecord(ctx, m, rec, replacingValue)
	}
	if !repl.DeletionTimestamp.IsZero() {
		return nil // being deleted by someone else; created again once gone
	}
	if !machines.Ready(repl) {
		if r.now().Sub(rec.Started.Time) > r.replaceTimeout() {
			return r.abort(ctx, c, m, repl, fmt.Sprintf("its replacement %s was not Ready within %s", repl.Name, r.replaceTimeout()))
		}
		return nil
	}
	if m.Labels[kumov1.EvacuationLabel] != drainingValue {
		if err := r.patchRecord(ctx, m, rec, drainingValue); err != nil {
			return err
		}
	}
	d, err := r.Nodes.Evict(ctx, c, m.Name)
	if err != nil {
		return fmt.Errorf("draining node %s: %w", m.Name, err)
	}
	if d.Cordoned {
		status.RelatedEvent(r.Recorder, c, m, corev1.EventTypeNormal, "EvacuationDraining",
			"Replacement %s is Ready on hypervisor %s: cordoned %s to drain it", repl.Name, repl.Status.Hypervisor, m.Name)
	}
	if !d.Done {
		return nil
	}
	if err := r.Client.Delete(ctx, m); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting machine %s: %w", m.Name, err)
	}
	completed.WithLabelValues(s.region.Name).Inc()
	status.RelatedEvent(r.Recorder, c, m, corev1.EventTypeNormal, "Evacuated",
		"Evacuated node %s from hypervisor %s (steal %.0f%%): its pods moved, its VM is being deleted; %s runs on hypervisor %s",
		m.Name, rec.Hypervisor, rec.StealPercent, repl.Name, repl.Status.Hypervisor)
	return nil
}

// abort ends an evacuation that cannot finish: the replacement (if any)
// goes, the old Machine stays in service.
func (r *Reconciler) abort(ctx context.Context, c *kumov1.Cluster, m, repl *kumov1.Machine, why string) error {
	if repl != nil {
		if err := r.Client.Delete(ctx, repl); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting machine %s: %w", repl.Name, err)
		}
	}
	if err := r.Nodes.Uncordon(ctx, c, m.Name); err != nil {
		return err
	}
	patch := client.MergeFrom(m.DeepCopy())
	delete(m.Labels, kumov1.EvacuationLabel)
	delete(m.Annotations, kumov1.StealSinceAnnotation)
	if err := r.Client.Patch(ctx, m, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("ending the evacuation of machine %s: %w", m.Name, err)
	}
	aborted.WithLabelValues(m.Spec.Region).Inc()
	status.RelatedEvent(r.Recorder, c, m, corev1.EventTypeWarning, "EvacuationAborted", "Gave up evacuating node %s: %s; it stays in service", m.Name, why)
	return nil
}

func (r *Reconciler) replaceTimeout() time.Duration {
	if r.ReplaceTimeout > 0 {
		return r.ReplaceTimeout
	}
	return DefaultReplaceTimeout
}

// forgetReplaced drops the replaces label of a replacement whose old
// Machine is gone: it is an ordinary Machine of its pool from then on.
func (r *Reconciler) forgetReplaced(ctx context.Context, s *regionScope, m *kumov1.Machine) error {
	old, ok := m.Labels[kumov1.ReplacesLabel]
	if !ok {
		return nil
	}
	for _, o := range s.machines {
		if o.Namespace == m.Namespace && o.Name == old {
			return nil
		}
	}
	patch := client.MergeFrom(m.DeepCopy())
	delete(m.Labels, kumov1.ReplacesLabel)
	if err := r.Client.Patch(ctx, m, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("labelling machine %s: %w", m.Name, err)
	}
	return nil
}

// patchRecord writes the evacuation's step and record on the old Machine.
func (r *Reconciler) patchRecord(ctx context.Context, m *kumov1.Machine, rec kumov1.EvacuationRecord, step string) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	patch := client.MergeFrom(m.DeepCopy())
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Labels[kumov1.EvacuationLabel] = step
	m.Annotations[kumov1.EvacuationAnnotation] = string(b)
	if err := r.Client.Patch(ctx, m, patch); err != nil {
		return fmt.Errorf("recording the evacuation of machine %s: %w", m.Name, err)
	}
	return nil
}

// recordOnCluster adds the evacuation to the Cluster's recent ones, once:
// the cooldown and the region's hourly limit count from there after the
// old Machine is gone, and `kumoctl cluster describe` shows them.
func (r *Reconciler) recordOnCluster(ctx context.Context, c *kumov1.Cluster, rec kumov1.EvacuationRecord) error {
	recs := kumov1.EvacuationRecords(c.Annotations)
	for _, o := range recs {
		if o.Machine == rec.Machine && o.Started.Equal(&rec.Started) {
			return nil
		}
	}
	recs = append(recs, rec)
	if n := len(recs) - kumov1.MaxEvacuationRecords; n > 0 {
		recs = recs[n:]
	}
	b, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	patch := client.MergeFrom(c.DeepCopy())
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[kumov1.EvacuationAnnotation] = string(b)
	if err := r.Client.Patch(ctx, c, patch); err != nil {
		return fmt.Errorf("recording the evacuation on cluster %s: %w", c.Name, err)
	}
	return nil
}

// freeName is the lowest "<cluster>-<pool>-<i>" no Machine of the region
// holds, as the cluster controller names Machines.
func freeName(s *regionScope, c *kumov1.Cluster, pool string) string {
	taken := map[string]bool{}
	for _, m := range s.machines {
		if m.Namespace == c.Namespace {
			taken[m.Name] = true
		}
	}
	for i := 0; ; i++ {
		if name := fmt.Sprintf("%s-%s-%d", c.Name, pool, i); !taken[name] {
			return name
		}
	}
}

func poolOf(c *kumov1.Cluster, name string) (kumov1.NodePool, bool) {
	for _, p := range c.Spec.NodePools {
		if p.Name == name {
			return p, true
		}
	}
	return kumov1.NodePool{}, false
}

func serverID(m *kumov1.Machine) string { return machines.ServerID(m.Spec.ProviderID) }

func metavNow(t time.Time) metav1.Time { return metav1.NewTime(t.UTC().Truncate(time.Second)) }
