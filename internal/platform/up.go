package platform

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/config/crd"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/controlplane"
	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
	cpscale "github.com/kumo-dev/kumo/internal/controlplane/scale"
	"github.com/kumo-dev/kumo/internal/manager"
	nodescale "github.com/kumo-dev/kumo/internal/nodes/scale"
	"github.com/kumo-dev/kumo/internal/platform/console"
	"github.com/kumo-dev/kumo/internal/ports"
	"github.com/kumo-dev/kumo/internal/process"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// Options configure `kumo up`.
type Options struct {
	// DataDir holds all state: etcd, certificates, the sim cloud, logs.
	DataDir string
	// CacheDir holds the built binaries.
	CacheDir string
	// DefaultKubernetes is the version a fresh catalog marks as the
	// default for new clusters ("1.36"); empty is the newest.
	DefaultKubernetes string
	// APIServerPort, EtcdPort and EtcdPeerPort: 0 keeps the ports chosen on
	// the data directory's first run; another value replaces them for good.
	APIServerPort, EtcdPort, EtcdPeerPort int
	// MetricsAddr and HealthAddr of the manager: "" keeps the addresses
	// chosen on the first run, "0" disables; like the ports, a value given
	// once is kept.
	MetricsAddr, HealthAddr string
	// PprofAddr serves the manager's /debug/pprof (for profiling; "" off).
	PprofAddr string
	// WebhookPort of the manager's admission webhooks: 0 keeps the port
	// chosen on the first run. It cannot be disabled: quotas need it.
	WebhookPort int
	// HostMemoryReserve is the host memory tenant control planes leave
	// available: a size ("2Gi") or a share of the host's ("10%"); "" keeps
	// what the data directory's last run was given (10% at first).
	HostMemoryReserve string
	// EtcdQuotaBytes is the management etcd's --quota-backend-bytes (0:
	// what the data directory's last run was given, 8 GiB at first).
	EtcdQuotaBytes int64
	// VMBootDelay is how long a sim VM takes to boot.
	VMBootDelay time.Duration
	// Fidelity is FidelityFull or FidelityScale; "" keeps the level of the
	// data directory's first run (full for a new one).
	Fidelity string
	// Out receives progress and one line per cluster event for the person
	// who ran `kumo up`; Log receives the details.
	Out io.Writer
	Log logr.Logger
	// Prometheus runs the pinned Prometheus with deploy/prometheus's
	// configuration and rules (building it on a cold cache), on
	// PrometheusPort of 127.0.0.1: 0 keeps the port chosen on the first run
	// with Prometheus. PrometheusInterval, if set, replaces its scrape and
	// rule evaluation intervals (15 s).
	Prometheus         bool
	PrometheusPort     int
	PrometheusInterval time.Duration
	// Command is how that person ran kumo (e.g. "bin/kumo", shell-quoted),
	// so that the commands Up prints run as typed; "" means "kumo".
	Command string
}

// SimAPILimit is the sim cloud's API rate limit, like a real cloud's API
// gateway; high enough that it paces a fleet's storm rather than decides
// how long the fleet takes.
var SimAPILimit = sim.RateLimit{QPS: 1000, Burst: 2000}

// KubeconfigPath is where `kumo up` writes the admin kubeconfig.
func KubeconfigPath(dataDir string) string { return filepath.Join(dataDir, "kubeconfig") }

// Up runs the platform until ctx is cancelled, then stops everything it started.
func Up(ctx context.Context, o Options) error {
	out := o.Out
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	o.DataDir = dataDir
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}
	unlock, err := lockDir(o.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.WriteFile(PIDPath(o.DataDir), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	defer func() { _ = os.Remove(PIDPath(o.DataDir)) }()
	reg := ports.Open(ports.DefaultPath(), o.DataDir)
	cfg, err := loadConfig(o.DataDir, o, reg)
	if err != nil {
		return err
	}
	check := *cfg
	if !o.Prometheus { // its port, kept from an earlier run, may be busy
		check.PrometheusPort = 0
	} else if _, err := scrapeAddress(cfg.MetricsBindAddress); err != nil {
		return err
	}
	if err := checkPorts(&check, reg); err != nil {
		return err
	}
	if o.DefaultKubernetes != "" { // refused before anything starts
		if _, err := toolchain.Resolve(o.DefaultKubernetes); err != nil {
			return fmt.Errorf("--default-kubernetes: %w", err)
		}
	}
	con := console.New(out)

	tc := toolchain.New(o.CacheDir, out)
	bins, err := tc.All(ctx, toolchain.PlatformVersion())
	if err != nil {
		return err
	}
	etcdBin, kube := bins.Etcd, bins.KubernetesBinaries
	var promBins *toolchain.PrometheusBinaries
	if o.Prometheus {
		if promBins, err = tc.Prometheus(ctx); err != nil {
			return err
		}
	}
	certs, err := ensurePKI(filepath.Join(o.DataDir, "pki"))
	if err != nil {
		return err
	}
	if err := ensureWebhookCert(certs); err != nil {
		return err
	}

	var procs []*process.Supervisor
	defer func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].Stop()
		}
	}()
	logs := LogDir(o.DataDir)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", cfg.EtcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", cfg.EtcdPeerPort)
	_, _ = fmt.Fprintf(out, "Starting etcd %s on %s\n", toolchain.EtcdVersion, etcdURL)
	etcdProbes, err := process.ProbesFor(process.Etcd)
	if err != nil {
		return err
	}
	etcd, err := process.Supervise(o.Log, process.Spec{
		Name: "etcd", Path: etcdBin, LogFile: filepath.Join(logs, "etcd.log"), OnRestart: con.Restarted,
		Kind: process.Etcd, Health: &process.Health{Probes: etcdProbes, BaseURL: etcdURL}, OnEvent: con.ComponentEvent,
		Args: []string{
			"--name=kumo", "--data-dir=" + filepath.Join(o.DataDir, "etcd"),
			"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
			"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=kumo=" + peerURL,
			fmt.Sprintf("--quota-backend-bytes=%d", cfg.EtcdQuotaBytes()), "--auto-compaction-retention=1h",
			"--unsafe-no-fsync=false", "--log-level=warn",
		},
	})
	if err != nil {
		return err
	}
	procs = append(procs, etcd)
	if err := waitHTTP(ctx, etcdURL+"/health", nil, 2*time.Minute); err != nil {
		return fmt.Errorf("etcd did not become healthy (see %s): %w", filepath.Join(logs, "etcd.log"), err)
	}
	command := o.Command
	if command == "" {
		command = "kumo"
	}
	space := &spaceWatch{endpoint: etcdURL, command: command, say: con.Printf}
	go space.run(ctx, 5*time.Second)

	server := fmt.Sprintf("https://127.0.0.1:%d", cfg.APIServerPort)
	_, _ = fmt.Fprintf(out, "Starting kube-apiserver %s on %s\n", kube.Version, server)
	apiserverTLS, err := adminTLS(certs)
	if err != nil {
		return err
	}
	apiserverProbes, err := process.ProbesFor(process.KubeAPIServer)
	if err != nil {
		return err
	}
	apiserver, err := process.Supervise(o.Log, process.Spec{
		Name: "kube-apiserver", Path: kube.APIServer, LogFile: filepath.Join(logs, "kube-apiserver.log"), OnRestart: con.Restarted,
		Kind: process.KubeAPIServer, Health: &process.Health{Probes: apiserverProbes, BaseURL: server, TLS: apiserverTLS}, OnEvent: con.ComponentEvent,
		Env: apiServerGoEnv(),
		Args: []string{
			"--etcd-servers=" + etcdURL,
			fmt.Sprintf("--secure-port=%d", cfg.APIServerPort), "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
			"--tls-cert-file=" + certs.path("apiserver.crt"), "--tls-private-key-file=" + certs.path("apiserver.key"),
			"--client-ca-file=" + certs.path("ca.crt"),
			"--service-account-key-file=" + certs.path("sa.pub"), "--service-account-signing-key-file=" + certs.path("sa.key"),
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-cluster-ip-range=10.0.0.0/24",
			"--authorization-mode=RBAC", "--profiling=false",
			// Nothing watches events, and a fleet makes two per Machine:
			// keeping them out of the watch cache keeps gigabytes out of
			// the API server's heap at 56,000 Machines.
			"--watch-cache-sizes=events#0",
		},
	})
	if err != nil {
		return err
	}
	procs = append(procs, apiserver)
	adminKC, err := certs.kubeconfig(server, "admin")
	if err != nil {
		return err
	}
	kcPath := KubeconfigPath(o.DataDir)
	if err := os.WriteFile(kcPath, adminKC, 0o600); err != nil {
		return err
	}
	if err := waitHTTP(ctx, server+"/readyz", apiserverTLS, 3*time.Minute); err != nil {
		return fmt.Errorf("kube-apiserver did not become ready (see %s): %w", filepath.Join(logs, "kube-apiserver.log"), err)
	}

	// The management plane's own kube-controller-manager: garbage collection
	// (owner references) and namespace deletion work as on a real cluster.
	kcmKC, err := certs.kubeconfig(server, "controller-manager")
	if err != nil {
		return err
	}
	kcmPath := filepath.Join(o.DataDir, "pki", "controller-manager.kubeconfig")
	if err := os.WriteFile(kcmPath, kcmKC, 0o600); err != nil {
		return err
	}
	kcmHealth, kcmPort, err := cpprocess.ComponentHealth(process.KubeControllerManager)
	if err != nil {
		return err
	}
	kcm, err := process.Supervise(o.Log, process.Spec{
		Name: "kube-controller-manager", Path: kube.ControllerManager, LogFile: filepath.Join(logs, "kube-controller-manager.log"), OnRestart: con.Restarted,
		Kind: process.KubeControllerManager, Health: kcmHealth, OnEvent: con.ComponentEvent,
		Args: []string{
			"--kubeconfig=" + kcmPath, "--authentication-kubeconfig=" + kcmPath, "--authorization-kubeconfig=" + kcmPath,
			"--leader-elect=false", fmt.Sprintf("--secure-port=%d", kcmPort), "--bind-address=127.0.0.1",
			"--cert-dir=" + filepath.Join(o.DataDir, "pki", "kube-controller-manager"), "--profiling=false", "--use-service-account-credentials=true",
			"--service-account-private-key-file=" + certs.path("sa.key"), "--root-ca-file=" + certs.path("ca.crt"),
			"--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller",
		},
	})
	if err != nil {
		return err
	}
	procs = append(procs, kcm)

	var promURL string
	if o.Prometheus {
		_, _ = fmt.Fprintf(out, "Starting Prometheus %s on 127.0.0.1:%d\n", promBins.Version, cfg.PrometheusPort)
		prom, url, err := startPrometheus(ctx, prometheusRun{
			bin: promBins, dataDir: o.DataDir, port: cfg.PrometheusPort, interval: o.PrometheusInterval,
			managerMetrics: cfg.MetricsBindAddress, log: o.Log, onRestart: con.Restarted,
		})
		if err != nil {
			return err
		}
		procs = append(procs, prom)
		promURL = url
	}

	restCfg, err := certs.restConfig(server, "admin")
	if err != nil {
		return err
	}
	c, err := client.New(restCfg, client.Options{Scheme: manager.Scheme()})
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintln(out, "Installing Kumo CRDs")
	if err := installCRDs(ctx, c); err != nil {
		return err
	}
	if err := seed(ctx, c, o.DefaultKubernetes); err != nil {
		return err
	}
	if err := installWebhooks(ctx, c, certs, cfg.WebhookPort); err != nil {
		return err
	}
	if err := installAccess(ctx, c); err != nil {
		return err
	}
	if err := markControlPlanesStarting(ctx, c); err != nil {
		return err
	}
	if err := releaseStaleLease(ctx, c); err != nil {
		return err
	}

	simCloud, err := sim.New(sim.Options{StatePath: filepath.Join(o.DataDir, "sim.json"), BootDelay: o.VMBootDelay, RateLimit: SimAPILimit})
	if err != nil {
		return err
	}
	// The manager acts as itself, not as admin: its roles and its own
	// priority level (installAccess) apply to it.
	managerCfg, err := certs.restConfig(server, "manager")
	if err != nil {
		return err
	}
	mo := manager.Options{
		// Kumo paces itself below the cloud's limit, so that a storm of
		// reconciles waits in Kumo instead of being refused by the cloud.
		Provider: cloud.Limit(simCloud, SimAPILimit.QPS*0.8, SimAPILimit.Burst/2), ProviderName: "sim", Sim: simCloud,
		MetricsAddr: cfg.MetricsBindAddress, HealthAddr: cfg.HealthProbeBindAddress, PprofAddr: o.PprofAddr,
		AdmissionRefusal: space.refusal,
		// With --prometheus the evacuation controller reads steal from its
		// recording rules, as in production; without, from the sim.
		PrometheusURL:  promURL,
		LeaderElection: true, LeaderElectionNamespace: "kumo-system", LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, Log: o.Log,
	}
	if cfg.Fidelity == FidelityScale {
		mo.Runtime, mo.Nodes = cpscale.New(), nodescale.New(0)
	} else {
		memory, err := memoryGuard(cfg, out)
		if err != nil {
			return err
		}
		runtime := cpprocess.New(cpprocess.Options{
			Dir: ClustersDir(o.DataDir), EtcdEndpoints: []string{etcdURL}, Toolchain: tc, Log: o.Log,
			Ports: reg, OnRestart: con.Restarted, Memory: memory,
		})
		defer runtime.Shutdown()
		mo.Runtime = runtime
	}
	mo.Webhook = webhook.Options{Host: "127.0.0.1", Port: cfg.WebhookPort, CertDir: certs.dir, CertName: webhookCert, KeyName: webhookKey}
	mgr, err := manager.New(managerCfg, mo)
	if err != nil {
		return err
	}
	if err := con.Watch(mgr); err != nil {
		return err
	}
	// The banner says the platform takes clusters, which it does once the
	// webhook that admits them answers (the API server refuses every
	// Cluster write until then).
	webhookStarted := mgr.GetWebhookServer().StartedChecker()
	go func() {
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(context.Context) (bool, error) {
			return webhookStarted(nil) == nil, nil
		})
		if err == nil {
			_, _ = fmt.Fprint(out, banner(o, kcPath, cfg.MetricsBindAddress, promURL))
		}
	}()
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running manager: %w", err)
	}
	_, _ = fmt.Fprintln(out, "Stopping Kumo")
	return nil
}

// memoryGuard keeps the host's memory from running out: tenant control
// planes start only while they leave the configured reserve available. It
// says how many fit now.
func memoryGuard(cfg *Config, out io.Writer) (cpprocess.MemoryGuard, error) {
	host, err := cpprocess.ReadHostMemory()
	if err != nil {
		_, _ = fmt.Fprintf(out, "Cannot read the host's memory (%v): tenant control planes start without a memory reserve\n", err)
		return cpprocess.MemoryGuard{}, nil
	}
	reserve, err := cfg.HostMemoryReserveBytes(host.Total)
	if err != nil {
		return cpprocess.MemoryGuard{}, err
	}
	g := cpprocess.MemoryGuard{Reserve: reserve}
	_, _ = fmt.Fprintf(out, "Host memory: %s available, %s kept in reserve (%s): room for about %d tenant control planes\n",
		controlplane.HumanBytes(host.Available), controlplane.HumanBytes(reserve), cfg.HostMemoryReserve, g.Room(host, 0))
	return g, nil
}

// banner tells the person who ran `kumo up` how to use it, in commands
// that run as typed in another shell, and where its metrics are (metrics is
// the manager's metrics address; "0" serves none) and its Prometheus ("" if
// none).
func banner(o Options, kubeconfig, metrics, prometheusURL string) string {
	kumo := o.Command
	if kumo == "" {
		kumo = "kumo"
	}
	up := kumo + " up"
	var b strings.Builder
	b.WriteString("\nKumo is up. In another shell:\n\n")
	if o.DataDir != homeDataDir() {
		fmt.Fprintf(&b, "  export KUMO_DATA_DIR=%s\n", ShellQuote(o.DataDir))
		up += " --data-dir " + ShellQuote(o.DataDir)
	}
	fmt.Fprintf(&b, "  export KUBECONFIG=%s\n", ShellQuote(kubeconfig))
	for _, c := range []string{"kubectl get regions", "kubectl apply -f examples/cluster.yaml", "kubectl get clusters -w", "status", "logs -f"} {
		fmt.Fprintf(&b, "  %s %s\n", kumo, c)
	}
	if metrics != "" && metrics != "0" {
		fmt.Fprintf(&b, "\nMetrics (Prometheus text; scrape with honor_labels: true, they carry instance labels):\n")
		fmt.Fprintf(&b, "  http://%s/metrics        the manager and machine_exporter (kumo_machine_info, kumo_hypervisor_*)\n", metrics)
		fmt.Fprintf(&b, "  http://%s%s  node_exporter's node_cpu_seconds_total of every sim VM\n", metrics, sim.NodeExporterPath)
	}
	if prometheusURL != "" {
		fmt.Fprintf(&b, "\nPrometheus (HTTP API, rules, alerts): %s\n", prometheusURL)
	}
	fmt.Fprintf(&b, "\nCtrl-C or %q stops Kumo; %q again resumes where it left off.\n", kumo+" down", up)
	fmt.Fprintf(&b, "What happens to clusters follows; the details are in %s.\n\n", LogDir(o.DataDir))
	return b.String()
}

// ShellQuote quotes s for a POSIX shell, if it needs quoting.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// installCRDs creates or updates Kumo's CRDs and waits until they serve.
func installCRDs(ctx context.Context, c client.Client) error {
	crds, err := crd.Load()
	if err != nil {
		return err
	}
	for _, crd := range crds {
		existing := &apiextensionsv1.CustomResourceDefinition{}
		err := c.Get(ctx, client.ObjectKeyFromObject(crd), existing)
		switch {
		case apierrors.IsNotFound(err):
			err = c.Create(ctx, crd)
		case err == nil:
			crd.ResourceVersion = existing.ResourceVersion
			err = c.Update(ctx, crd)
		}
		if err != nil {
			return fmt.Errorf("installing CRD %s: %w", crd.Name, err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, crd := range crds {
			got := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(crd), got); err != nil {
				return false, nil
			}
			established := false
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					established = true
				}
			}
			if !established {
				return false, nil
			}
		}
		return true, nil
	})
}

// installWebhooks registers the manager's admission webhooks, on port of
// 127.0.0.1 with the webhook certificate, with the API server.
func installWebhooks(ctx context.Context, c client.Client, certs mgmtPKI, port int) error {
	caPEM, err := os.ReadFile(certs.path("ca.crt"))
	if err != nil {
		return err
	}
	cfg := manager.WebhookConfiguration(fmt.Sprintf("https://127.0.0.1:%d", port), caPEM)
	if err := createOrReplace(ctx, c, cfg); err != nil {
		return fmt.Errorf("registering the admission webhooks: %w", err)
	}
	return nil
}

// DefaultRegions are the two simulated clouds `kumo up` starts with.
func DefaultRegions() []kumov1.Region {
	return []kumov1.Region{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "tokyo-1"},
			Spec: kumov1.RegionSpec{Provider: kumov1.ProviderSim, DisplayName: "Tokyo (simulated)", CPUOvercommitRatio: 4, Default: true,
				Hypervisors: &kumov1.HypervisorFleet{Count: 24, Cores: 32, MemoryGiB: 256}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "osaka-1"},
			Spec: kumov1.RegionSpec{Provider: kumov1.ProviderSim, DisplayName: "Osaka (simulated)", CPUOvercommitRatio: 4,
				Hypervisors: &kumov1.HypervisorFleet{Count: 16, Cores: 24, MemoryGiB: 192}},
		},
	}
}

// seed creates the kumo-system namespace and the default regions if absent;
// it never overwrites what an operator changed.
func seed(ctx context.Context, c client.Client, defaultVersion string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kumo-system"}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace kumo-system: %w", err)
	}
	for _, r := range DefaultRegions() {
		if err := c.Create(ctx, &r); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating region %s: %w", r.Name, err)
		}
	}
	// The platform-wide quota defaults, for operators to set with kubectl:
	// none at first, so every team may grow until an operator says otherwise.
	defaults := &kumov1.TeamQuota{ObjectMeta: metav1.ObjectMeta{Namespace: kumov1.DefaultQuotaNamespace, Name: kumov1.DefaultQuotaName}}
	if err := c.Create(ctx, defaults); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the default team quota: %w", err)
	}
	// The catalog offers what this Kumo can run, each release with the end
	// of support its module folder gives. defaultVersion (else the newest)
	// becomes the default for new clusters only when no release is marked
	// yet: a newer Kumo never overrides the operator's choice.
	var existing kumov1.KubernetesReleaseList
	if err := c.List(ctx, &existing); err != nil {
		return fmt.Errorf("listing releases: %w", err)
	}
	marked := false
	for _, r := range existing.Items {
		marked = marked || r.Spec.Default
	}
	if defaultVersion == "" {
		defaultVersion = toolchain.DefaultVersion()
	}
	def, err := toolchain.Resolve(defaultVersion)
	if err != nil {
		return fmt.Errorf("the default Kubernetes version: %w", err)
	}
	for _, v := range toolchain.Versions() {
		info, err := toolchain.ReleaseOf(v)
		if err != nil {
			return err
		}
		rel := &kumov1.KubernetesRelease{
			ObjectMeta: metav1.ObjectMeta{Name: v},
			Spec: kumov1.KubernetesReleaseSpec{Version: strings.TrimPrefix(v, "v"), State: kumov1.ReleaseSupported,
				Default: !marked && v == def, EndOfSupport: &metav1.Time{Time: info.EndOfSupport}},
		}
		if err := c.Create(ctx, rel); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("publishing release %s: %w", v, err)
		}
	}
	if err := createOrReplace(ctx, c, removedReleasePolicy()); err != nil {
		return fmt.Errorf("installing the policy on removed releases: %w", err)
	}
	if err := createOrReplace(ctx, c, removedReleaseBinding()); err != nil {
		return fmt.Errorf("installing the policy on removed releases: %w", err)
	}
	return nil
}

// adminTLS is how Kumo asks the management API server about its health.
func adminTLS(certs mgmtPKI) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certs.path("admin.crt"), certs.path("admin.key"))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(certs.path("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

func waitHTTP(ctx context.Context, url string, tlsCfg *tls.Config, timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	defer hc.CloseIdleConnections()
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err != nil {
			last = err
			return false, nil
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("%s", resp.Status)
			return false, nil
		}
		return true, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last: %w)", err, last)
	}
	return err
}

// apiServerGoEnv tunes the management API server's garbage collector. A
// fleet's writes keep it busy, a third of that in garbage collection at Go's
// default (GOGC=100); GOGC=300 cut the time to create a fleet by a quarter
// (docs/benchmarks.md) for a larger heap, which a soft limit of half the
// host's memory keeps in check: near it, Go collects as often as needed.
func apiServerGoEnv() []string {
	env := []string{"GOGC=300"}
	if m, err := cpprocess.ReadHostMemory(); err == nil {
		env = append(env, fmt.Sprintf("GOMEMLIMIT=%dMiB", m.Total/2>>20))
	}
	return env
}
