package process

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kumo-dev/kumo/internal/controlplane"
	"github.com/kumo-dev/kumo/internal/kwok"
	"github.com/kumo-dev/kumo/internal/pki"
	"github.com/kumo-dev/kumo/internal/ports"
	"github.com/kumo-dev/kumo/internal/process"
	"github.com/kumo-dev/kumo/internal/toolchain"
)

// Options configure the runtime.
type Options struct {
	// Dir holds one folder per cluster UID: certificates, kubeconfigs, logs.
	Dir string
	// EtcdEndpoints is the shared etcd the API servers store state in.
	EtcdEndpoints []string
	Toolchain     *toolchain.Toolchain
	Log           logr.Logger
	// Ports, when set, is the machine's port registry: tenant ports are
	// claimed there, so that platforms of other data directories never
	// take them, and given back when a cluster is deleted.
	Ports *ports.Registry
	// OnRestart, when set, hears of every restart of a component.
	OnRestart func(spec process.Spec, exit error)
	// MaxStarting bounds how many control planes start at once (0: one per
	// CPU, at least 2); MaxStartingPerTeam bounds those of one team, a
	// namespace (0: half of MaxStarting, at least 1). The others wait.
	MaxStarting, MaxStartingPerTeam int
	// Memory refuses to start a control plane that would take the host's
	// available memory below its reserve.
	Memory MemoryGuard
}

// Runtime runs control planes as local processes.
type Runtime struct {
	opts Options
	gate *startGate

	mu      sync.Mutex
	running map[types.UID]*instance
	// changes tells the cluster controller of component events.
	changes chan controlplane.Ref
}

var _ controlplane.Runtime = (*Runtime)(nil)

// instance is one control plane: waiting to start, starting (its API
// server runs, the other components wait for it to be ready) or running.
type instance struct {
	version string
	port    int32
	// team is the cluster's namespace: starts are bounded per team.
	team string
	// cluster is namespace/name, which labels the components' metrics.
	cluster string
	// cancel stops the start; done is closed when it has returned.
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	started bool // the API server was started
	stopped bool
	// err is why the start failed; Ensure reports it and starts again.
	err   error
	procs []*process.Supervisor
	// stopNodes stops the in-process kwok that plays the nodes' kubelets.
	stopNodes func()
	// wasReady: the API server answered /readyz once; failing it since is
	// a problem, not a start.
	wasReady bool
	// events are the components' events not yet reported by Ensure.
	events []controlplane.Event
}

// maxEvents are kept of a control plane between two Ensures; a component
// that crash-loops makes many.
const maxEvents = 20

// New returns a runtime; nothing runs until Ensure.
func New(opts Options) *Runtime {
	if _, err := opts.Memory.read(); err != nil {
		opts.Log.Info("Control planes start without a memory guard", "err", err)
	}
	return &Runtime{
		opts: opts, gate: newStartGate(opts.MaxStarting, opts.MaxStartingPerTeam), running: map[types.UID]*instance{},
		changes: make(chan controlplane.Ref, 256),
	}
}

var _ controlplane.Notifier = (*Runtime)(nil)

// Changes delivers the clusters whose components failed, restarted or
// recovered. A full channel drops the news: the periodic probe sees it.
func (r *Runtime) Changes() <-chan controlplane.Ref { return r.changes }

// onEvent keeps a component's event for the next Ensure of its cluster and
// tells the controller.
func (r *Runtime) onEvent(ref controlplane.Ref, inst *instance) func(process.Event) {
	return func(e process.Event) {
		inst.mu.Lock()
		inst.events = append(inst.events, controlplane.Event{Warning: e.Warning, Reason: string(e.Reason), Message: e.Message})
		if n := len(inst.events); n > maxEvents {
			inst.events = inst.events[n-maxEvents:]
		}
		inst.mu.Unlock()
		select {
		case r.changes <- ref:
		default:
		}
	}
}

// Ensure writes the cluster's certificates and kubeconfigs, starts its
// control plane if it does not run (or runs another version), and probes
// the API server. It never waits for a start: a control plane that may not
// start yet is put in line, and one that starts is reported not ready.
func (r *Runtime) Ensure(ctx context.Context, spec controlplane.Spec) (controlplane.Status, error) {
	bins, err := r.opts.Toolchain.Kubernetes(ctx, spec.Version)
	if err != nil {
		return controlplane.Status{}, err
	}
	dir := r.clusterDir(spec.Cluster.UID)
	files, err := r.writeFiles(dir, spec)
	if err != nil {
		return controlplane.Status{}, err
	}

	r.mu.Lock()
	inst := r.running[spec.Cluster.UID]
	if inst != nil && (inst.version != bins.Version || inst.port != spec.Port || inst.failed() != nil) {
		r.mu.Unlock()
		failed := inst.failed()
		r.stop(spec.Cluster.UID)
		if failed != nil {
			// Reported once; the next Ensure starts afresh.
			return controlplane.Status{}, failed
		}
		r.mu.Lock()
		inst = nil
	}
	if inst == nil {
		// Those starting have not taken their memory yet.
		if err := r.opts.Memory.Admit(r.gate.pending()); err != nil {
			r.mu.Unlock()
			return controlplane.Status{}, err
		}
		startCtx, cancel := context.WithCancel(context.Background())
		inst = &instance{version: bins.Version, port: spec.Port, team: spec.Cluster.Namespace, cluster: spec.Cluster.String(), cancel: cancel, done: make(chan struct{})}
		r.running[spec.Cluster.UID] = inst
		r.mu.Unlock()
		r.gate.enter(inst, func() { r.start(startCtx, inst, spec, bins, dir, files) })
	} else {
		r.mu.Unlock()
	}
	if !inst.hasStarted() {
		return controlplane.Status{Message: r.gate.waitingMessage(inst)}, nil
	}
	return inst.status(ctx, spec, files), nil
}

// status probes a started control plane and says which component is
// unhealthy, with what happened to the components since the last call.
func (i *instance) status(ctx context.Context, spec controlplane.Spec, files paths) controlplane.Status {
	i.mu.Lock()
	events := i.events
	i.events = nil
	var problems []string
	apiserverLive := true
	for _, p := range i.procs {
		st := p.Status()
		// A process that starts is not live yet, and has no problem.
		if st.Problem == "" {
			continue
		}
		if p.Kind() == process.KubeAPIServer {
			apiserverLive = false
		}
		msg := string(p.Kind()) + " " + st.Problem
		if st.CrashLooping && st.LogTail != "" {
			lines := strings.Split(st.LogTail, "\n")
			msg += "; last log line: " + lines[len(lines)-1]
		}
		problems = append(problems, msg)
	}
	wasReady := i.wasReady
	i.mu.Unlock()

	var st controlplane.Status
	if apiserverLive {
		// A hung API server is the supervisor's to find; asking it here
		// would only hold this reconcile for the probe's timeout.
		st = probe(ctx, spec, files)
	}
	if !st.Ready && wasReady && apiserverLive {
		problems = append([]string{"kube-apiserver " + strings.TrimPrefix(st.Message, "API server ")}, problems...)
	}
	st.Problem = strings.Join(problems, "; ")
	st.Events = events
	if st.Problem != "" {
		// Look again soon: the supervisor is at work.
		st.ProbeAfter = 2 * time.Second
		if st.Message == "" {
			st.Message = st.Problem
		}
	}
	if st.Ready {
		i.mu.Lock()
		i.wasReady = true
		i.mu.Unlock()
	}
	return st
}

func (i *instance) hasStarted() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.started
}

func (i *instance) failed() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.err
}

// Delete stops the processes and erases the etcd prefix and files.
func (r *Runtime) Delete(ctx context.Context, c controlplane.Ref) error {
	r.stop(c.UID)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cli, err := clientv3.New(clientv3.Config{Endpoints: r.opts.EtcdEndpoints, DialTimeout: 5 * time.Second, Context: ctx})
	if err != nil {
		return fmt.Errorf("connecting to etcd: %w", err)
	}
	defer func() { _ = cli.Close() }()
	// The trailing slash keeps cluster "ab" from matching cluster "abc".
	if _, err := cli.Delete(ctx, controlplane.EtcdPrefix(c.UID)+"/", clientv3.WithPrefix()); err != nil {
		return fmt.Errorf("deleting etcd keys of %s: %w", c, err)
	}
	if err := os.RemoveAll(r.clusterDir(c.UID)); err != nil {
		return fmt.Errorf("removing files of %s: %w", c, err)
	}
	return r.releasePort(c)
}

// Running reports the process IDs of a cluster's control plane, by
// component: nil while it waits to start, only the API server's while that
// starts.
func (r *Runtime) Running(uid types.UID) map[string]int {
	r.mu.Lock()
	inst := r.running[uid]
	r.mu.Unlock()
	if inst == nil {
		return nil
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if len(inst.procs) == 0 {
		return nil
	}
	out := map[string]int{}
	for _, p := range inst.procs {
		out[p.Name()] = p.Pid()
	}
	return out
}

// Shutdown stops every control plane this runtime started; those waiting
// to start do not start any more.
func (r *Runtime) Shutdown() {
	r.gate.close()
	r.mu.Lock()
	uids := make([]types.UID, 0, len(r.running))
	for uid := range r.running {
		uids = append(uids, uid)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, uid := range uids {
		wg.Add(1)
		go func() { defer wg.Done(); r.stop(uid) }()
	}
	wg.Wait()
}

func (r *Runtime) stop(uid types.UID) {
	r.mu.Lock()
	inst := r.running[uid]
	delete(r.running, uid)
	r.mu.Unlock()
	if inst == nil {
		return
	}
	inst.cancel()
	inst.mu.Lock()
	inst.stopped = true
	started := inst.started
	inst.mu.Unlock()
	if started {
		<-inst.done
	}
	r.gate.leave(inst)
	process.ForgetMetrics(inst.cluster)
	// Stop in reverse start order: clients before the API server. Not
	// under the lock: a supervisor's last event takes it.
	inst.mu.Lock()
	stopNodes, procs := inst.stopNodes, slices.Clone(inst.procs)
	inst.mu.Unlock()
	if stopNodes != nil {
		stopNodes()
	}
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop()
	}
}

func (r *Runtime) clusterDir(uid types.UID) string { return filepath.Join(r.opts.Dir, string(uid)) }

// paths of the files written for one cluster.
type paths struct {
	ca, apiserverCert, apiserverKey, saKey, saPub                   string
	adminKubeconfig, kcmKubeconfig, schedKubeconfig, kwokKubeconfig string
	adminCert, adminKey                                             string
}

func (r *Runtime) writeFiles(dir string, spec controlplane.Spec) (paths, error) {
	p := paths{
		ca:              filepath.Join(dir, "pki", "ca.crt"),
		apiserverCert:   filepath.Join(dir, "pki", "apiserver.crt"),
		apiserverKey:    filepath.Join(dir, "pki", "apiserver.key"),
		saKey:           filepath.Join(dir, "pki", "sa.key"),
		saPub:           filepath.Join(dir, "pki", "sa.pub"),
		adminCert:       filepath.Join(dir, "pki", "admin.crt"),
		adminKey:        filepath.Join(dir, "pki", "admin.key"),
		adminKubeconfig: filepath.Join(dir, "admin.kubeconfig"),
		kcmKubeconfig:   filepath.Join(dir, "controller-manager.kubeconfig"),
		schedKubeconfig: filepath.Join(dir, "scheduler.kubeconfig"),
		kwokKubeconfig:  filepath.Join(dir, "kwok.kubeconfig"),
	}
	// Leaf certificates are issued once and reused while the CA is the same
	// and they are far from expiry, so that restarts do not churn files. The
	// marker, written last, holds the CA the complete set was issued from.
	marker := filepath.Join(dir, "pki", "complete")
	if issued, err := os.ReadFile(marker); err == nil && string(issued) == string(spec.CACertPEM) && !expiresSoon(p.apiserverCert) {
		return p, nil
	}
	ca, err := pki.ParseKeyPair(spec.CACertPEM, spec.CAKeyPEM)
	if err != nil {
		return p, fmt.Errorf("reading the CA of %s: %w", spec.Cluster, err)
	}
	const year = 365 * 24 * time.Hour
	serving, err := ca.Issue(pki.CertConfig{
		CommonName: "kube-apiserver",
		DNSNames:   []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:        []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(spec.Host), net.ParseIP("10.96.0.1")},
		Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		Validity:   year,
	})
	if err != nil {
		return p, err
	}
	server := fmt.Sprintf("https://%s:%d", spec.Host, spec.Port)
	files := map[string][]byte{
		"ca.crt":        spec.CACertPEM,
		"apiserver.crt": serving.CertPEM,
		"apiserver.key": serving.KeyPEM,
		"sa.key":        spec.ServiceAccountKeyPEM,
		"sa.pub":        spec.ServiceAccountPubPEM,
	}
	kubeconfigs := map[string][]byte{}
	for _, u := range []struct {
		file, cn string
		orgs     []string
	}{
		{"admin.kubeconfig", "kumo-admin", []string{"system:masters"}},
		{"controller-manager.kubeconfig", "system:kube-controller-manager", nil},
		{"scheduler.kubeconfig", "system:kube-scheduler", nil},
		// kwok acts for every node; system:masters spares us its RBAC.
		{"kwok.kubeconfig", "kwok", []string{"system:masters"}},
	} {
		kp, err := ca.Issue(pki.CertConfig{CommonName: u.cn, Organization: u.orgs, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: year})
		if err != nil {
			return p, err
		}
		if u.file == "admin.kubeconfig" {
			files["admin.crt"], files["admin.key"] = kp.CertPEM, kp.KeyPEM
		}
		kc, err := pki.Kubeconfig(spec.Cluster.Name, server, spec.CACertPEM, u.cn, kp.CertPEM, kp.KeyPEM)
		if err != nil {
			return p, err
		}
		kubeconfigs[u.file] = kc
	}
	if err := pki.WriteFiles(filepath.Join(dir, "pki"), files); err != nil {
		return p, err
	}
	if err := pki.WriteFiles(dir, kubeconfigs); err != nil {
		return p, err
	}
	if err := pki.WriteFiles(filepath.Join(dir, "pki"), map[string][]byte{"complete": spec.CACertPEM}); err != nil {
		return p, err
	}
	return p, nil
}

// renewBefore is how long before expiry leaf certificates are re-issued.
const renewBefore = 30 * 24 * time.Hour

// expiresSoon reports whether the certificate file is unreadable or expires
// within renewBefore.
func expiresSoon(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return true
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return true
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	return err != nil || time.Until(cert.NotAfter) < renewBefore
}

// startSlotTimeout is how long a control plane may take to start before it
// gives its place among the starting ones to the next in line; its other
// components still wait for its API server.
const startSlotTimeout = time.Minute

// start runs the cluster's API server and, in the background, waits for it
// to be ready before it starts the components that talk to it: a
// controller-manager started beside a booting API server only crash-loops.
// It is called by the start gate once the control plane may start.
func (r *Runtime) start(ctx context.Context, inst *instance, spec controlplane.Spec, bins *toolchain.KubernetesBinaries, dir string, p paths) {
	log := r.opts.Log.WithValues("cluster", spec.Cluster.String())
	specs, err := r.specs(spec, bins, dir, p)
	inst.mu.Lock()
	if err != nil {
		inst.started, inst.err = true, err
		inst.mu.Unlock()
		close(inst.done)
		r.gate.leave(inst)
		return
	}
	for i := range specs {
		specs[i].OnEvent = r.onEvent(spec.Cluster, inst)
	}
	if inst.stopped {
		// Stopped before its turn came (or even before it was in line).
		inst.mu.Unlock()
		r.gate.leave(inst)
		return
	}
	inst.started = true
	apiserver, err := r.supervise(log, specs[0])
	if err != nil {
		inst.err = err
		inst.mu.Unlock()
		close(inst.done)
		r.gate.leave(inst)
		return
	}
	inst.procs = append(inst.procs, apiserver)
	inst.mu.Unlock()
	log.V(1).Info("Starting API server", "version", bins.Version, "port", spec.Port)
	go func() {
		defer close(inst.done)
		defer r.gate.leave(inst)
		slot := time.NewTimer(startSlotTimeout)
		defer slot.Stop()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for !probe(ctx, spec, p).Ready {
			select {
			case <-ctx.Done():
				return
			case <-slot.C:
				log.Info("API server slow to start; letting the next control plane start", "after", startSlotTimeout)
				r.gate.leave(inst)
			case <-tick.C:
			}
		}
		inst.mu.Lock()
		defer inst.mu.Unlock()
		if inst.stopped {
			return
		}
		for _, s := range specs[1:] {
			sup, err := r.supervise(log, s)
			if err != nil {
				inst.err = err
				return
			}
			inst.procs = append(inst.procs, sup)
		}
		stopNodes, err := startNodes(filepath.Join(dir, "logs", "kwok.log"), p.kwokKubeconfig)
		if err != nil {
			inst.err = err
			return
		}
		inst.stopNodes = stopNodes
		log.Info("Started control plane", "version", bins.Version, "port", spec.Port)
	}()
}

func (r *Runtime) supervise(log logr.Logger, s process.Spec) (*process.Supervisor, error) {
	s.OnRestart = r.opts.OnRestart
	return process.Supervise(log, s)
}

// specs are the processes of a control plane, the API server first, each
// with its kind's probes.
func (r *Runtime) specs(spec controlplane.Spec, bins *toolchain.KubernetesBinaries, dir string, p paths) ([]process.Spec, error) {
	name := spec.Cluster.String()
	logDir := filepath.Join(dir, "logs")
	apiserverHealth, err := r.apiserverHealth(spec, p)
	if err != nil {
		return nil, err
	}
	// The controller-manager and scheduler serve only their health checks,
	// on loopback ports taken afresh at each start of the control plane.
	kcmHealth, kcmPort, err := ComponentHealth(process.KubeControllerManager)
	if err != nil {
		return nil, err
	}
	schedHealth, schedPort, err := ComponentHealth(process.KubeScheduler)
	if err != nil {
		return nil, err
	}
	return []process.Spec{
		{
			Name: name + " kube-apiserver", Path: bins.APIServer, LogFile: filepath.Join(logDir, "kube-apiserver.log"),
			Kind: process.KubeAPIServer, Cluster: name, Health: apiserverHealth,
			Args: []string{
				"--etcd-servers=" + strings.Join(r.opts.EtcdEndpoints, ","),
				"--etcd-prefix=" + controlplane.EtcdPrefix(spec.Cluster.UID),
				fmt.Sprintf("--secure-port=%d", spec.Port),
				"--bind-address=" + spec.Host,
				"--advertise-address=" + spec.Host,
				"--tls-cert-file=" + p.apiserverCert,
				"--tls-private-key-file=" + p.apiserverKey,
				"--client-ca-file=" + p.ca,
				"--service-account-key-file=" + p.saPub,
				"--service-account-signing-key-file=" + p.saKey,
				"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
				"--service-cluster-ip-range=10.96.0.0/16",
				"--authorization-mode=RBAC",
				"--allow-privileged=true",
				"--profiling=false",
				// Memory: a tenant API server serves few clients; priority and
				// fairness and a large watch cache cost more than they give.
				"--enable-priority-and-fairness=false",
				"--default-watch-cache-size=10",
				"--watch-cache=false",
				"--runtime-config=flowcontrol.apiserver.k8s.io/v1=false",
				"--endpoint-reconciler-type=none",
				"--enable-garbage-collector=true",
			},
			// The idle live heap is about 75 MiB: a limit below its GOGC
			// target (1.25 x live) makes the GC run several times a second,
			// a third of a core per idle cluster. The limit only caps bursts.
			Env: goEnv("200MiB"),
		},
		{
			Name: name + " kube-controller-manager", Path: bins.ControllerManager, LogFile: filepath.Join(logDir, "kube-controller-manager.log"),
			Kind: process.KubeControllerManager, Cluster: name, Health: kcmHealth,
			Args: []string{
				"--kubeconfig=" + p.kcmKubeconfig,
				"--authentication-kubeconfig=" + p.kcmKubeconfig,
				"--authorization-kubeconfig=" + p.kcmKubeconfig,
				"--service-account-private-key-file=" + p.saKey,
				"--root-ca-file=" + p.ca,
				"--use-service-account-credentials=true",
				"--leader-elect=false",
				"--bind-address=127.0.0.1",
				fmt.Sprintf("--secure-port=%d", kcmPort),
				"--cert-dir=" + filepath.Join(dir, "pki", "kube-controller-manager"),
				"--profiling=false",
				// node-lifecycle removes the not-ready taint of new nodes.
				"--controllers=" + strings.Join(tenantControllers, ","),
			},
			Env: goEnv("40MiB"),
		},
		{
			Name: name + " kube-scheduler", Path: bins.Scheduler, LogFile: filepath.Join(logDir, "kube-scheduler.log"),
			Kind: process.KubeScheduler, Cluster: name, Health: schedHealth,
			Args: []string{
				"--kubeconfig=" + p.schedKubeconfig,
				"--authentication-kubeconfig=" + p.schedKubeconfig,
				"--authorization-kubeconfig=" + p.schedKubeconfig,
				"--leader-elect=false",
				"--bind-address=127.0.0.1",
				fmt.Sprintf("--secure-port=%d", schedPort),
				"--cert-dir=" + filepath.Join(dir, "pki", "kube-scheduler"),
				"--profiling=false",
			},
			Env: goEnv("30MiB"),
		},
	}, nil
}

// apiserverHealth probes a tenant API server as its admin.
func (r *Runtime) apiserverHealth(spec controlplane.Spec, p paths) (*process.Health, error) {
	probes, err := process.ProbesFor(process.KubeAPIServer)
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(p.adminCert, p.adminKey)
	if err != nil {
		return nil, fmt.Errorf("loading the admin certificate of %s: %w", spec.Cluster, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(spec.CACertPEM)
	return &process.Health{
		Probes: probes, BaseURL: fmt.Sprintf("https://%s:%d", spec.Host, spec.Port),
		TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}, nil
}

// ComponentHealth picks a loopback port for the health server of a
// controller-manager or scheduler.
// The component serves a self-signed certificate and /healthz to anyone
// (its --authorization-always-allow-paths), so the check skips
// verification: it asks a loopback port for nothing secret.
func ComponentHealth(kind process.Kind) (*process.Health, int, error) {
	probes, err := process.ProbesFor(kind)
	if err != nil {
		return nil, 0, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, fmt.Errorf("finding a port for the %s health server: %w", kind, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return &process.Health{
		Probes: probes, BaseURL: fmt.Sprintf("https://127.0.0.1:%d", port),
		TLS: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // loopback health check, see above
	}, port, nil
}

// startNodes runs kwok in this process to play the kubelets of the
// cluster's simulated nodes, logging to logFile, until the returned func is
// called. kwok waits for the API server by itself.
func startNodes(logFile, kubeconfig string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening kwok log: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		kwok.Run(ctx, kwok.Options{Kubeconfig: kubeconfig, Log: f, NodeLeaseDurationSeconds: 40})
	}()
	return func() {
		cancel()
		<-done
		_ = f.Close()
	}, nil
}

// goEnv tunes a component's Go runtime for many small control planes on one
// machine: GOGC=25 keeps the heap at 1.25 x what is live (measured: 24 MiB
// less per cluster than 50, with the same idle CPU, since an idle control
// plane allocates little), and a soft memory limit caps bursts. A limit
// below the GC target would make the GC run without pause.
func goEnv(memLimit string) []string {
	return []string{"GOMAXPROCS=2", "GOGC=25", "GOMEMLIMIT=" + memLimit}
}

// tenantControllers are the kube-controller-manager loops a tenant cluster
// runs: workloads, garbage collection, disruption budgets, and
// node-lifecycle, which removes the not-ready taint of new nodes. Volume,
// cloud and certificate-signing loops have nothing to act on here.
var tenantControllers = []string{
	"clusterrole-aggregation-controller", "cronjob-controller", "daemonset-controller", "deployment-controller",
	"disruption-controller", "endpoints-controller", "endpointslice-controller", "endpointslice-mirroring-controller",
	"garbage-collector-controller", "horizontal-pod-autoscaler-controller", "job-controller", "namespace-controller",
	"node-lifecycle-controller", "pod-garbage-collector-controller", "replicaset-controller",
	"replicationcontroller-controller", "resourcequota-controller", "root-ca-certificate-publisher-controller",
	"serviceaccount-controller", "serviceaccount-token-controller", "statefulset-controller",
	"taint-eviction-controller", "ttl-after-finished-controller", "ttl-controller",
}

// probe asks the API server whether it is ready and which version it runs.
func probe(ctx context.Context, spec controlplane.Spec, p paths) controlplane.Status {
	cert, err := tls.LoadX509KeyPair(p.adminCert, p.adminKey)
	if err != nil {
		return controlplane.Status{Message: err.Error()}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(spec.CACertPEM)
	hc := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
	}}
	defer hc.CloseIdleConnections()
	base := fmt.Sprintf("https://%s:%d", spec.Host, spec.Port)
	get := func(path string) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return "", err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
		}
		return string(body), nil
	}
	if _, err := get("/readyz"); err != nil {
		return controlplane.Status{Message: "API server not ready: " + err.Error()}
	}
	body, err := get("/version")
	if err != nil {
		return controlplane.Status{Message: err.Error()}
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return controlplane.Status{Message: "reading /version: " + err.Error()}
	}
	// Processes die or hang: look again now and then.
	return controlplane.Status{Ready: true, Version: v.GitVersion, ProbeAfter: probeInterval}
}

// probeInterval is how often a ready control plane is probed.
const probeInterval = 30 * time.Second
