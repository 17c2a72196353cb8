package pki_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/pki"
)

func newCA(t *testing.T, name string) *pki.KeyPair {
	t.Helper()
	ca, err := pki.NewCA(name, 24*time.Hour)
	if err != nil {
		t.Fatalf("creating CA: %v", err)
	}
	return ca
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func TestNewCA(t *testing.T) {
	g := NewWithT(t)
	before := time.Now()

	ca, err := pki.NewCA("kumo-ca", 10*24*time.Hour)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(ca.Cert.IsCA).To(BeTrue())
	g.Expect(ca.Cert.Subject.CommonName).To(Equal("kumo-ca"))
	g.Expect(ca.Cert.KeyUsage & x509.KeyUsageCertSign).NotTo(BeZero())
	g.Expect(ca.Cert.NotAfter).To(BeTemporally("~", before.Add(10*24*time.Hour), time.Minute))
	g.Expect(ca.Cert.CheckSignatureFrom(ca.Cert)).To(Succeed())
	pub, ok := ca.Cert.PublicKey.(*ecdsa.PublicKey)
	g.Expect(ok).To(BeTrue(), "public key is %T", ca.Cert.PublicKey)
	g.Expect(pub.Curve).To(Equal(elliptic.P256()))

	_, err = pki.NewCA("", time.Hour)
	g.Expect(err).To(MatchError(ContainSubstring("common name is empty")))
	_, err = pki.NewCA("ca", 0)
	g.Expect(err).To(MatchError(ContainSubstring("not positive")))
}

func TestIssue(t *testing.T) {
	ca := newCA(t, "kumo-ca")

	tests := map[string]struct {
		cfg pki.CertConfig
		// dnsName is checked by verification, if set.
		dnsName string
		// wrongUsage is a usage the certificate must not verify for.
		wrongUsage x509.ExtKeyUsage
	}{
		"serving": {
			cfg: pki.CertConfig{
				CommonName: "kube-apiserver",
				DNSNames:   []string{"kubernetes", "kubernetes.default.svc", "localhost"},
				IPs:        []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
				Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
				Validity:   time.Hour,
			},
			dnsName:    "kubernetes.default.svc",
			wrongUsage: x509.ExtKeyUsageClientAuth,
		},
		"client": {
			cfg: pki.CertConfig{
				CommonName:   "kubernetes-admin",
				Organization: []string{"system:masters"},
				Usages:       []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
				Validity:     time.Hour,
			},
			wrongUsage: x509.ExtKeyUsageServerAuth,
		},
		"serving and client, SANs only": {
			cfg: pki.CertConfig{
				DNSNames: []string{"etcd"},
				IPs:      []net.IP{net.ParseIP("::1")},
				Usages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
				Validity: time.Hour,
			},
			dnsName:    "etcd",
			wrongUsage: x509.ExtKeyUsageCodeSigning,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			now := time.Now()

			kp, err := ca.Issue(tt.cfg)
			g.Expect(err).NotTo(HaveOccurred())

			cert := kp.Cert
			g.Expect(cert.IsCA).To(BeFalse())
			g.Expect(cert.Subject.CommonName).To(Equal(tt.cfg.CommonName))
			g.Expect(cert.Subject.Organization).To(Equal(tt.cfg.Organization))
			g.Expect(cert.DNSNames).To(Equal(tt.cfg.DNSNames))
			g.Expect(cert.IPAddresses).To(HaveLen(len(tt.cfg.IPs)))
			for i, ip := range tt.cfg.IPs {
				g.Expect(cert.IPAddresses[i].Equal(ip)).To(BeTrue(), "IP %d: %s != %s", i, cert.IPAddresses[i], ip)
			}
			g.Expect(cert.ExtKeyUsage).To(Equal(tt.cfg.Usages))
			g.Expect(cert.NotBefore).To(BeTemporally("~", now.Add(-time.Hour), time.Minute))
			g.Expect(cert.NotAfter).To(BeTemporally("~", now.Add(tt.cfg.Validity), time.Minute))
			g.Expect(cert.SerialNumber.Sign()).To(Equal(1))
			g.Expect(cert.SerialNumber.BitLen()).To(BeNumerically("<=", 128))
			pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
			g.Expect(ok).To(BeTrue(), "public key is %T", cert.PublicKey)
			g.Expect(pub.Curve).To(Equal(elliptic.P256()))

			opts := x509.VerifyOptions{Roots: pool(ca.Cert), KeyUsages: tt.cfg.Usages, DNSName: tt.dnsName}
			_, err = cert.Verify(opts)
			g.Expect(err).NotTo(HaveOccurred())
			for _, ip := range tt.cfg.IPs {
				g.Expect(cert.VerifyHostname(ip.String())).To(Succeed())
			}

			opts.KeyUsages = []x509.ExtKeyUsage{tt.wrongUsage}
			_, err = cert.Verify(opts)
			g.Expect(err).To(HaveOccurred())

			_, err = cert.Verify(x509.VerifyOptions{Roots: pool(newCA(t, "other").Cert), KeyUsages: tt.cfg.Usages})
			g.Expect(err).To(HaveOccurred())

			// The PEM forms are what a process reads from disk.
			parsed, err := pki.ParseKeyPair(kp.CertPEM, kp.KeyPEM)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(parsed.Cert.Equal(cert)).To(BeTrue())
		})
	}
}

func TestIssueSerialsDiffer(t *testing.T) {
	g := NewWithT(t)
	ca := newCA(t, "kumo-ca")
	cfg := pki.CertConfig{CommonName: "a", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: time.Hour}

	a, err := ca.Issue(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := ca.Issue(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Cert.SerialNumber).NotTo(Equal(b.Cert.SerialNumber))
}

func TestIssueDoesNotOutliveCA(t *testing.T) {
	g := NewWithT(t)
	ca, err := pki.NewCA("short-ca", time.Hour)
	g.Expect(err).NotTo(HaveOccurred())

	kp, err := ca.Issue(pki.CertConfig{CommonName: "a", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: 365 * 24 * time.Hour})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(kp.Cert.NotAfter).To(Equal(ca.Cert.NotAfter))
}

func TestIssueErrors(t *testing.T) {
	ca := newCA(t, "kumo-ca")
	leaf, err := ca.Issue(pki.CertConfig{CommonName: "leaf", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	valid := pki.CertConfig{CommonName: "x", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: time.Hour}

	tests := map[string]struct {
		// issuer signs the certificate.
		issuer *pki.KeyPair
		// cfg describes it.
		cfg pki.CertConfig
		// wantErr is a substring of the expected error.
		wantErr string
	}{
		"no name or SANs": {issuer: ca, cfg: pki.CertConfig{Usages: valid.Usages, Validity: time.Hour}, wantErr: "no common name, DNS names or IPs"},
		"no usages":       {issuer: ca, cfg: pki.CertConfig{CommonName: "x", Validity: time.Hour}, wantErr: "no extended key usages"},
		"no validity":     {issuer: ca, cfg: pki.CertConfig{CommonName: "x", Usages: valid.Usages}, wantErr: "validity 0s is not positive"},
		"issuer not a CA": {issuer: leaf, cfg: valid, wantErr: `issuer "leaf" is not a CA`},
		"issuer no key":   {issuer: &pki.KeyPair{Cert: ca.Cert}, cfg: valid, wantErr: "CA has no private key"},
		"nil issuer":      {issuer: nil, cfg: valid, wantErr: "CA has no certificate"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := tt.issuer.Issue(tt.cfg)
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

// selfSigned returns a self-signed certificate PEM for key.
func selfSigned(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "self-signed"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8PEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func TestParseKeyPair(t *testing.T) {
	ca := newCA(t, "kumo-ca")
	other := newCA(t, "other-ca")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaCert := selfSigned(t, rsaKey)
	rsaPKCS1 := pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))
	rsaPKCS8 := pkcs8PEM(t, rsaKey)
	ecPKCS8 := pkcs8PEM(t, ca.Key)
	ecParams := []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n")
	encrypted := []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n")

	tests := map[string]struct {
		// certPEM and keyPEM are the inputs.
		certPEM, keyPEM []byte
		// wantErr is a substring of the expected error; empty means success.
		wantErr string
	}{
		"EC SEC1":                  {certPEM: ca.CertPEM, keyPEM: ca.KeyPEM},
		"EC PKCS8":                 {certPEM: ca.CertPEM, keyPEM: ecPKCS8},
		"EC with parameters block": {certPEM: ca.CertPEM, keyPEM: append(append([]byte{}, ecParams...), ca.KeyPEM...)},
		"RSA PKCS1":                {certPEM: rsaCert, keyPEM: rsaPKCS1},
		"RSA PKCS8":                {certPEM: rsaCert, keyPEM: rsaPKCS8},
		"cert with chain":          {certPEM: append(append([]byte{}, ca.CertPEM...), other.CertPEM...), keyPEM: ca.KeyPEM},
		"garbage cert":             {certPEM: []byte("not a certificate"), keyPEM: ca.KeyPEM, wantErr: "parsing certificate: no PEM data found"},
		"empty cert":               {certPEM: nil, keyPEM: ca.KeyPEM, wantErr: "parsing certificate: no PEM data found"},
		"key as cert":              {certPEM: ca.KeyPEM, keyPEM: ca.KeyPEM, wantErr: `no CERTIFICATE PEM block found (found ["EC PRIVATE KEY"])`},
		"corrupt cert":             {certPEM: pemBlock("CERTIFICATE", []byte("junk")), keyPEM: ca.KeyPEM, wantErr: "parsing certificate: x509:"},
		"garbage key":              {certPEM: ca.CertPEM, keyPEM: []byte("not a key"), wantErr: "parsing private key: no PEM data found"},
		"corrupt EC key":           {certPEM: ca.CertPEM, keyPEM: pemBlock("EC PRIVATE KEY", []byte("junk")), wantErr: "parsing EC private key:"},
		"corrupt RSA key":          {certPEM: rsaCert, keyPEM: pemBlock("RSA PRIVATE KEY", []byte("junk")), wantErr: "parsing RSA private key:"},
		"corrupt PKCS8 key":        {certPEM: rsaCert, keyPEM: pemBlock("PRIVATE KEY", []byte("junk")), wantErr: "parsing PKCS#8 private key:"},
		"cert as key":              {certPEM: ca.CertPEM, keyPEM: ca.CertPEM, wantErr: `unsupported PEM block type "CERTIFICATE"`},
		"encrypted key":            {certPEM: rsaCert, keyPEM: encrypted, wantErr: "encrypted keys are not supported"},
		"mismatched EC key":        {certPEM: ca.CertPEM, keyPEM: other.KeyPEM, wantErr: `private key does not match the public key of certificate "kumo-ca"`},
		"RSA key for EC cert":      {certPEM: ca.CertPEM, keyPEM: rsaPKCS1, wantErr: "private key does not match"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			kp, err := pki.ParseKeyPair(tt.certPEM, tt.keyPEM)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				g.Expect(kp).To(BeNil())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(kp.CertPEM).To(Equal(tt.certPEM))
			g.Expect(kp.KeyPEM).To(Equal(tt.keyPEM))
			g.Expect(kp.Cert.PublicKey).To(BeEquivalentTo(kp.Key.Public()))
		})
	}
}

func TestParsedCAIssues(t *testing.T) {
	g := NewWithT(t)
	ca := newCA(t, "kumo-ca")

	parsed, err := pki.ParseKeyPair(ca.CertPEM, ca.KeyPEM)
	g.Expect(err).NotTo(HaveOccurred())
	leaf, err := parsed.Issue(pki.CertConfig{CommonName: "a", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: time.Hour})
	g.Expect(err).NotTo(HaveOccurred())

	_, err = leaf.Cert.Verify(x509.VerifyOptions{Roots: pool(ca.Cert), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	g.Expect(err).NotTo(HaveOccurred())
}

func FuzzParseKeyPair(f *testing.F) {
	ca, err := pki.NewCA("fuzz-ca", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ca.CertPEM, ca.KeyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"), []byte("garbage"))
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		kp, err := pki.ParseKeyPair(certPEM, keyPEM)
		if err == nil && (kp.Cert == nil || kp.Key == nil) {
			t.Fatalf("ParseKeyPair succeeded with an incomplete key pair: %+v", kp)
		}
	})
}
