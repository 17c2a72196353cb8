package platform

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// TestStop plays a `kumo up` in another process (this test binary again):
// it holds the data directory's lock, writes its PID and, on SIGINT, takes
// a moment to stop. Stop must signal it and return only once it is gone.
func TestStop(t *testing.T) {
	if dir := os.Getenv("PLATFORM_TEST_UP"); dir != "" {
		playUp(dir)
		return
	}
	g := NewWithT(t)
	dir := t.TempDir()
	ctx := context.Background()
	_, err := Stop(ctx, dir)
	g.Expect(err).To(MatchError(ErrNotRunning))

	up := exec.Command(os.Args[0], "-test.run=^TestStop$")
	up.Env = append(os.Environ(), "PLATFORM_TEST_UP="+dir)
	g.Expect(up.Start()).To(Succeed())
	exited := make(chan struct{})
	go func() { _ = up.Wait(); close(exited) }()
	g.Eventually(func() int { return PID(dir) }, 10*time.Second, 20*time.Millisecond).Should(Equal(up.Process.Pid))
	s, err := Inspect(ctx, dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Running).To(BeTrue())
	g.Expect(s.PID).To(Equal(up.Process.Pid))
	g.Expect(s.ClustersError).NotTo(BeEmpty(), "no management API to ask")

	pid, err := Stop(ctx, dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pid).To(Equal(up.Process.Pid))
	g.Expect(Running(dir)).To(BeFalse())
	g.Eventually(exited, 10*time.Second).Should(BeClosed())
	g.Expect(up.ProcessState.ExitCode()).To(Equal(0))
}

func playUp(dir string) {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	unlock, err := lockDir(dir)
	if err != nil {
		os.Exit(3)
	}
	if err := os.WriteFile(PIDPath(dir), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.Exit(4)
	}
	<-stop
	time.Sleep(300 * time.Millisecond) // stopping what it started
	_ = os.Remove(PIDPath(dir))
	unlock()
	os.Exit(0)
}

func TestInspectAStoppedPlatform(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	s, err := Inspect(context.Background(), dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.Running).To(BeFalse())
	g.Expect(s.Config).To(BeNil(), "never run here")
	g.Expect(s.Clusters).To(BeEmpty())
}
