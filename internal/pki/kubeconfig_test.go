package pki_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kumo-dev/kumo/internal/pki"
)

func TestKubeconfig(t *testing.T) {
	g := NewWithT(t)
	ca := newCA(t, "kumo-ca")
	client, err := ca.Issue(pki.CertConfig{
		CommonName:   "kubernetes-admin",
		Organization: []string{"system:masters"},
		Usages:       []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		Validity:     time.Hour,
	})
	g.Expect(err).NotTo(HaveOccurred())

	data, err := pki.Kubeconfig("demo", "https://127.0.0.1:6443", ca.CertPEM, "admin", client.CertPEM, client.KeyPEM)
	g.Expect(err).NotTo(HaveOccurred())

	cfg, err := clientcmd.Load(data)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.CurrentContext).To(Equal("admin@demo"))
	g.Expect(cfg.Contexts).To(HaveLen(1))
	g.Expect(cfg.Contexts).To(HaveKey("admin@demo"))
	g.Expect(cfg.Contexts["admin@demo"].Cluster).To(Equal("demo"))
	g.Expect(cfg.Contexts["admin@demo"].AuthInfo).To(Equal("admin"))
	g.Expect(cfg.Clusters).To(HaveLen(1))
	g.Expect(cfg.Clusters).To(HaveKey("demo"))
	g.Expect(cfg.Clusters["demo"].Server).To(Equal("https://127.0.0.1:6443"))
	g.Expect(cfg.Clusters["demo"].CertificateAuthorityData).To(Equal(ca.CertPEM))
	g.Expect(cfg.AuthInfos).To(HaveLen(1))
	g.Expect(cfg.AuthInfos).To(HaveKey("admin"))

	restCfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(restCfg.Host).To(Equal("https://127.0.0.1:6443"))
	g.Expect(restCfg.TLSClientConfig.CAData).To(Equal(ca.CertPEM))
	g.Expect(restCfg.TLSClientConfig.CertData).To(Equal(client.CertPEM))
	g.Expect(restCfg.TLSClientConfig.KeyData).To(Equal(client.KeyPEM))
}

func TestKubeconfigErrors(t *testing.T) {
	ca := []byte("ca")
	crt := []byte("crt")
	key := []byte("key")

	tests := map[string]struct {
		// The arguments to Kubeconfig.
		cluster, server, user string
		ca, crt, key          []byte
		// wantErr is a substring of the expected error.
		wantErr string
	}{
		"no cluster":     {server: "https://x", user: "u", ca: ca, crt: crt, key: key, wantErr: "cluster name is empty"},
		"no server":      {cluster: "c", user: "u", ca: ca, crt: crt, key: key, wantErr: "server is empty"},
		"no user":        {cluster: "c", server: "https://x", ca: ca, crt: crt, key: key, wantErr: "user is empty"},
		"no CA":          {cluster: "c", server: "https://x", user: "u", crt: crt, key: key, wantErr: "CA certificate is empty"},
		"no client cert": {cluster: "c", server: "https://x", user: "u", ca: ca, key: key, wantErr: "client certificate or key is empty"},
		"no client key":  {cluster: "c", server: "https://x", user: "u", ca: ca, crt: crt, wantErr: "client certificate or key is empty"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := pki.Kubeconfig(tt.cluster, tt.server, tt.ca, tt.user, tt.crt, tt.key)
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

// TestKubeconfigTLSHandshake serves HTTPS with a certificate issued for
// 127.0.0.1, requires client certificates signed by the same CA, and dials
// it with a client built from the kubeconfig, as kubectl would.
func TestKubeconfigTLSHandshake(t *testing.T) {
	ca := newCA(t, "kumo-ca")
	otherCA := newCA(t, "other-ca")

	issue := func(t *testing.T, ca *pki.KeyPair, cfg pki.CertConfig) *pki.KeyPair {
		t.Helper()
		cfg.Validity = time.Hour
		kp, err := ca.Issue(cfg)
		if err != nil {
			t.Fatalf("issuing %s: %v", cfg.CommonName, err)
		}
		return kp
	}
	serving := func(ca *pki.KeyPair) *pki.KeyPair {
		return issue(t, ca, pki.CertConfig{
			CommonName: "kube-apiserver",
			IPs:        []net.IP{net.ParseIP("127.0.0.1")},
			Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
	}
	client := func(ca *pki.KeyPair) *pki.KeyPair {
		return issue(t, ca, pki.CertConfig{
			CommonName:   "kubernetes-admin",
			Organization: []string{"system:masters"},
			Usages:       []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
	}

	tests := map[string]struct {
		// servingCert is what the server presents.
		servingCert *pki.KeyPair
		// clientCert is what the kubeconfig presents.
		clientCert *pki.KeyPair
		// wantErr is a substring of the expected error; empty means success.
		wantErr string
	}{
		"same CA": {
			servingCert: serving(ca),
			clientCert:  client(ca),
		},
		"client cert from another CA": {
			servingCert: serving(ca),
			clientCert:  client(otherCA),
			wantErr:     "remote error: tls:", // the server rejects the handshake
		},
		"serving cert from another CA": {
			servingCert: serving(otherCA),
			clientCert:  client(ca),
			wantErr:     "certificate signed by unknown authority",
		},
		"client cert used to serve": {
			servingCert: issue(t, ca, pki.CertConfig{
				CommonName: "not-a-server",
				IPs:        []net.IP{net.ParseIP("127.0.0.1")},
				Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			}),
			clientCert: client(ca),
			wantErr:    "incompatible key usage",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)

			servingPair, err := tls.X509KeyPair(tt.servingCert.CertPEM, tt.servingCert.KeyPEM)
			g.Expect(err).NotTo(HaveOccurred())
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, r.TLS.PeerCertificates[0].Subject.CommonName)
			}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
			srv.TLS = &tls.Config{
				Certificates: []tls.Certificate{servingPair},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    pool(ca.Cert),
				MinVersion:   tls.VersionTLS12,
			}
			srv.StartTLS()
			defer srv.Close()

			data, err := pki.Kubeconfig("demo", srv.URL, ca.CertPEM, "admin", tt.clientCert.CertPEM, tt.clientCert.KeyPEM)
			g.Expect(err).NotTo(HaveOccurred())
			restCfg, err := clientcmd.RESTConfigFromKubeConfig(data)
			g.Expect(err).NotTo(HaveOccurred())
			httpClient, err := rest.HTTPClientFor(restCfg)
			g.Expect(err).NotTo(HaveOccurred())
			defer httpClient.CloseIdleConnections()

			resp, err := httpClient.Get(srv.URL)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
			g.Expect(string(body)).To(Equal("kubernetes-admin"))
		})
	}
}
