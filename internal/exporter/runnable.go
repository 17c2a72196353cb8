package exporter

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// Runnable serves a Collector while a manager runs: it feeds it from the
// manager's Machine informer (the controllers' own cache, so the exporter
// costs no second watch) and registers it with Registry. Every replica
// serves it, leader or not.
type Runnable struct {
	Collector *Collector
	Cache     cache.Cache
	Registry  prometheus.Registerer
	Log       logr.Logger
}

// Start implements manager.Runnable.
func (r *Runnable) Start(ctx context.Context) error {
	inf, err := r.Cache.GetInformer(ctx, &kumov1.Machine{})
	if err != nil {
		return fmt.Errorf("getting the Machine informer for machine_exporter: %w", err)
	}
	h, err := inf.AddEventHandler(r.Collector.Handler())
	if err != nil {
		return fmt.Errorf("watching Machines for machine_exporter: %w", err)
	}
	defer func() { _ = inf.RemoveEventHandler(h) }()
	if err := r.Registry.Register(r.Collector); err != nil {
		if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
			// Another manager of this process (a test's) serves it.
			r.Log.Info("machine_exporter is served by another manager of this process")
			<-ctx.Done()
			return nil
		}
		return fmt.Errorf("registering machine_exporter: %w", err)
	}
	defer r.Registry.Unregister(r.Collector)
	<-ctx.Done()
	return nil
}

// NeedLeaderElection is false: exporters serve on every replica.
func (r *Runnable) NeedLeaderElection() bool { return false }
