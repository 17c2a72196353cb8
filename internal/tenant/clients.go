package tenant

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// Clients caches one clientset per tenant cluster.
type Clients struct {
	reader client.Reader

	mu    sync.Mutex
	cache map[string]entry
}

type entry struct {
	resourceVersion string
	clientset       kubernetes.Interface
}

// NewClients reads kubeconfig Secrets through reader. Kumo passes its
// cache, which holds only the Secrets of Kumo's clusters.
func NewClients(reader client.Reader) *Clients {
	return &Clients{reader: reader, cache: map[string]entry{}}
}

// ErrNoKubeconfig means the cluster's kubeconfig Secret does not exist yet.
var ErrNoKubeconfig = fmt.Errorf("kubeconfig secret not found")

// For returns a clientset for the cluster.
func (c *Clients) For(ctx context.Context, cluster *kumov1.Cluster) (kubernetes.Interface, error) {
	var secret corev1.Secret
	key := client.ObjectKey{Namespace: cluster.Namespace, Name: kumov1.KubeconfigSecretName(cluster.Name)}
	if err := c.reader.Get(ctx, key, &secret); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, ErrNoKubeconfig
		}
		return nil, fmt.Errorf("reading kubeconfig of %s: %w", key, err)
	}
	id := string(cluster.UID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cache[id]; ok && e.resourceVersion == secret.ResourceVersion {
		return e.clientset, nil
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(secret.Data[kumov1.KubeconfigSecretKey])
	if err != nil {
		return nil, fmt.Errorf("parsing kubeconfig of %s: %w", key, err)
	}
	cfg.Timeout = 15 * time.Second
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building client for %s: %w", key, err)
	}
	c.cache[id] = entry{resourceVersion: secret.ResourceVersion, clientset: cs}
	return cs, nil
}

// Forget drops the cached client of a deleted cluster.
func (c *Clients) Forget(cluster *kumov1.Cluster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cache, string(cluster.UID))
}
