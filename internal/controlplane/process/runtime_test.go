package process

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kumo-dev/kumo/internal/controlplane"
	"github.com/kumo-dev/kumo/internal/ports"
)

// TestAllocateEndpoint: a cluster keeps its port across calls and runtime
// restarts, no two clusters share one, and all lie outside the ephemeral range.
func TestAllocateEndpoint(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	r := New(Options{Dir: dir})
	ctx := context.Background()
	seen := map[int32]types.UID{}
	for i := range 50 {
		ref := controlplane.Ref{Namespace: "team", Name: fmt.Sprint("c", i), UID: types.UID(fmt.Sprint("uid-", i))}
		host, port, err := r.AllocateEndpoint(ctx, ref)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(host).To(Equal("127.0.0.1"))
		g.Expect(port).To(BeNumerically(">=", portMin))
		g.Expect(port).To(BeNumerically("<=", portMax))
		g.Expect(seen).NotTo(HaveKey(port), "port %d given twice", port)
		seen[port] = ref.UID

		_, again, err := New(Options{Dir: dir}).AllocateEndpoint(ctx, ref)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(again).To(Equal(port), "a restarted runtime returns the recorded port")
	}
}

// TestAllocateEndpointAcrossPlatforms: two data directories on one machine
// share the port registry, so their clusters never get the same port, even
// while one platform is stopped (nothing listens, so only the registry can
// tell); a deleted cluster gives its port back.
func TestAllocateEndpointAcrossPlatforms(t *testing.T) {
	g := NewWithT(t)
	registry := filepath.Join(t.TempDir(), "ports.json")
	platforms := []string{t.TempDir(), t.TempDir()}
	ctx := context.Background()
	owner := map[int32]string{}
	for i := range 40 {
		dataDir := platforms[i%2]
		r := New(Options{Dir: filepath.Join(dataDir, "clusters"), Ports: ports.Open(registry, dataDir)})
		ref := controlplane.Ref{Namespace: "team", Name: fmt.Sprint("c", i), UID: types.UID(fmt.Sprint("uid-", i))}
		_, port, err := r.AllocateEndpoint(ctx, ref)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(owner).NotTo(HaveKey(port), "port %d given to %s and %s", port, owner[port], dataDir)
		owner[port] = dataDir
		_, again, err := r.AllocateEndpoint(ctx, ref)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(again).To(Equal(port))
	}

	// What the first platform recorded is what its runtime lists.
	first := Clusters(filepath.Join(platforms[0], "clusters"))
	g.Expect(first).To(HaveLen(20))
	g.Expect(first[0].Ref.Namespace).To(Equal("team"))

	r := New(Options{Dir: filepath.Join(platforms[0], "clusters"), Ports: ports.Open(registry, platforms[0])})
	g.Expect(r.releasePort(first[0].Ref)).To(Succeed())
	g.Expect(ports.Open(registry, platforms[1]).Update(func(t *ports.Txn) error {
		_, _, held := t.Holder(int(first[0].Port))
		g.Expect(held).To(BeFalse(), "a deleted cluster's port is free for any platform")
		return nil
	})).To(Succeed())
}

// TestAllocateEndpointClaimsPortsRecordedBeforeTheRegistry: a data directory
// from before the registry has its clusters' ports claimed on first use.
func TestAllocateEndpointClaimsPortsRecordedBeforeTheRegistry(t *testing.T) {
	g := NewWithT(t)
	dataDir := t.TempDir()
	dir := filepath.Join(dataDir, "clusters")
	old := controlplane.Ref{Namespace: "team", Name: "old", UID: "uid-old"}
	_, port, err := New(Options{Dir: dir}).AllocateEndpoint(context.Background(), old)
	g.Expect(err).NotTo(HaveOccurred())

	registry := ports.Open(filepath.Join(t.TempDir(), "ports.json"), dataDir)
	_, _, err = New(Options{Dir: dir, Ports: registry}).AllocateEndpoint(context.Background(), controlplane.Ref{Namespace: "team", Name: "new", UID: "uid-new"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(registry.Update(func(t *ports.Txn) error {
		p, ok := t.Get("cluster/uid-old")
		g.Expect(ok).To(BeTrue())
		g.Expect(p).To(BeEquivalentTo(port))
		return nil
	})).To(Succeed())
}
