package kubeconfig

import (
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// writeManagementKubeconfig writes the kubeconfig kumoctl itself uses:
// one context "mgmt" for the management API, current.
func writeManagementKubeconfig(t *testing.T, path string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["mgmt"] = &clientcmdapi.Cluster{Server: "https://kumo.example.com:6443"}
	cfg.AuthInfos["alice"] = &clientcmdapi.AuthInfo{Token: "alice-token"}
	cfg.Contexts["mgmt"] = &clientcmdapi.Context{Cluster: "mgmt", AuthInfo: "alice", Namespace: cmdtest.Namespace}
	cfg.CurrentContext = "mgmt"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, path string) *clientcmdapi.Config {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// readyCluster is a Ready cluster of team-a with an issued kubeconfig.
func readyCluster(name, server string) []client.Object {
	return []client.Object{
		&kumov1.Cluster{
			ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: name},
			Spec:       kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1"},
			Status:     kumov1.ClusterStatus{Phase: kumov1.ClusterReady, KubeconfigSecret: name + "-kubeconfig"},
		},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: name + "-kubeconfig"},
			Data:       map[string][]byte{"value": cmdtest.TenantKubeconfig(name, server)},
		},
	}
}
