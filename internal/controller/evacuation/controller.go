package evacuation

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/controller/internal/status"
	"github.com/kumo-dev/kumo/internal/controller/internal/wake"
	"github.com/kumo-dev/kumo/internal/nodes"
)

// DefaultInterval is how often a region's steal is read.
const DefaultInterval = 15 * time.Second

// Reconciler evacuates the nodes of one Region per reconcile.
type Reconciler struct {
	Client client.Client
	// APIReader reads around the cache where a stale read would create
	// a second replacement.
	APIReader client.Reader
	// Source reads steal; nil: every node's data is missing (no action).
	Source Source
	// Nodes cordons and drains the tenant clusters' Nodes.
	Nodes    nodes.Backend
	Recorder events.EventRecorder
	// Interval, MaxAge and ReplaceTimeout: the defaults when zero.
	Interval, MaxAge, ReplaceTimeout time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// told is, per region, the verdict last told per node due this pass
	// ("namespace/cluster/machine"): a node held back for an hour makes one
	// event, not one a pass. A node no longer due drops out, and is told
	// anew when due again; a restart tells each once again.
	mu   sync.Mutex
	told map[string]map[string]Verdict
}

// Values of kumov1.EvacuationLabel on the Machine that leaves.
const (
	replacingValue = "replacing"
	drainingValue  = "draining"
)

// +kubebuilder:rbac:groups=kumo.dev,resources=regions,verbs=get;list;watch
// +kubebuilder:rbac:groups=kumo.dev,resources=clusters,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=machines,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupWithManager registers the controller: each Region is reconciled
// every Interval, and at once when a Machine an evacuation holds changes
// (a replacement that became Ready).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	registerMetrics()
	byRegion := func(o client.Object) []reconcile.Request {
		m, ok := o.(*kumov1.Machine)
		if !ok {
			return nil
		}
		_, leaving := m.Labels[kumov1.EvacuationLabel]
		_, replacing := m.Labels[kumov1.ReplacesLabel]
		if !leaving && !replacing {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: m.Spec.Region}}}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&kumov1.Region{}).
		Watches(&kumov1.Machine{}, wake.After(500*time.Millisecond, byRegion, nil)).
		Named("evacuation").
		Complete(r)
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultInterval
}

// regionScope is what one reconcile of a region knows.
type regionScope struct {
	region   *kumov1.Region
	policy   Policy
	clusters map[string]*kumov1.Cluster // by namespace/name
	// machines are the region's Machines, deleting ones included.
	machines []*kumov1.Machine
}

func clusterKey(namespace, name string) string { return namespace + "/" + name }

// Reconcile moves the region's evacuations on, then decides on new ones.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return status.RequeueOnConflict(r.reconcile(ctx, req))
}

func (r *Reconciler) reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	region := &kumov1.Region{}
	if err := r.Client.Get(ctx, req.NamespacedName, region); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s, err := r.load(ctx, region)
	if err != nil {
		return ctrl.Result{}, err
	}
	// Evacuations under way finish even if the policy was turned off:
	// a half-done one holds a surplus node.
	inFlight := 0
	for _, m := range s.machines {
		if _, ok := m.Labels[kumov1.EvacuationLabel]; ok && m.DeletionTimestamp.IsZero() {
			inFlight++
			if err := r.progress(ctx, s, m); err != nil {
				return ctrl.Result{}, err
			}
		}
		if err := r.forgetReplaced(ctx, s, m); err != nil {
			return ctrl.Result{}, err
		}
	}
	inProgress.WithLabelValues(region.Name).Set(float64(inFlight))
	if !s.policy.Enabled {
		// Windows opened before the policy was turned off say nothing of
		// the time since: closed, so that turning it on starts afresh.
		for _, m := range s.machines {
			if _, ok := m.Annotations[kumov1.StealSinceAnnotation]; ok && m.DeletionTimestamp.IsZero() {
				if err := r.setSince(ctx, m, time.Time{}); err != nil {
					return ctrl.Result{}, err
				}
			}
		}
		return ctrl.Result{RequeueAfter: r.interval()}, nil
	}
	if err := r.decide(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: r.interval()}, nil
}

func (r *Reconciler) load(ctx context.Context, region *kumov1.Region) (*regionScope, error) {
	s := &regionScope{region: region, policy: PolicyOf(region.Spec.Evacuation, r.MaxAge), clusters: map[string]*kumov1.Cluster{}}
	var clusters kumov1.ClusterList
	if err := r.Client.List(ctx, &clusters); err != nil {
		return nil, fmt.Errorf("listing clusters: %w", err)
	}
	for i := range clusters.Items {
		c := &clusters.Items[i]
		s.clusters[clusterKey(c.Namespace, c.Name)] = c
	}
	var ms kumov1.MachineList
	if err := r.Client.List(ctx, &ms); err != nil {
		return nil, fmt.Errorf("listing machines: %w", err)
	}
	for i := range ms.Items {
		if ms.Items[i].Spec.Region == region.Name {
			s.machines = append(s.machines, &ms.Items[i])
		}
	}
	return s, nil
}

// decide reads the region's steal, runs Decide, records the windows on
// the Machines and acts on the verdicts.
func (r *Reconciler) decide(ctx context.Context, s *regionScope) error {
	logger := log.FromContext(ctx)
	now := r.now()
	samples := map[string]Sample{}
	if r.Source != nil {
		got, err := r.Source.Steal(ctx, s.region.Name)
		if err != nil {
			// Treated as missing data: no action, windows close.
			logger.Error(err, "reading steal", "region", s.region.Name)
			sourceErrors.WithLabelValues(s.region.Name).Inc()
		} else {
			samples = got
		}
	}
	in := Input{Now: now, Policy: s.policy, Clusters: map[string]ClusterState{}}
	hourAgo := now.Add(-time.Hour)
	recent := map[string]bool{} // cluster/machine@time, across Clusters' records and Machines under way
	count := func(key string, rec kumov1.EvacuationRecord) {
		cs := in.Clusters[key]
		if rec.Started.After(cs.LastStarted) {
			cs.LastStarted = rec.Started.Time
		}
		in.Clusters[key] = cs
		if !rec.Started.Time.Before(hourAgo) {
			recent[key+"/"+rec.Machine+"@"+rec.Started.UTC().Format(time.RFC3339)] = true
		}
	}
	for key, c := range s.clusters {
		cs := in.Clusters[key]
		cs.OptedOut, cs.Migrating = c.EvacuationOptedOut(), c.Status.MigratingTo != ""
		in.Clusters[key] = cs
		for _, rec := range kumov1.EvacuationRecords(c.Annotations) {
			if rec.Region == s.region.Name {
				count(key, rec)
			}
		}
	}
	byKey := map[string]*kumov1.Machine{}
	for _, m := range s.machines {
		key := clusterKey(m.Namespace, m.Spec.ClusterName)
		if _, ok := m.Labels[kumov1.EvacuationLabel]; ok {
			cs := in.Clusters[key]
			cs.InFlight++
			in.Clusters[key] = cs
			if rec, ok := machineRecord(m); ok {
				count(key, rec)
			}
			continue
		}
		c := s.clusters[key]
		if c == nil || !c.DeletionTimestamp.IsZero() || !m.DeletionTimestamp.IsZero() ||
			m.Spec.ProviderID == "" || m.Status.Phase != kumov1.MachineRunning {
			continue
		}
		cand := Candidate{Cluster: key, Machine: m.Name, Hypervisor: m.Status.Hypervisor}
		if smp, ok := samples[serverID(m)]; ok {
			cand.Sample = &smp
		}
		if t, err := time.Parse(time.RFC3339, m.Annotations[kumov1.StealSinceAnnotation]); err == nil {
			cand.Since = t
		}
		byKey[key+"/"+m.Name] = m
		in.Candidates = append(in.Candidates, cand)
	}
	in.StartedLastHour = len(recent)

	res := Decide(in)
	for key, since := range res.Since {
		if err := r.setSince(ctx, byKey[key], since); err != nil {
			return err
		}
	}
	r.mu.Lock()
	lastTold := r.told[s.region.Name]
	r.mu.Unlock()
	told := map[string]Verdict{}
	defer func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.told == nil {
			r.told = map[string]map[string]Verdict{}
		}
		r.told[s.region.Name] = told
	}()
	for _, d := range res.Decisions {
		decisions.WithLabelValues(s.region.Name, string(d.Verdict)).Inc()
		c := s.clusters[d.Cluster]
		typ := corev1.EventTypeNormal
		if d.Verdict != Evacuate && d.Verdict != WouldEvacuate {
			typ = corev1.EventTypeWarning
		}
		key := d.Cluster + "/" + d.Machine
		told[key] = d.Verdict
		if prev, ok := lastTold[key]; !ok || prev != d.Verdict {
			// Related to the Machine: events.k8s.io folds events of one
			// regarding, related and reason into one series, note and all.
			status.RelatedEvent(r.Recorder, c, byKey[key], typ, eventReason[d.Verdict], "%s", d.Message)
		}
		if d.Verdict == Evacuate {
			if err := r.start(ctx, s, c, byKey[d.Cluster+"/"+d.Machine], d, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// eventReason is one reason per verdict, so that a change of verdict is a
// new event and not a count on the last one's series.
var eventReason = map[Verdict]string{
	Evacuate:         "EvacuationStarted",
	WouldEvacuate:    "EvacuationDryRun",
	HoldOptedOut:     "EvacuationHeldOptedOut",
	HoldMigrating:    "EvacuationHeldMigrating",
	HoldClusterLimit: "EvacuationHeldClusterLimit",
	HoldCooldown:     "EvacuationHeldCooldown",
	HoldRegionLimit:  "EvacuationHeldRegionLimit",
	HoldStaleData:    "EvacuationHeldStaleData",
}

// setSince records (or, zero, clears) when the Machine's steal went above
// the threshold.
func (r *Reconciler) setSince(ctx context.Context, m *kumov1.Machine, since time.Time) error {
	patch := client.MergeFrom(m.DeepCopy())
	if since.IsZero() {
		delete(m.Annotations, kumov1.StealSinceAnnotation)
	} else {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[kumov1.StealSinceAnnotation] = since.UTC().Format(time.RFC3339)
	}
	if err := r.Client.Patch(ctx, m, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("recording the steal window of machine %s: %w", m.Name, err)
	}
	return nil
}

// machineRecord reads the evacuation an old Machine records.
func machineRecord(m *kumov1.Machine) (kumov1.EvacuationRecord, bool) {
	var rec kumov1.EvacuationRecord
	v, ok := m.Annotations[kumov1.EvacuationAnnotation]
	if !ok || json.Unmarshal([]byte(v), &rec) != nil {
		return rec, false
	}
	return rec, true
}

// start marks the Machine as leaving, with its record and the name of its
// replacement, in one write: from then on progress (repeatable) carries
// the evacuation, and the Machine counts against the limits.
func (r *Reconciler) start(ctx context.Context, s *regionScope, c *kumov1.Cluster, m *kumov1.Machine, d Decision, now time.Time) error {
	rec := kumov1.EvacuationRecord{
		Machine: m.Name, Replacement: freeName(s, c, m.Spec.Pool), Region: s.region.Name, Hypervisor: d.Hypervisor,
		StealPercent: float64(int(1000*d.Steal)) / 10, Started: metavNow(now),
	}
	if err := r.patchRecord(ctx, m, rec, replacingValue); err != nil {
		return err
	}
	started.WithLabelValues(s.region.Name).Inc()
	return r.progress(ctx, s, m)
}
