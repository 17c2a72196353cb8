package platform

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
)

// TestConfigKeepsPortsAcrossRestarts: kubeconfigs and tenant API servers
// point at the ports chosen on the first run, so later runs must reuse them
// even when the default became free or busy meanwhile.
func TestConfigKeepsPortsAcrossRestarts(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	first, err := loadConfig(dir, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(first.APIServerPort).NotTo(BeZero())
	g.Expect(first.EtcdPort).NotTo(Equal(first.EtcdPeerPort))

	// Hold the API server port, as a running kumo up would.
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(first.APIServerPort)))
	if err == nil {
		defer func() { _ = l.Close() }()
	}
	again, err := loadConfig(dir, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(first))

	// An explicit port wins and is remembered.
	explicit, err := loadConfig(dir, Options{APIServerPort: 17443})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(explicit.APIServerPort).To(Equal(17443))
	later, err := loadConfig(dir, Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(later.APIServerPort).To(Equal(17443))
}

func TestConfigRefusesACorruptFile(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "config.json"), []byte("{not json"), 0o600)).To(Succeed())
	_, err := loadConfig(dir, Options{})
	g.Expect(err).To(MatchError(ContainSubstring("delete it to choose new ports")))
}

func TestLockDirRefusesASecondKumo(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	unlock, err := lockDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = lockDir(dir)
	g.Expect(err).To(MatchError(ContainSubstring("another `kumo up` is using")))
	unlock()
	unlock2, err := lockDir(dir)
	g.Expect(err).NotTo(HaveOccurred())
	unlock2()
}

func TestPKIIsCreatedOnce(t *testing.T) {
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := ensurePKI(dir)
	g.Expect(err).NotTo(HaveOccurred())
	ca, err := os.ReadFile(p.path("ca.crt"))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = ensurePKI(dir)
	g.Expect(err).NotTo(HaveOccurred())
	again, _ := os.ReadFile(p.path("ca.crt"))
	g.Expect(again).To(Equal(ca), "a second run keeps the CA, so handed-out kubeconfigs stay valid")
	kc, err := p.kubeconfig("https://127.0.0.1:6443", "admin")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(kc)).To(ContainSubstring("https://127.0.0.1:6443"))
}
