package simload

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// Reconciler gives the sim cloud the load recorded in the API.
type Reconciler struct {
	Client client.Client
	Sim    *sim.Cloud
}

// +kubebuilder:rbac:groups="",namespace=kumo-system,resources=configmaps,verbs=get;list;watch

// SetupWithManager registers the controller for the one ConfigMap (the
// manager's cache holds no other; see manager.cacheOptions).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&corev1.ConfigMap{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return o.GetNamespace() == Namespace && o.GetName() == ConfigMapName
		}))).
		Named("simload").
		Complete(r)
}

// Reconcile replaces the sim's load with the ConfigMap's: the whole load
// each time, so a repeat or a missed event changes nothing.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cm := &corev1.ConfigMap{}
	err := r.Client.Get(ctx, req.NamespacedName, cm)
	switch {
	case apierrors.IsNotFound(err):
		cm = nil // no load: back to the default profile
	case err != nil:
		return ctrl.Result{}, err
	}
	spec, err := Parse(cm)
	if err != nil {
		// A hand edit gone wrong: retrying will not mend it, the next edit will.
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	if err := r.Sim.SetLoad(spec.Load()); err != nil {
		return ctrl.Result{}, reconcile.TerminalError(fmt.Errorf("applying %s/%s: %w", Namespace, ConfigMapName, err))
	}
	ctrl.LoggerFrom(ctx).Info("Applied sim CPU load", "machines", len(spec.Machines), "hypervisors", len(spec.Hypervisors))
	return ctrl.Result{}, nil
}
