package platform

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kumo-dev/kumo/internal/pki"
)

// mgmtPKI holds the management API server's certificates.
type mgmtPKI struct {
	dir string
}

func (p mgmtPKI) path(name string) string { return filepath.Join(p.dir, name) }

// clientUsers are the management API's client certificates, by file name:
// the user (common name) and groups (organisations) each is issued for.
var clientUsers = map[string]struct {
	cn   string
	orgs []string
}{
	"admin":              {"kumo-admin", []string{"system:masters"}},
	"controller-manager": {"system:kube-controller-manager", nil},
	"manager":            {ManagerUser, nil},
}

// ensurePKI creates the management CA and certificates once; later runs
// reuse them so that kubeconfigs handed out stay valid, and add the client
// certificates that a data directory from an older Kumo lacks.
func ensurePKI(dir string) (mgmtPKI, error) {
	p := mgmtPKI{dir: dir}
	if _, err := os.Stat(p.path("done")); err == nil {
		return p, p.addMissingUsers()
	} else if !errors.Is(err, os.ErrNotExist) {
		return p, err
	}
	const year = 365 * 24 * time.Hour
	ca, err := pki.NewCA("kumo-management-ca", 10*year)
	if err != nil {
		return p, err
	}
	serving, err := ca.Issue(pki.CertConfig{
		CommonName: "kube-apiserver",
		DNSNames:   []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPs:        []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.1")},
		Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, Validity: 5 * year,
	})
	if err != nil {
		return p, err
	}
	files := map[string][]byte{"ca.crt": ca.CertPEM, "ca.key": ca.KeyPEM, "apiserver.crt": serving.CertPEM, "apiserver.key": serving.KeyPEM}
	for name := range clientUsers {
		kp, err := issueUser(ca, name)
		if err != nil {
			return p, err
		}
		files[name+".crt"], files[name+".key"] = kp.CertPEM, kp.KeyPEM
	}
	saKey, saPub, err := pki.NewServiceAccountKey()
	if err != nil {
		return p, err
	}
	files["sa.key"], files["sa.pub"] = saKey, saPub
	if err := pki.WriteFiles(dir, files); err != nil {
		return p, fmt.Errorf("writing management certificates: %w", err)
	}
	// "done" last: a crash before it regenerates everything next time.
	return p, pki.WriteFiles(dir, map[string][]byte{"done": []byte("ok\n")})
}

// Files of the manager's webhook serving certificate in the PKI directory.
const webhookCert, webhookKey = "webhook.crt", "webhook.key"

// ensureWebhookCert issues the serving certificate of the manager's
// admission webhooks for 127.0.0.1, where the API server calls them. It
// is apart from ensurePKI's set, so that data directories made before
// webhooks existed get one; it is issued again when the CA is another or
// it has less than 30 days left.
func ensureWebhookCert(p mgmtPKI) error {
	read := func(crt, key string) (*pki.KeyPair, error) {
		c, err := os.ReadFile(p.path(crt))
		if err != nil {
			return nil, err
		}
		k, err := os.ReadFile(p.path(key))
		if err != nil {
			return nil, err
		}
		return pki.ParseKeyPair(c, k)
	}
	ca, err := read("ca.crt", "ca.key")
	if err != nil {
		return fmt.Errorf("reading the management CA: %w", err)
	}
	if kp, err := read(webhookCert, webhookKey); err == nil &&
		kp.Cert.CheckSignatureFrom(ca.Cert) == nil && time.Until(kp.Cert.NotAfter) > 30*24*time.Hour {
		return nil
	}
	serving, err := ca.Issue(pki.CertConfig{
		CommonName: "kumo-webhook", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, Validity: 5 * 365 * 24 * time.Hour,
	})
	if err != nil {
		return err
	}
	if err := pki.WriteFiles(p.dir, map[string][]byte{webhookCert: serving.CertPEM, webhookKey: serving.KeyPEM}); err != nil {
		return fmt.Errorf("writing the webhook certificate: %w", err)
	}
	return nil
}

// restConfig is a client configuration of the management API as user
// (a certificate of ensurePKI), with room for a controller's bursts.
func (p mgmtPKI) restConfig(server, user string) (*rest.Config, error) {
	kc, err := p.kubeconfig(server, user)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	if err != nil {
		return nil, err
	}
	// Client-side limits high enough for a fleet's bursts; the API
	// server's priority and fairness protects it.
	cfg.QPS, cfg.Burst = 1000, 2000
	return cfg, nil
}

func issueUser(ca *pki.KeyPair, name string) (*pki.KeyPair, error) {
	const year = 365 * 24 * time.Hour
	user := clientUsers[name]
	return ca.Issue(pki.CertConfig{CommonName: user.cn, Organization: user.orgs, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: 5 * year})
}

// addMissingUsers issues the client certificates of clientUsers that are
// not in the directory yet.
func (p mgmtPKI) addMissingUsers() error {
	var ca *pki.KeyPair
	for name := range clientUsers {
		if _, err := os.Stat(p.path(name + ".crt")); err == nil {
			continue
		}
		if ca == nil {
			var err error
			if ca, err = p.ca(); err != nil {
				return err
			}
		}
		kp, err := issueUser(ca, name)
		if err != nil {
			return err
		}
		// The key first: a crash between the two leaves no certificate,
		// so the next run issues both again.
		if err := pki.WriteFiles(p.dir, map[string][]byte{name + ".key": kp.KeyPEM}); err != nil {
			return err
		}
		if err := pki.WriteFiles(p.dir, map[string][]byte{name + ".crt": kp.CertPEM}); err != nil {
			return err
		}
	}
	return nil
}

// ca reads the management CA.
func (p mgmtPKI) ca() (*pki.KeyPair, error) {
	caCert, err := os.ReadFile(p.path("ca.crt"))
	if err != nil {
		return nil, err
	}
	caKey, err := os.ReadFile(p.path("ca.key"))
	if err != nil {
		return nil, err
	}
	ca, err := pki.ParseKeyPair(caCert, caKey)
	if err != nil {
		return nil, fmt.Errorf("reading the management CA: %w", err)
	}
	return ca, nil
}

func (p mgmtPKI) kubeconfig(server, user string) ([]byte, error) {
	ca, err := os.ReadFile(p.path("ca.crt"))
	if err != nil {
		return nil, err
	}
	crt, err := os.ReadFile(p.path(user + ".crt"))
	if err != nil {
		return nil, err
	}
	key, err := os.ReadFile(p.path(user + ".key"))
	if err != nil {
		return nil, err
	}
	return pki.Kubeconfig("kumo", server, ca, user, crt, key)
}
