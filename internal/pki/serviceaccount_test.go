package pki_test

import (
	"crypto/rsa"
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
	g.Expect(block.Type).To(Equal("RSA PRIVATE KEY"))
	priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(priv.N.BitLen()).To(Equal(2048))
	g.Expect(priv.Validate()).To(Succeed())

	block, rest = pem.Decode(pubPEM)
	g.Expect(block).NotTo(BeNil())
	g.Expect(rest).To(BeEmpty())
	g.Expect(block.Type).To(Equal("PUBLIC KEY"))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pub).To(BeAssignableToTypeOf(&rsa.PublicKey{}))
	g.Expect(priv.PublicKey.Equal(pub)).To(BeTrue())
}
