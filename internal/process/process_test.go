package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	. "github.com/onsi/gomega"
)

func TestSupervisorRestartsADeadProcess(t *testing.T) {
	g := NewWithT(t)
	logFile := filepath.Join(t.TempDir(), "sleep.log")
	s, err := Supervise(logr.Discard(), Spec{Name: "sleeper", Path: "/bin/sh", Args: []string{"-c", "echo started; exec sleep 600"}, LogFile: logFile})
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Stop()
	started := func() int {
		data, _ := os.ReadFile(logFile)
		return strings.Count(string(data), "started")
	}
	g.Eventually(started, 10*time.Second, 50*time.Millisecond).Should(Equal(1))
	first := s.Pid()
	g.Expect(syscall.Kill(first, syscall.SIGKILL)).To(Succeed())
	g.Eventually(s.Pid, 10*time.Second, 50*time.Millisecond).ShouldNot(Equal(first))
	n, lastErr := s.Restarts()
	g.Expect(n).To(Equal(1))
	g.Expect(lastErr).To(MatchError(ContainSubstring("killed")))
	g.Eventually(started, 10*time.Second, 50*time.Millisecond).Should(Equal(2), "both runs append to the log")
}

func TestSupervisorReportsRestarts(t *testing.T) {
	g := NewWithT(t)
	exits := make(chan string, 10)
	s, err := Supervise(logr.Discard(), Spec{Name: "quitter", Path: "/bin/sh", Args: []string{"-c", "exit 3"},
		OnRestart: func(spec Spec, exit error) { exits <- spec.Name + ": " + ExitReason(exit) }})
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Stop()
	g.Eventually(exits, 10*time.Second).Should(Receive(Equal("quitter: exit status 3")))
}

func TestStopEndsTheProcessGroup(t *testing.T) {
	g := NewWithT(t)
	// The shell's child sleeps on; Stop must take it down with the group.
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	s, err := Supervise(logr.Discard(), Spec{Name: "parent", Path: "/bin/sh", Args: []string{"-c", "sleep 600 & echo $! > " + pidFile + "; wait"}})
	g.Expect(err).NotTo(HaveOccurred())
	var child int
	g.Eventually(func() error {
		data, err := os.ReadFile(pidFile)
		if err != nil {
			return err
		}
		_, err = fmt.Sscan(strings.TrimSpace(string(data)), &child)
		return err
	}, 10*time.Second, 50*time.Millisecond).Should(Succeed())
	s.Stop()
	g.Eventually(func() bool { return alive(child) }, 10*time.Second, 50*time.Millisecond).Should(BeFalse())
	n, _ := s.Restarts()
	g.Expect(n).To(Equal(0), "a stopped process is not restarted")
}

func TestStartReportsAMissingBinary(t *testing.T) {
	g := NewWithT(t)
	_, err := Start(Spec{Name: "ghost", Path: "/nonexistent/ghost"})
	g.Expect(err).To(MatchError(ContainSubstring("starting ghost")))
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	return err == nil && !strings.Contains(string(data), ") Z ")
}
