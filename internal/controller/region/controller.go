package region

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/controller/internal/status"
	"github.com/kumo-dev/kumo/internal/controller/internal/wake"
)

// Reconciler reconciles Regions.
type Reconciler struct {
	Client   client.Client
	Provider cloud.Provider
	// Sim, when set, receives the hypervisor layout of sim regions.
	Sim *sim.Cloud
	// ResyncPeriod is how often capacity is re-read.
	ResyncPeriod time.Duration
}

// +kubebuilder:rbac:groups=kumo.dev,resources=regions,verbs=get;list;watch
// +kubebuilder:rbac:groups=kumo.dev,resources=regions/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=kumo.dev,resources=machines,verbs=get;list;watch

// SetupWithManager registers the controller. Capacity is re-read when the
// spec changes, when a Machine's VM appears or goes (so the status follows
// Kumo's own creates and deletes at once), and every ResyncPeriod for what
// happens in the cloud outside Kumo. Status-only updates of the Region do
// not wake it: they are its own writes.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&kumov1.Region{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&kumov1.Machine{}, wake.After(vmSettle, regionOfMachine, vmChanged)).
		Named("region").
		Complete(r)
}

// vmSettle is how long a region waits after a VM of its came or went before
// it re-reads its capacity: a fleet's VMs come by the hundred a second, and
// the region's status follows them with one update a second, not hundreds.
const vmSettle = time.Second

func regionOfMachine(o client.Object) []reconcile.Request {
	m, ok := o.(*kumov1.Machine)
	if !ok || m.Spec.Region == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: m.Spec.Region}}}
}

// vmChanged passes the Machine updates that change a region's usage: a VM
// recorded (providerID set). Creates do not (no VM yet); deletes do (the
// VM is deleted first).
func vmChanged(e event.UpdateEvent) bool {
	old, okOld := e.ObjectOld.(*kumov1.Machine)
	cur, okNew := e.ObjectNew.(*kumov1.Machine)
	return okOld && okNew && old.Spec.ProviderID != cur.Spec.ProviderID
}

// Reconcile configures the region (sim) and refreshes its capacity.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	region := &kumov1.Region{}
	if err := r.Client.Get(ctx, req.NamespacedName, region); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := region.DeepCopy()
	err := r.reconcile(ctx, region)
	region.Status.ObservedGeneration = region.Generation
	cond := metav1.Condition{Type: kumov1.ReadyCondition, Status: metav1.ConditionTrue, Reason: kumov1.ReadyReason,
		Message: "cloud API answers", ObservedGeneration: region.Generation}
	if err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, kumov1.CloudErrorReason, err.Error()
	}
	meta.SetStatusCondition(&region.Status.Conditions, cond)
	if perr := status.PatchStatus(ctx, r.Client, region, before, func(r *kumov1.Region) any { return r.Status }); perr != nil {
		return ctrl.Result{}, perr
	}
	period := r.ResyncPeriod
	if period == 0 {
		period = 30 * time.Second
	}
	if err != nil {
		return ctrl.Result{}, err // retried with backoff
	}
	return ctrl.Result{RequeueAfter: period}, nil
}

func (r *Reconciler) reconcile(ctx context.Context, region *kumov1.Region) error {
	if region.Spec.Provider == kumov1.ProviderSim {
		if r.Sim == nil {
			return fmt.Errorf("region %s wants the sim provider, which this manager does not run", region.Name)
		}
		hv := region.Spec.Hypervisors
		if hv == nil {
			return fmt.Errorf("sim region %s has no spec.hypervisors", region.Name)
		}
		if err := r.Sim.EnsureRegion(region.Name, sim.RegionConfig{
			Hypervisors: hv.Count, Cores: hv.Cores, MemoryGiB: hv.MemoryGiB, CPUOvercommitRatio: region.Spec.CPUOvercommitRatio,
		}); err != nil {
			return fmt.Errorf("configuring sim region: %w", err)
		}
	}
	capacity, err := r.Provider.Capacity(ctx, region.Name)
	if err != nil {
		return fmt.Errorf("reading capacity: %w", err)
	}
	region.Status.Hypervisors = capacity.Hypervisors
	region.Status.VCPUs, region.Status.UsedVCPUs = capacity.VCPUs, capacity.UsedVCPUs
	region.Status.MemoryGiB, region.Status.UsedMemoryGiB = capacity.MemoryMiB>>10, capacity.UsedMemoryMiB>>10
	region.Status.Servers = capacity.Servers
	flavors, err := r.Provider.Flavors(ctx, region.Name)
	if err != nil {
		return fmt.Errorf("listing flavors: %w", err)
	}
	region.Status.Flavors = nil
	for _, f := range flavors {
		region.Status.Flavors = append(region.Status.Flavors, kumov1.FlavorInfo{Name: f.Name, VCPUs: f.VCPUs, MemoryMiB: f.MemoryMiB})
	}
	return nil
}
