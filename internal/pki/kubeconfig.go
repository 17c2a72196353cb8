package pki

import (
	"errors"
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig renders a kubeconfig with one cluster named clusterName at
// server trusting caPEM, one user authenticating with a client certificate,
// and one context "<user>@<clusterName>" joining them, set as current.
func Kubeconfig(clusterName, server string, caPEM []byte, user string, clientCertPEM, clientKeyPEM []byte) ([]byte, error) {
	switch {
	case clusterName == "":
		return nil, errors.New("writing kubeconfig: cluster name is empty")
	case user == "":
		return nil, fmt.Errorf("writing kubeconfig for cluster %q: user is empty", clusterName)
	case server == "":
		return nil, fmt.Errorf("writing kubeconfig for cluster %q: server is empty", clusterName)
	case len(caPEM) == 0:
		return nil, fmt.Errorf("writing kubeconfig for cluster %q: CA certificate is empty", clusterName)
	case len(clientCertPEM) == 0 || len(clientKeyPEM) == 0:
		return nil, fmt.Errorf("writing kubeconfig for cluster %q: client certificate or key is empty", clusterName)
	}
	contextName := user + "@" + clusterName

	cluster := clientcmdapi.NewCluster()
	cluster.Server = server
	cluster.CertificateAuthorityData = caPEM

	authInfo := clientcmdapi.NewAuthInfo()
	authInfo.ClientCertificateData = clientCertPEM
	authInfo.ClientKeyData = clientKeyPEM

	kubeContext := clientcmdapi.NewContext()
	kubeContext.Cluster = clusterName
	kubeContext.AuthInfo = user

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = cluster
	cfg.AuthInfos[user] = authInfo
	cfg.Contexts[contextName] = kubeContext
	cfg.CurrentContext = contextName

	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("writing kubeconfig for cluster %q: %w", clusterName, err)
	}
	return data, nil
}
