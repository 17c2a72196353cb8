package platform

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/kumo-dev/kumo/internal/pki"
)

// mgmtPKI holds the management API server's certificates.
type mgmtPKI struct {
	dir string
}

func (p mgmtPKI) path(name string) string { return filepath.Join(p.dir, name) }

// ensurePKI creates the management CA and certificates once; later runs
// reuse them so that kubeconfigs handed out stay valid.
func ensurePKI(dir string) (mgmtPKI, error) {
	p := mgmtPKI{dir: dir}
	if _, err := os.Stat(p.path("done")); err == nil {
		return p, nil
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
	for name, user := range map[string]struct {
		cn   string
		orgs []string
	}{
		"admin":              {"kumo-admin", []string{"system:masters"}},
		"controller-manager": {"system:kube-controller-manager", nil},
	} {
		kp, err := ca.Issue(pki.CertConfig{CommonName: user.cn, Organization: user.orgs, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: 5 * year})
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
