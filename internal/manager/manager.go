package manager

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/controller/cluster"
	"github.com/kumo-dev/kumo/internal/controller/evacuation"
	"github.com/kumo-dev/kumo/internal/controller/machine"
	"github.com/kumo-dev/kumo/internal/controller/migration"
	"github.com/kumo-dev/kumo/internal/controller/quota"
	"github.com/kumo-dev/kumo/internal/controller/region"
	"github.com/kumo-dev/kumo/internal/controller/simload"
	"github.com/kumo-dev/kumo/internal/controlplane"
	"github.com/kumo-dev/kumo/internal/exporter"
	"github.com/kumo-dev/kumo/internal/nodes"
	"github.com/kumo-dev/kumo/internal/nodes/kube"
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
	// Nodes holds tenant Nodes; nil means in each tenant API server
	// (nodes/kube), as locally and in production.
	Nodes nodes.Backend
	// ClusterWorkers and MachineWorkers are how many Clusters and Machines
	// reconcile at once (0: the controllers' defaults).
	ClusterWorkers, MachineWorkers int
	// MetricsAddr and HealthAddr: "0" disables.
	MetricsAddr, HealthAddr string
	// PprofAddr serves Go's /debug/pprof; "" and "0" disable.
	PprofAddr      string
	LeaderElection bool
	// LeaderElectionNamespace holds the leader lease.
	LeaderElectionNamespace string
	// AdmissionRefusal, when set and not empty, is why no Cluster may be
	// created or grown now (the datastore is out of space); the webhook
	// refuses them with it.
	AdmissionRefusal func() string
	// LeaseDuration and RenewDeadline of the leader lease (0: the
	// defaults, 15 s and 10 s).
	LeaseDuration, RenewDeadline time.Duration
	// RegionResyncPeriod is how often regions re-read capacity for what
	// changes outside Kumo (0: the controller's default).
	RegionResyncPeriod time.Duration
	// SkipNameValidation lets one process build several managers (tests
	// that play a restarted Kumo); controller-runtime refuses duplicate
	// controller names otherwise.
	SkipNameValidation bool
	// DrainTimeout is how long a migration's drain may take before it
	// reports DrainBlocked (0: the controller's default, 5 minutes).
	DrainTimeout time.Duration
	// PrometheusURL is the Prometheus the evacuation controller reads steal
	// from; "" reads it from Sim directly (no steal at all without either).
	PrometheusURL string
	// EvacuationInterval is how often each region's steal is read (0: the
	// controller's default).
	EvacuationInterval time.Duration
	// Log receives the manager's and the controllers' logs; the zero
	// Logger is controller-runtime's global one (ctrl.SetLogger).
	Log logr.Logger
	// Webhook configures the server of the admission webhooks (team
	// quotas), which WebhookConfiguration registers with the API server.
	// A zero Port serves none: quotas are counted but not enforced.
	Webhook webhook.Options
}

// WebhookConfigurationName is the ValidatingWebhookConfiguration of the
// manager's webhooks.
const WebhookConfigurationName = "kumo"

// WebhookConfiguration tells the API server where the manager's webhooks
// are: under baseURL ("https://127.0.0.1:23812"), serving a certificate
// that caBundle (PEM) signed.
func WebhookConfiguration(baseURL string, caBundle []byte) *admissionregistrationv1.ValidatingWebhookConfiguration {
	quotaURL, regionURL := baseURL+quota.WebhookPath, baseURL+region.WebhookPath
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: WebhookConfigurationName},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			quota.Webhook(admissionregistrationv1.WebhookClientConfig{URL: &quotaURL, CABundle: caBundle}),
			region.Webhook(admissionregistrationv1.WebhookClientConfig{URL: &regionURL, CABundle: caBundle}),
		},
	}
}

// machineExporter serves kumo_machine_info and the hypervisors' figures on
// the manager's /metrics.
func machineExporter(mgr ctrl.Manager, o Options) *exporter.Runnable {
	var regions func() []string
	var hypervisors cloud.HypervisorLister
	if o.Sim != nil {
		regions, hypervisors = o.Sim.Regions, o.Sim
	}
	return &exporter.Runnable{
		Collector: exporter.NewCollector(regions, hypervisors),
		Cache:     mgr.GetCache(), Registry: ctrlmetrics.Registry, Log: mgr.GetLogger().WithName("machine-exporter"),
	}
}

// cacheOptions keep in memory only what the controllers read: Secrets of
// Kumo's clusters (not every Secret of the management cluster) and no
// managedFields, which are often the largest part of an object.
func cacheOptions() cache.Options {
	kumoSecrets, _ := labels.NewRequirement(kumov1.ClusterNameLabel, selection.Exists, nil)
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Label: labels.NewSelector().Add(*kumoSecrets)},
			// The only ConfigMap the manager reads: the sim's CPU load.
			&corev1.ConfigMap{}: {
				Namespaces: map[string]cache.Config{simload.Namespace: {}},
				Field:      fields.OneTermEqualSelector("metadata.name", simload.ConfigMapName),
			},
		},
	}
}

// Leader election: a lease in the leader-election namespace (kumo-system,
// where `kumo up` runs the manager), and events about who leads.
// +kubebuilder:rbac:groups=coordination.k8s.io,namespace=kumo-system,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",namespace=kumo-system,resources=events,verbs=create;patch

// New builds a manager with every Kumo controller registered.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	var hooks webhook.Server
	if o.Webhook.Port != 0 {
		hooks = webhook.NewServer(o.Webhook)
	}
	metricsOpts := metricsserver.Options{BindAddress: o.MetricsAddr}
	if o.Sim != nil {
		// node_exporter's series of every sim VM, one endpoint for all.
		metricsOpts.ExtraHandlers = map[string]http.Handler{sim.NodeExporterPath: &sim.NodeMetrics{Cloud: o.Sim}}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Logger:                  quietStop(o.Log),
		Metrics:                 metricsOpts,
		HealthProbeBindAddress:  o.HealthAddr,
		PprofBindAddress:        o.PprofAddr,
		LeaderElection:          o.LeaderElection,
		LeaderElectionID:        "kumo-manager",
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		LeaseDuration:           durationOrNil(o.LeaseDuration),
		RenewDeadline:           durationOrNil(o.RenewDeadline),
		// Exit on lost leadership: a restarted process starts clean.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(o.SkipNameValidation)},
		Cache:                         cacheOptions(),
		WebhookServer:                 hooks,
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	backend := o.Nodes
	if backend == nil {
		kb := kube.New(tenant.NewClients(mgr.GetClient()))
		if err := mgr.Add(kb); err != nil {
			return nil, err
		}
		backend = kb
	}
	if err := mgr.Add(machineExporter(mgr, o)); err != nil {
		return nil, err
	}
	if err := (&region.Reconciler{Client: mgr.GetClient(), Provider: o.Provider, Sim: o.Sim, ResyncPeriod: o.RegionResyncPeriod}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if o.Sim != nil {
		if err := (&simload.Reconciler{Client: mgr.GetClient(), Sim: o.Sim}).SetupWithManager(mgr); err != nil {
			return nil, err
		}
	}
	if err := (&cluster.Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Runtime: o.Runtime, Nodes: backend,
		Recorder: mgr.GetEventRecorder("kumo-cluster"), Versions: toolchain.Resolve, MaxConcurrent: o.ClusterWorkers,
	}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&machine.Reconciler{
		Client: mgr.GetClient(), Provider: o.Provider, ProviderName: o.ProviderName, Nodes: backend,
		Recorder: mgr.GetEventRecorder("kumo-machine"), MaxConcurrent: o.MachineWorkers,
	}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&migration.Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Nodes: backend,
		Recorder: mgr.GetEventRecorder("kumo-migration"), DrainTimeout: o.DrainTimeout,
	}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := setupEvacuation(mgr, o, backend); err != nil {
		return nil, err
	}
	if err := (&quota.Reconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("kumo-quota")}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if hooks != nil {
		mgr.GetWebhookServer().Register(quota.WebhookPath, &admission.Webhook{Handler: &quota.Validator{
			Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Decoder: admission.NewDecoder(mgr.GetScheme()),
			Refusal: o.AdmissionRefusal,
		}})
		mgr.GetWebhookServer().Register(region.WebhookPath, &admission.Webhook{Handler: &region.Guard{Reader: mgr.GetAPIReader()}})
		if err := mgr.AddReadyzCheck("webhook", hooks.StartedChecker()); err != nil {
			return nil, err
		}
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	return mgr, nil
}

// setupEvacuation runs the evacuation controller on steal from Prometheus
// when one is configured, from the sim cloud otherwise.
func setupEvacuation(mgr ctrl.Manager, o Options, backend nodes.Backend) error {
	var src evacuation.Source
	switch {
	case o.PrometheusURL != "":
		p, err := evacuation.NewPromSource(o.PrometheusURL)
		if err != nil {
			return err
		}
		src = p
	case o.Sim != nil:
		src = &evacuation.SimSource{Cloud: o.Sim}
	}
	return (&evacuation.Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Source: src, Nodes: backend,
		Recorder: mgr.GetEventRecorder("kumo-evacuation"), Interval: o.EvacuationInterval,
	}).SetupWithManager(mgr)
}

func durationOrNil(d time.Duration) *time.Duration {
	if d == 0 {
		return nil
	}
	return &d
}
