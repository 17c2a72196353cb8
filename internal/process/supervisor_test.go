package process

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The test binary doubles as a component with a health server: with
// KUMO_TEST_SERVE=addr it answers /livez and /readyz there.
func TestMain(m *testing.M) {
	if addr := os.Getenv("KUMO_TEST_SERVE"); addr != "" {
		ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprint(w, "ok") }
		http.HandleFunc("/livez", ok)
		http.HandleFunc("/readyz", ok)
		fmt.Println("serving", addr)
		if err := http.ListenAndServe(addr, nil); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// fastProbes are the component probes at test speed.
var fastProbes = Probes{
	Startup:   Probe{Path: "/livez", Period: 50 * time.Millisecond, Timeout: 100 * time.Millisecond, FailureThreshold: 100},
	Liveness:  Probe{Path: "/livez", Period: 100 * time.Millisecond, Timeout: 100 * time.Millisecond, FailureThreshold: 3},
	Readiness: Probe{Path: "/readyz", Period: 100 * time.Millisecond, Timeout: 100 * time.Millisecond, FailureThreshold: 1},
}

// events collects a supervisor's events.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) add(ev Event) { e.mu.Lock(); defer e.mu.Unlock(); e.all = append(e.all, ev) }

func (e *events) reasons() []EventReason {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []EventReason
	for _, ev := range e.all {
		out = append(out, ev.Reason)
	}
	return out
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func TestSupervisorKillsAndRestartsAHungProcess(t *testing.T) {
	g := NewWithT(t)
	addr := freePort(t)
	var evs events
	spec := Spec{
		Name: "hung", Kind: KubeAPIServer, Cluster: "test/hung", Path: os.Args[0], Env: []string{"KUMO_TEST_SERVE=" + addr},
		Health:  &Health{Probes: fastProbes, BaseURL: "http://" + addr},
		OnEvent: evs.add,
	}
	s, err := Supervise(logr.Discard(), spec)
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Stop()
	g.Eventually(func() bool { st := s.Status(); return st.Live && st.Ready }, 10*time.Second, 20*time.Millisecond).Should(BeTrue())

	frozen := s.Pid()
	g.Expect(syscall.Kill(frozen, syscall.SIGSTOP)).To(Succeed())
	g.Eventually(func() string { return s.Status().Problem }, 5*time.Second, 10*time.Millisecond).
		Should(Equal("not live for 300ms, restarting"))
	g.Eventually(func() bool { return s.Pid() != frozen && s.Status().Live }, 10*time.Second, 20*time.Millisecond).Should(BeTrue())
	g.Expect(alive(frozen)).To(BeFalse(), "the frozen process is gone")
	st := s.Status()
	g.Expect(st.Problem).To(BeEmpty())
	g.Expect(st.Restarts).To(Equal(1))
	g.Expect(st.LastExit).To(Equal("signal: killed"))
	g.Eventually(evs.reasons, 5*time.Second, 20*time.Millisecond).Should(Equal([]EventReason{Unhealthy, Restarted, Recovered}))
	g.Expect(evs.all[0].Message).To(HavePrefix("kube-apiserver not live for 300ms, restarting (GET /livez: no answer within 100ms)"))
	g.Expect(testutil.ToFloat64(restarts.WithLabelValues("test/hung", "kube-apiserver"))).To(Equal(1.0))
	g.Expect(testutil.ToFloat64(probeFailures.WithLabelValues("test/hung", "kube-apiserver", "liveness"))).To(BeNumerically(">=", 3))
	ForgetMetrics("test/hung")
	g.Expect(restarts.DeleteLabelValues("test/hung", "kube-apiserver")).To(BeFalse(), "forgotten")
}

func TestSupervisorKillsAProcessThatNeverBecomesLive(t *testing.T) {
	g := NewWithT(t)
	var evs events
	probes := fastProbes
	probes.Startup.FailureThreshold = 3
	s, err := Supervise(logr.Discard(), Spec{
		Name: "mute", Kind: Etcd, Path: "/bin/sh", Args: []string{"-c", "exec sleep 600"},
		Health: &Health{Probes: probes, BaseURL: "http://" + freePort(t)}, OnEvent: evs.add,
	})
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Stop()
	first := s.Pid()
	g.Eventually(s.Pid, 5*time.Second, 10*time.Millisecond).ShouldNot(Equal(first))
	g.Expect(evs.all[0].Message).To(HavePrefix("etcd did not become live within 150ms, restarting"))
}

func TestSupervisorReportsACrashLoopWithItsLog(t *testing.T) {
	g := NewWithT(t)
	var evs events
	logFile := filepath.Join(t.TempDir(), "crash.log")
	s, err := Supervise(logr.Discard(), Spec{
		Name: "crasher", Kind: KubeScheduler, Path: "/bin/sh", Args: []string{"-c", "echo bind: address already in use; exit 1"},
		LogFile: logFile, OnEvent: evs.add,
	})
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Stop()
	// Backoff 0.5 s, 1 s, 2 s: the third quick exit comes after 3.5 s.
	g.Eventually(func() bool { return s.Status().CrashLooping }, 10*time.Second, 50*time.Millisecond).Should(BeTrue())
	st := s.Status()
	g.Expect(st.Live).To(BeFalse())
	g.Expect(st.Problem).To(Equal("crash-looping: exited 3 times soon after starting, last exit status 1"))
	g.Expect(st.LogTail).To(Equal("bind: address already in use\nbind: address already in use\nbind: address already in use"))
	g.Expect(evs.reasons()).To(ContainElement(CrashLooping))
}

func TestTail(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "log")
	var data []byte
	for i := range 5000 {
		data = fmt.Appendf(data, "line %d\n", i)
	}
	g.Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
	g.Expect(tail(path, 2, 100)).To(Equal("line 4998\nline 4999"))
	g.Expect(tail(path, 2, 12)).To(Equal("line 4999"), "whole lines while they fit")
	g.Expect(tail(path, 2, 6)).To(Equal("...999"), "the end of the last line")
	g.Expect(tail(filepath.Join(t.TempDir(), "none"), 2, 100)).To(BeEmpty())
}

func TestEveryKindHasProbes(t *testing.T) {
	g := NewWithT(t)
	for _, k := range []Kind{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler} {
		p, err := ProbesFor(k)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p.Liveness.Path).NotTo(BeEmpty())
		g.Expect(p.Liveness.Window()).To(Equal(15*time.Second), "the detection time in docs/design.md")
	}
	_, err := ProbesFor("kwok")
	g.Expect(err).To(MatchError(`no probes for component kind "kwok"`))
}
