package platform

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
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
	Logs       string  `json:"logs"`
	// Clusters are read from the management API while the platform runs;
	// ClustersError says why they could not be.
	Clusters      []ClusterStatus `json:"clusters"`
	ClustersError string          `json:"clustersError,omitempty"`
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
	clusters, err := listClusters(ctx, dataDir)
	if err != nil {
		s.ClustersError = err.Error()
		return s, nil
	}
	s.Clusters = clusters
	return s, nil
}

// listClusters reads every tenant cluster from the management API.
func listClusters(ctx context.Context, dataDir string) ([]ClusterStatus, error) {
	c, _, err := adminClient(dataDir, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("the management API is not up yet: %w", err)
	}
	var list kumov1.ClusterList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing clusters: %w", err)
	}
	out := []ClusterStatus{}
	for _, cl := range list.Items {
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
	return out, nil
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
