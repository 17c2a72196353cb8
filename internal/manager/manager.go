package manager

import (
	"fmt"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/controller/cluster"
	"github.com/kumo-dev/kumo/internal/controller/machine"
	"github.com/kumo-dev/kumo/internal/controller/region"
	"github.com/kumo-dev/kumo/internal/controlplane"
	"github.com/kumo-dev/kumo/internal/tenant"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// Scheme holds the built-in kinds, Kumo's and CRDs (which `kumo up` installs).
func Scheme() *runtime.Scheme {
	s := kumov1.NewScheme()
	_ = apiextensionsv1.AddToScheme(s)
	return s
}

// Options configure the manager.
type Options struct {
	// Provider runs VMs; ProviderName prefixes their providerIDs.
	Provider     cloud.Provider
	ProviderName string
	// Sim, when the provider is the sim cloud, is configured from Regions.
	Sim     *sim.Cloud
	Runtime controlplane.Runtime
	// MetricsAddr and HealthAddr: "0" disables.
	MetricsAddr, HealthAddr string
	LeaderElection          bool
	// LeaderElectionNamespace holds the leader lease.
	LeaderElectionNamespace string
	// RegionResyncPeriod is how often regions re-read capacity for what
	// changes outside Kumo (0: the controller's default).
	RegionResyncPeriod time.Duration
	// SkipNameValidation lets one process build several managers (tests
	// that play a restarted Kumo); controller-runtime refuses duplicate
	// controller names otherwise.
	SkipNameValidation bool
	// Log receives the manager's and the controllers' logs; the zero
	// Logger is controller-runtime's global one (ctrl.SetLogger).
	Log logr.Logger
}

// Leader election: a lease in the leader-election namespace (kumo-system,
// where `kumo up` runs the manager), and events about who leads.
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=kumo-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",namespace=kumo-system,resources=events,verbs=create;patch

// New builds a manager with every Kumo controller registered.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Logger:                  quietStop(o.Log),
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.HealthAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "kumo-manager",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// Exit on lost leadership: a restarted process starts clean.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(o.SkipNameValidation)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	clients := tenant.NewClients(mgr.GetAPIReader())
	if err := (&region.Reconciler{Client: mgr.GetClient(), Provider: o.Provider, Sim: o.Sim, ResyncPeriod: o.RegionResyncPeriod}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&cluster.Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Runtime: o.Runtime, Clients: clients,
		Recorder: mgr.GetEventRecorder("kumo-cluster"), Versions: toolchain.Resolve,
	}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&machine.Reconciler{
		Client: mgr.GetClient(), Provider: o.Provider, ProviderName: o.ProviderName, Clients: clients,
		Recorder: mgr.GetEventRecorder("kumo-machine"),
	}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}
