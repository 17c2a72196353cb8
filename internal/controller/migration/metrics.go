package migration

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// stepDuration times each step from its start to its last drain, and each
// rollback, so that a slow migration shows where its time went.
var stepDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "kumo_migration_step_duration_seconds",
	Help:    "Time a ClusterMigration step took, from its start to its last old node drained (kind=step), or a rollback (kind=rollback).",
	Buckets: prometheus.ExponentialBuckets(5, 2, 10), // 5 s to about 43 min
}, []string{"kind"})

// phaseDesc counts migrations by phase, read from the cache when scraped,
// so that it is right after a restart with nothing to rebuild.
var phaseDesc = prometheus.NewDesc("kumo_cluster_migrations", "ClusterMigrations by phase.", []string{"phase"}, nil)

// phaseCollector reads through the newest manager's cache: a process that
// builds a second manager (tests, a restart) must not count from a stopped
// one's.
type phaseCollector struct {
	reader *atomic.Pointer[client.Reader]
}

var phaseReader atomic.Pointer[client.Reader]

func (c phaseCollector) Describe(ch chan<- *prometheus.Desc) { ch <- phaseDesc }

func (c phaseCollector) Collect(ch chan<- prometheus.Metric) {
	var list kumov1.ClusterMigrationList
	r := c.reader.Load()
	if r == nil {
		return
	}
	if err := (*r).List(context.Background(), &list); err != nil {
		return
	}
	counts := map[kumov1.MigrationPhase]int{}
	for _, p := range []kumov1.MigrationPhase{kumov1.MigrationPending, kumov1.MigrationMigrating, kumov1.MigrationWaitingForApproval,
		kumov1.MigrationPaused, kumov1.MigrationSoaking, kumov1.MigrationCompleted, kumov1.MigrationRollingBack,
		kumov1.MigrationRolledBack, kumov1.MigrationFailed} {
		counts[p] = 0
	}
	for _, m := range list.Items {
		phase := m.Status.Phase
		if phase == "" {
			phase = kumov1.MigrationPending
		}
		counts[phase]++
	}
	for p, n := range counts {
		ch <- prometheus.MustNewConstMetric(phaseDesc, prometheus.GaugeValue, float64(n), string(p))
	}
}

// registerMetrics adds the migration metrics to the manager's registry once
// per process (tests build several managers) and counts phases through
// reader from now on.
func registerMetrics(reader client.Reader) {
	phaseReader.Store(&reader)
	for _, c := range []prometheus.Collector{stepDuration, phaseCollector{reader: &phaseReader}} {
		var dup prometheus.AlreadyRegisteredError
		if err := metrics.Registry.Register(c); err != nil && !errors.As(err, &dup) {
			panic(err)
		}
	}
}
