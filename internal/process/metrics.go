package process

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of supervised processes, on the manager's metrics endpoint. The
// cluster label is namespace/name of a tenant cluster, empty for the
// platform's own components.
var (
	restarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kumo_component_restarts_total",
		Help: "Restarts of a supervised control-plane component, after it exited or was killed for failing its probes.",
	}, []string{"cluster", "component"})
	probeFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kumo_component_probe_failures_total",
		Help: "Failed health checks of a supervised control-plane component, by probe (startup, liveness, readiness).",
	}, []string{"cluster", "component", "probe"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(restarts, probeFailures)
}

// ForgetMetrics drops the series of a deleted cluster's components.
func ForgetMetrics(cluster string) {
	restarts.DeletePartialMatch(prometheus.Labels{"cluster": cluster})
	probeFailures.DeletePartialMatch(prometheus.Labels{"cluster": cluster})
}
