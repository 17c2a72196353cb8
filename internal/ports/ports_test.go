package ports

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
)

func TestRegistry(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "ports.json")
	a, b := t.TempDir(), t.TempDir()
	ra, rb := Open(path, a), Open(path, b)

	g.Expect(ra.Update(func(t *Txn) error { t.Set("apiserver", 6443); return nil })).To(Succeed())
	g.Expect(rb.Update(func(t *Txn) error {
		owner, name, ok := t.Holder(6443)
		g.Expect(ok).To(BeTrue())
		g.Expect(owner).To(Equal(a), "a stopped platform keeps its ports")
		g.Expect(name).To(Equal("apiserver"))
		g.Expect(t.Free(6443)).To(BeFalse())
		_, mine := t.Get("apiserver")
		g.Expect(mine).To(BeFalse(), "claims are per data directory")
		return nil
	})).To(Succeed())

	g.Expect(ra.Release("apiserver")).To(Succeed())
	g.Expect(rb.Update(func(t *Txn) error {
		_, _, ok := t.Holder(6443)
		g.Expect(ok).To(BeFalse(), "a released port is free again")
		t.Set("etcd", 23790)
		return nil
	})).To(Succeed())

	g.Expect(os.RemoveAll(b)).To(Succeed())
	g.Expect(ra.Update(func(t *Txn) error {
		_, _, ok := t.Holder(23790)
		g.Expect(ok).To(BeFalse(), "a removed data directory gives its ports back")
		return nil
	})).To(Succeed())
}

func TestFreeRefusesABoundPort(t *testing.T) {
	g := NewWithT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = l.Close() }()
	port := l.Addr().(*net.TCPAddr).Port
	g.Expect(Open(filepath.Join(t.TempDir(), "ports.json"), t.TempDir()).Update(func(t *Txn) error {
		g.Expect(t.Free(port)).To(BeFalse())
		return nil
	})).To(Succeed())
}

// TestUpdateIsExclusiveAcrossProcesses: platforms are separate processes;
// each claims a port under the lock, so none is claimed twice.
func TestUpdateIsExclusiveAcrossProcesses(t *testing.T) {
	if os.Getenv("PORTS_TEST_CLAIM") != "" {
		claimOne(t, os.Getenv("PORTS_TEST_PATH"), os.Getenv("PORTS_TEST_CLAIM"))
		return
	}
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "ports.json")
	var cmds []*exec.Cmd
	for i := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUpdateIsExclusiveAcrossProcesses$")
		cmd.Env = append(os.Environ(), "PORTS_TEST_PATH="+path, "PORTS_TEST_CLAIM="+filepath.Join(t.TempDir(), strconv.Itoa(i)))
		g.Expect(cmd.Start()).To(Succeed())
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		g.Expect(cmd.Wait()).To(Succeed())
	}
	var got []int
	g.Expect(Open(path, t.TempDir()).Update(func(t *Txn) error {
		for _, claims := range t.all {
			got = append(got, claims["x"])
		}
		return nil
	})).To(Succeed())
	slices.Sort(got)
	g.Expect(got).To(HaveLen(8))
	g.Expect(slices.Compact(slices.Clone(got))).To(Equal(got), "a port was claimed twice: %v", got)
}

// claimOne claims the lowest port of 40000-40099 that is not held, as a
// platform of its own.
func claimOne(t *testing.T, path, owner string) {
	if err := os.MkdirAll(owner, 0o700); err != nil {
		t.Fatal(err)
	}
	err := Open(path, owner).Update(func(t *Txn) error {
		for p := range Range(40000, 40099, 40000) {
			if _, _, held := t.Holder(p); !held {
				t.Set("x", p)
				return nil
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRange(t *testing.T) {
	g := NewWithT(t)
	g.Expect(slices.Collect(Range(10, 14, 12))).To(Equal([]int{12, 13, 14, 10, 11}))
	g.Expect(slices.Collect(Range(10, 14, 10))).To(Equal([]int{10, 11, 12, 13, 14}))
}
