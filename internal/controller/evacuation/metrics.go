package evacuation

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kumo_evacuation_decisions_total",
		Help: "Evacuation decisions by region and decision (evacuate, dry_run, held_*); a node held back counts on every pass that holds it.",
	}, []string{"region", "decision"})
	started = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kumo_evacuations_started_total", Help: "Evacuations started, by region.",
	}, []string{"region"})
	completed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kumo_evacuations_completed_total", Help: "Evacuations whose old node was drained and deleted, by region.",
	}, []string{"region"})
	aborted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kumo_evacuations_aborted_total", Help: "Evacuations given up (replacement not Ready in time, pool removed), by region.",
	}, []string{"region"})
	inProgress = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kumo_evacuations_in_progress", Help: "Evacuations under way, by region.",
	}, []string{"region"})
	sourceErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kumo_evacuation_steal_read_errors_total", Help: "Failed reads of steal (the pass takes no action), by region.",
	}, []string{"region"})
)

var registerOnce sync.Once

func registerMetrics() {
	registerOnce.Do(func() {
		metrics.Registry.MustRegister(decisions, started, completed, aborted, inProgress, sourceErrors)
	})
}
