package pki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// serviceAccountKeyBits is the RSA key size of the service-account signing key.
const serviceAccountKeyBits = 2048

// NewServiceAccountKey generates the RSA key that signs service-account
// tokens. privPEM ("RSA PRIVATE KEY", PKCS#1) is what kube-apiserver's
// --service-account-signing-key-file and kube-controller-manager's
// --service-account-private-key-file take; pubPEM ("PUBLIC KEY", PKIX) is
// what kube-apiserver's --service-account-key-file takes.
func NewServiceAccountKey() (privPEM, pubPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, serviceAccountKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("generating service-account key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding service-account public key: %w", err)
	}
	privPEM = pem.EncodeToMemory(&pem.Block{Type: rsaPrivateKeyBlockType, Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubPEM = pem.EncodeToMemory(&pem.Block{Type: publicKeyBlockType, Bytes: pubDER})
	return privPEM, pubPEM, nil
}
