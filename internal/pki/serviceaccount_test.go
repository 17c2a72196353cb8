package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/kumo-dev/kumo/internal/pki"
)

func TestNewServiceAccountKey(t *testing.T) {
	g := NewWithT(t)

	privPEM, pubPEM, err := pki.NewServiceAccountKey()
	g.Expect(err).NotTo(HaveOccurred())

	block, rest := pem.Decode(privPEM)
	g.Expect(block).NotTo(BeNil())
	g.Expect(rest).To(BeEmpty())
	g.Expect(block.Type).To(Equal("EC PRIVATE KEY"))
	priv, err := x509.ParseECPrivateKey(block.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(priv.Curve).To(Equal(elliptic.P256()))

	block, rest = pem.Decode(pubPEM)
	g.Expect(block).NotTo(BeNil())
	g.Expect(rest).To(BeEmpty())
	g.Expect(block.Type).To(Equal("PUBLIC KEY"))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pub).To(BeAssignableToTypeOf(&ecdsa.PublicKey{}))
	g.Expect(priv.PublicKey.Equal(pub)).To(BeTrue())
}
