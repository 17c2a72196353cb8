package platform

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	cpprocess "github.com/kumo-dev/kumo/internal/controlplane/process"
)

// Status is what `kumo status` reports of a data directory's platform.
type Status struct {
	DataDir string `json:"dataDir"`
	Running bool   `json:"running"`
	// PID is the running `kumo up`'s process ID.
	PID int `json:"pid,omitempty"`
	// Config holds the ports; nil before the data directory's first run.
	Config     *Config `json:"ports,omitempty"`
	APIServer  string  `json:"apiServer,omitempty"`
	Kubeconfig string  `json:"kubeconfig,omitempty"`
	// Prometheus is the URL of `kumo up --prometheus`'s Prometheus, if it
	// answers.
	Prometheus string `json:"prometheus,omitempty"`
	Logs       string `json:"logs"`
	// Clusters are read from the management API while the platform runs;
	// ClustersError says why they could not be.
	Clusters      []ClusterStatus `json:"clusters"`
	ClustersError string          `json:"clustersError,omitempty"`
	// ControlPlanes counts the tenant control planes by state, from the
	// clusters' conditions.
	ControlPlanes ControlPlaneCounts `json:"controlPlanes"`
	// Host is the host's memory and how many more control planes fit in
	// it; nil when the platform does not run or the memory is unknown.
	Host *HostStatus `json:"host,omitempty"`
	// EtcdAlarms are the alarms the management etcd raised (NOSPACE: out
	// of space, writes refused); EtcdProblem explains them or says why
	// etcd could not be asked.
	EtcdAlarms  []string `json:"etcdAlarms,omitempty"`
	EtcdProblem string   `json:"etcdProblem,omitempty"`
}

// ControlPlaneCounts counts tenant control planes.
type ControlPlaneCounts struct {
	// Running answer (ControlPlaneReady).
	Running int `json:"running"`
	// Starting are starting or wait for their turn to start.
	Starting int `json:"starting"`
	// Pending wait for host memory (InsufficientHostMemory).
	Pending int `json:"pending"`
	// Unhealthy ran and have a failed component (ControlPlaneUnhealthy),
	// which is being restarted.
	Unhealthy int `json:"unhealthy"`
}

// HostStatus is the host's memory, in bytes, as the memory guard of the
// tenant control planes sees it.
type HostStatus struct {
	MemoryTotal     uint64 `json:"memoryTotal"`
	MemoryAvailable uint64 `json:"memoryAvailable"`
	// MemoryReserve is what control planes leave available, as configured
	// (Reserve, e.g. "10%") and in bytes.
	MemoryReserve uint64 `json:"memoryReserve"`
	Reserve       string `json:"reserve"`
	// PerControlPlane is what one more control plane is expected to take.
	PerControlPlane uint64 `json:"perControlPlane"`
	// Room is how many more control planes fit, after those starting.
	Room int `json:"room"`
}

// ClusterStatus is one tenant cluster in a Status.
type ClusterStatus struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Phase     string `json:"phase"`
	Version   string `json:"version,omitempty"`
	Nodes     string `json:"nodes,omitempty"`
	Endpoint  string `json:"endpoint,omitempty"`
}

// Inspect reports on the platform of dataDir, running or not.
func Inspect(ctx context.Context, dataDir string) (*Status, error) {
	s := &Status{DataDir: dataDir, Logs: LogDir(dataDir), Clusters: []ClusterStatus{}}
	cfg, err := ReadConfig(dataDir)
	if err != nil {
		return nil, err
	}
	s.Config = cfg
	if cfg != nil {
		s.APIServer = fmt.Sprintf("https://127.0.0.1:%d", cfg.APIServerPort)
	}
	if _, err := os.Stat(KubeconfigPath(dataDir)); err == nil {
		s.Kubeconfig = KubeconfigPath(dataDir)
	}
	s.Running, s.PID = Running(dataDir), PID(dataDir)
	if !s.Running {
		return s, nil
	}
	if cfg != nil && cfg.PrometheusPort != 0 {
		url := fmt.Sprintf("http://127.0.0.1:%d", cfg.PrometheusPort)
		if waitHTTP(ctx, url+"/-/ready", nil, time.Second) == nil {
			s.Prometheus = url
		}
	}
	if cfg != nil {
		s.EtcdAlarms, s.EtcdProblem = inspectEtcd(ctx, cfg)
	}
	clusters, counts, err := listClusters(ctx, dataDir)
	if err != nil {
		s.ClustersError = err.Error()
		return s, nil
	}
	s.Clusters, s.ControlPlanes = clusters, counts
	s.Host = hostStatus(cfg, counts.Starting)
	return s, nil
}

// hostStatus reads the host's memory and says how many more control planes
// fit, as `kumo up`'s memory guard would.
func hostStatus(cfg *Config, starting int) *HostStatus {
	host, err := cpprocess.ReadHostMemory()
	if err != nil || cfg == nil {
		return nil
	}
	reserve, err := cfg.HostMemoryReserveBytes(host.Total)
	if err != nil {
		return nil
	}
	g := cpprocess.MemoryGuard{Reserve: reserve}
	return &HostStatus{MemoryTotal: host.Total, MemoryAvailable: host.Available, MemoryReserve: reserve,
		Reserve: cfg.HostMemoryReserve, PerControlPlane: cpprocess.DefaultMemoryPerControlPlane, Room: g.Room(host, starting)}
}

// listClusters reads every tenant cluster from the management API and
// counts their control planes.
func listClusters(ctx context.Context, dataDir string) ([]ClusterStatus, ControlPlaneCounts, error) {
	var counts ControlPlaneCounts
	c, _, err := adminClient(dataDir, 5*time.Second)
	if err != nil {
		return nil, counts, fmt.Errorf("the management API is not up yet: %w", err)
	}
	var list kumov1.ClusterList
	if err := c.List(ctx, &list); err != nil {
		return nil, counts, fmt.Errorf("listing clusters: %w", err)
	}
	out := []ClusterStatus{}
	for _, cl := range list.Items {
		counts.add(&cl)
		cs := ClusterStatus{Namespace: cl.Namespace, Name: cl.Name, Phase: string(cl.Status.Phase),
			Version: cl.Status.Version, Nodes: cl.Status.Nodes}
		if cs.Phase == "" {
			cs.Phase = "Pending"
		}
		if ep := cl.Spec.ControlPlane.Endpoint; ep != nil {
			cs.Endpoint = fmt.Sprintf("https://%s:%d", ep.Host, ep.Port)
		}
		out = append(out, cs)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Phase != out[j].Phase {
			return out[i].Phase < out[j].Phase
		}
		return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name
	})
	return out, counts, nil
}

// add counts the control plane of cl: running when it answers, pending
// when it waits for host memory, unhealthy when a component failed,
// starting while it starts or waits to;
// not at all when the cluster is blocked (Failed) or being deleted.
func (c *ControlPlaneCounts) add(cl *kumov1.Cluster) {
	cp := meta.FindStatusCondition(cl.Status.Conditions, kumov1.ControlPlaneReadyCondition)
	switch {
	case !cl.DeletionTimestamp.IsZero() || cl.Status.Phase == kumov1.ClusterFailed:
	case cp != nil && cp.Status == metav1.ConditionTrue:
		c.Running++
	case cp != nil && cp.Reason == kumov1.InsufficientHostMemoryReason:
		c.Pending++
	case cp != nil && cp.Reason == kumov1.ControlPlaneUnhealthyReason:
		c.Unhealthy++
	default:
		c.Starting++
	}
}

// adminClient is a client of the management API of dataDir's platform, with
// the admin kubeconfig `kumo up` wrote, and the REST config it was built from.
func adminClient(dataDir string, timeout time.Duration) (client.Client, *rest.Config, error) {
	kc, err := os.ReadFile(KubeconfigPath(dataDir))
	if err != nil {
		return nil, nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		return nil, nil, err
	}
	cfg.Timeout = timeout
	c, err := client.New(cfg, client.Options{Scheme: kumov1.NewScheme()})
	if err != nil {
		return nil, nil, err
	}
	return c, cfg, nil
}

// inspectEtcd lists the management etcd's alarms and explains them.
func inspectEtcd(ctx context.Context, cfg *Config) ([]string, string) {
	cli, err := etcdClient(etcdEndpoint(cfg.EtcdPort))
	if err != nil {
		return nil, err.Error()
	}
	defer func() { _ = cli.Close() }()
	alarms, err := etcdAlarms(ctx, cli)
	if err != nil {
		return nil, err.Error()
	}
	if slices.Contains(alarms, "NOSPACE") {
		return alarms, noSpaceMessage("kumo")
	}
	return alarms, ""
}
