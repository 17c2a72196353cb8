package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// clockSkew is how far in the past NotBefore is set, so that a certificate
// is already valid on a peer whose clock runs slightly behind ours.
const clockSkew = time.Hour

// PEM block types.
const (
	certificateBlockType   = "CERTIFICATE"
	ecPrivateKeyBlockType  = "EC PRIVATE KEY"
	rsaPrivateKeyBlockType = "RSA PRIVATE KEY"
	privateKeyBlockType    = "PRIVATE KEY"
	publicKeyBlockType     = "PUBLIC KEY"
	ecParametersBlockType  = "EC PARAMETERS"
)

// KeyPair is a certificate and its private key, both parsed and PEM-encoded.
type KeyPair struct {
	// Cert is the parsed certificate (the first one in CertPEM).
	Cert *x509.Certificate
	// Key is the private key matching Cert's public key.
	Key crypto.Signer
	// CertPEM is the PEM-encoded certificate, followed by any chain it was
	// parsed with.
	CertPEM []byte
	// KeyPEM is the PEM-encoded private key.
	KeyPEM []byte
}

// CertConfig describes a leaf certificate to issue.
type CertConfig struct {
	// CommonName is the subject CN; Kubernetes takes it as the user name of
	// a client certificate.
	CommonName string
	// Organization is the subject O; Kubernetes takes it as the groups of a
	// client certificate.
	Organization []string
	// DNSNames are the DNS subject alternative names of a serving certificate.
	DNSNames []string
	// IPs are the IP subject alternative names of a serving certificate.
	IPs []net.IP
	// Usages are the extended key usages, e.g. x509.ExtKeyUsageServerAuth;
	// at least one is required.
	Usages []x509.ExtKeyUsage
	// Validity is how long the certificate is valid from now. It is cut
	// short to the CA's own expiry.
	Validity time.Duration
}

// NewCA creates a self-signed ECDSA P-256 certificate authority valid for
// validity from now.
func NewCA(commonName string, validity time.Duration) (*KeyPair, error) {
	if commonName == "" {
		return nil, errors.New("creating CA: common name is empty")
	}
	if validity <= 0 {
		return nil, fmt.Errorf("creating CA %q: validity %s is not positive", commonName, validity)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key for CA %q: %w", commonName, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("creating CA %q: %w", commonName, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	kp, err := newKeyPair(tmpl, tmpl, key, key)
	if err != nil {
		return nil, fmt.Errorf("creating CA %q: %w", commonName, err)
	}
	return kp, nil
}

// Issue creates an ECDSA P-256 leaf certificate signed by ca. The
// certificate has a random 128-bit serial number and is valid from an hour
// ago (to tolerate clock skew) for cfg.Validity, but never past ca's expiry.
func (ca *KeyPair) Issue(cfg CertConfig) (*KeyPair, error) {
	name := cfg.CommonName
	if name == "" && len(cfg.DNSNames) > 0 {
		name = cfg.DNSNames[0]
	}
	if err := ca.validateIssuer(); err != nil {
		return nil, fmt.Errorf("issuing certificate %q: %w", name, err)
	}
	if cfg.CommonName == "" && len(cfg.DNSNames) == 0 && len(cfg.IPs) == 0 {
		return nil, errors.New("issuing certificate: no common name, DNS names or IPs")
	}
	if len(cfg.Usages) == 0 {
		return nil, fmt.Errorf("issuing certificate %q: no extended key usages", name)
	}
	if cfg.Validity <= 0 {
		return nil, fmt.Errorf("issuing certificate %q: validity %s is not positive", name, cfg.Validity)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key for certificate %q: %w", name, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("issuing certificate %q: %w", name, err)
	}
	now := time.Now()
	notAfter := now.Add(cfg.Validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   cfg.CommonName,
			Organization: cfg.Organization,
		},
		DNSNames:              cfg.DNSNames,
		IPAddresses:           cfg.IPs,
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           cfg.Usages,
		BasicConstraintsValid: true,
	}
	kp, err := newKeyPair(tmpl, ca.Cert, key, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issuing certificate %q: %w", name, err)
	}
	return kp, nil
}

func (ca *KeyPair) validateIssuer() error {
	switch {
	case ca == nil || ca.Cert == nil:
		return errors.New("CA has no certificate")
	case ca.Key == nil:
		return errors.New("CA has no private key")
	case !ca.Cert.IsCA:
		return fmt.Errorf("issuer %q is not a CA", ca.Cert.Subject.CommonName)
	}
	return nil
}

// newKeyPair signs tmpl with signer as issued by parent and encodes the
// result together with key.
func newKeyPair(tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, signer crypto.Signer) (*KeyPair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return &KeyPair{
		Cert:    cert,
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: certificateBlockType, Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: ecPrivateKeyBlockType, Bytes: keyDER}),
	}, nil
}

// randomSerial returns a random positive serial number of at most 128 bits.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		serial, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("generating serial number: %w", err)
		}
		if serial.Sign() > 0 {
			return serial, nil
		}
	}
}

// ParseKeyPair parses a PEM certificate (the first CERTIFICATE block; any
// others are kept in CertPEM as its chain) and its PEM private key, which
// may be SEC1 ("EC PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or PKCS#8
// ("PRIVATE KEY"). It fails if the key does not belong to the certificate.
func ParseKeyPair(certPEM, keyPEM []byte) (*KeyPair, error) {
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("private key does not match the public key of certificate %q", cert.Subject.CommonName)
	}
	return &KeyPair{
		Cert:    cert,
		Key:     key,
		CertPEM: append([]byte(nil), certPEM...),
		KeyPEM:  append([]byte(nil), keyPEM...),
	}, nil
}

func parseCertificatePEM(data []byte) (*x509.Certificate, error) {
	var found []string
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != certificateBlockType {
			found = append(found, block.Type)
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing certificate: %w", err)
		}
		return cert, nil
	}
	if len(found) == 0 {
		return nil, errors.New("parsing certificate: no PEM data found")
	}
	return nil, fmt.Errorf("parsing certificate: no %s PEM block found (found %q)", certificateBlockType, found)
}

func parsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	var block *pem.Block
	for rest := data; ; {
		block, rest = pem.Decode(rest)
		// openssl ecparam -genkey writes the curve parameters before the key.
		if block == nil || block.Type != ecParametersBlockType {
			break
		}
	}
	if block == nil {
		return nil, errors.New("parsing private key: no PEM data found")
	}
	if _, encrypted := block.Headers["Proc-Type"]; encrypted {
		return nil, errors.New("parsing private key: encrypted keys are not supported")
	}
	switch block.Type {
	case ecPrivateKeyBlockType:
		key, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing EC private key: %w", err)
		}
		return key, nil
	case rsaPrivateKeyBlockType:
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing RSA private key: %w", err)
		}
		return key, nil
	case privateKeyBlockType:
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PKCS#8 private key: %w", err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("parsing PKCS#8 private key: %T cannot sign", key)
		}
		return signer, nil
	default:
		return nil, fmt.Errorf("parsing private key: unsupported PEM block type %q (want %q, %q or %q)",
			block.Type, ecPrivateKeyBlockType, rsaPrivateKeyBlockType, privateKeyBlockType)
	}
}
