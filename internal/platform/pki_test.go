package platform

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"

	. "github.com/onsi/gomega"
)

// TestPKIAddsTheManagerToAnOlderDataDirectory: a data directory made
// before the manager had its own user gets its certificate on the next
// start; the others stay as they were, so handed-out kubeconfigs stay valid.
func TestPKIAddsTheManagerToAnOlderDataDirectory(t *testing.T) {
	g := NewWithT(t)
	p, err := ensurePKI(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	admin, err := os.ReadFile(p.path("admin.crt"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.Remove(p.path("manager.crt"))).To(Succeed())
	g.Expect(os.Remove(p.path("manager.key"))).To(Succeed())

	p, err = ensurePKI(p.dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.ReadFile(p.path("admin.crt"))).To(Equal(admin))
	data, err := os.ReadFile(p.path("manager.crt"))
	g.Expect(err).NotTo(HaveOccurred())
	block, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(block.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cert.Subject.CommonName).To(Equal(ManagerUser))
	g.Expect(cert.Subject.Organization).To(BeEmpty(), "not system:masters")
	_, err = p.restConfig("https://127.0.0.1:6443", "manager")
	g.Expect(err).NotTo(HaveOccurred())
}
