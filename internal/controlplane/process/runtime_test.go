package process

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kumo-dev/kumo/internal/controlplane"
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
