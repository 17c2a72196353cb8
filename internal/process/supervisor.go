package process

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// Restart backoff: doubled after each quick exit, capped, and back to the
// start once a process ran for stableAfter.
const (
	backoffInitial = 500 * time.Millisecond
	backoffMax     = 30 * time.Second
	stableAfter    = time.Minute
	// crashLoopAfter quick exits in a row make a process crash-looping.
	crashLoopAfter = 3
	// logTailLines are kept of a crash-looping process's log, at most
	// logTailBytes: an event's message holds 1024.
	logTailLines = 10
	logTailBytes = 640
)

// EventReason says what a Supervisor saw or did.
type EventReason string

// The events of a supervised process.
const (
	// Unhealthy: the process failed its probe and is killed.
	Unhealthy EventReason = "ComponentUnhealthy"
	// Restarted: the process exited (or was killed) and runs again.
	Restarted EventReason = "ComponentRestarted"
	// Recovered: the process is live again after a failure.
	Recovered EventReason = "ComponentRecovered"
	// CrashLooping: the process keeps exiting soon after it starts.
	CrashLooping EventReason = "ComponentCrashLooping"
)

// Event is one thing a Supervisor saw or did to a process.
type Event struct {
	Spec   Spec
	Reason EventReason
	// Warning is true for a failure, false for a restart or recovery.
	Warning bool
	// Message names the component, e.g. "kube-apiserver not live for 15s,
	// restarting".
	Message string
}

// Status is a supervised process's health as its supervisor last saw it.
type Status struct {
	// Live: the process passed its startup probe and has not failed its
	// liveness probe since; always true for a running process without
	// probes.
	Live bool
	// Ready: its last readiness check passed.
	Ready bool
	// Restarts counts restarts; LastExit says why it last exited.
	Restarts int
	LastExit string
	// Problem explains a process that is not live, e.g. "not live for
	// 15s, restarting"; empty when it is.
	Problem string
	// CrashLooping: the process exited soon after starting
	// crashLoopAfter times in a row; LogTail holds its last log lines.
	CrashLooping bool
	LogTail      string
}

// Supervisor keeps a process running, restarting it with backoff when it
// exits or fails its probes, until Stop is called.
type Supervisor struct {
	spec   Spec
	log    logr.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	current  *Process
	restarts int
	lastErr  error
	st       Status
	// liveSince is when the current process last became live.
	liveSince time.Time
	// quickExits counts exits in a row of processes that were not live
	// for stableAfter.
	quickExits int
}

// Supervise starts spec and keeps it running.
func Supervise(log logr.Logger, spec Spec) (*Supervisor, error) {
	p, err := Start(spec)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Supervisor{spec: spec, log: log.WithValues("process", spec.Name), cancel: cancel, done: make(chan struct{}), current: p}
	if spec.Health == nil {
		s.st.Live, s.st.Ready, s.liveSince = true, true, time.Now()
	}
	go s.loop(ctx)
	return s, nil
}

func (s *Supervisor) loop(ctx context.Context) {
	defer close(s.done)
	backoff := backoffInitial
	for {
		s.mu.Lock()
		p := s.current
		s.mu.Unlock()
		started := time.Now()
		pctx, stopProbes := context.WithCancel(ctx)
		if s.spec.Health != nil {
			go s.probe(pctx, p)
		}
		select {
		case <-ctx.Done():
			stopProbes()
			p.Stop(10 * time.Second)
			return
		case <-p.Done():
		}
		stopProbes()
		err := p.Err()
		if time.Since(started) > stableAfter {
			backoff = backoffInitial
		}
		s.exited(err)
		s.log.Info("Process exited, restarting", "err", ExitReason(err), "backoff", backoff)
		if s.spec.OnRestart != nil {
			s.spec.OnRestart(s.spec, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, backoffMax)
		np, serr := Start(s.spec)
		s.mu.Lock()
		s.restarts++
		s.lastErr = err
		s.st.Restarts = s.restarts
		if serr == nil {
			s.current = np
			if s.spec.Health == nil {
				s.st.Live, s.st.Ready, s.liveSince = true, true, time.Now()
			}
		}
		s.mu.Unlock()
		restarts.WithLabelValues(s.spec.Cluster, s.spec.component()).Inc()
		if serr != nil {
			s.log.Error(serr, "Restarting process failed")
			// Keep waiting on the dead process's closed channel: the next
			// iteration retries after the backoff.
			continue
		}
		s.emit(Restarted, false, "%s restarted (%s; restart %d)", s.spec.component(), ExitReason(err), s.restarts)
	}
}

// exited records a process's exit: it is not live, and a quick exit
// counts towards crash-looping.
func (s *Supervisor) exited(err error) {
	s.mu.Lock()
	quick := s.liveSince.IsZero() || time.Since(s.liveSince) < stableAfter
	if quick {
		s.quickExits++
	} else {
		s.quickExits = 0
	}
	s.st.LastExit = ExitReason(err)
	if s.st.Problem == "" {
		s.st.Problem = "exited (" + s.st.LastExit + "), restarting"
	}
	s.st.Live, s.st.Ready, s.liveSince = false, false, time.Time{}
	loop := s.quickExits >= crashLoopAfter && !s.st.CrashLooping
	if loop {
		s.st.CrashLooping = true
		s.st.LogTail = tail(s.spec.LogFile, logTailLines, logTailBytes)
		s.st.Problem = fmt.Sprintf("crash-looping: exited %d times soon after starting, last %s", s.quickExits, s.st.LastExit)
	}
	st := s.st
	s.mu.Unlock()
	if loop {
		msg := fmt.Sprintf("%s %s", s.spec.component(), st.Problem)
		if st.LogTail != "" {
			msg += "; last log lines:\n" + st.LogTail
		}
		s.emit(CrashLooping, true, "%s", msg)
	}
}

// probe runs the startup, then the liveness and readiness probes of p
// until ctx ends, and kills p when it fails them.
func (s *Supervisor) probe(ctx context.Context, p *Process) {
	h := s.spec.Health
	c := newChecker(h)
	if !s.await(ctx, p, c, h.Probes.Startup, true) {
		return
	}
	s.update(p, func(st *Status) bool {
		recovered := st.Problem != ""
		st.Live, st.Problem, st.CrashLooping = true, "", false
		s.liveSince = time.Now()
		return recovered
	}, func() { s.emit(Recovered, false, "%s is live again", s.spec.component()) })
	go s.readiness(ctx, p, c, h.Probes.Readiness)
	s.await(ctx, p, c, h.Probes.Liveness, false)
}

// await checks pr every period. As a startup probe it returns true at the
// first success; as a liveness probe it runs until ctx ends. Either way,
// FailureThreshold failures in a row kill p and return false.
func (s *Supervisor) await(ctx context.Context, p *Process, c *checker, pr Probe, isStartup bool) bool {
	kind, problem := "liveness", "not live for %s, restarting"
	if isStartup {
		kind, problem = "startup", "did not become live within %s, restarting"
	}
	failures := 0
	tick := time.NewTicker(pr.Period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
		err := c.check(ctx, pr)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			if isStartup {
				return true
			}
			failures = 0
			continue
		}
		failures++
		// A starting process fails its checks until it answers: only
		// the failure that gives up on it counts.
		if !isStartup || failures >= pr.FailureThreshold {
			probeFailures.WithLabelValues(s.spec.Cluster, s.spec.component(), kind).Inc()
		}
		if failures < pr.FailureThreshold {
			continue
		}
		msg := fmt.Sprintf(problem, pr.Window())
		s.kill(p, msg, err)
		return false
	}
}

// readiness checks pr every period and records the result.
func (s *Supervisor) readiness(ctx context.Context, p *Process, c *checker, pr Probe) {
	tick := time.NewTicker(pr.Period)
	defer tick.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := c.check(ctx, pr)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			probeFailures.WithLabelValues(s.spec.Cluster, s.spec.component(), "readiness").Inc()
		} else {
			failures = 0
		}
		ready := failures < pr.FailureThreshold
		s.update(p, func(st *Status) bool { st.Ready = ready; return false }, nil)
	}
}

// kill ends a process that failed its probe with SIGKILL to its group: a
// hung (even a stopped) process cannot refuse it. The supervisor's loop
// sees it exit and starts it again; the frozen one is gone by then.
func (s *Supervisor) kill(p *Process, problem string, cause error) {
	if !s.update(p, func(st *Status) bool {
		st.Live, st.Ready, st.Problem = false, false, problem
		return true
	}, nil) {
		return
	}
	s.log.Info("Process failed its probe, killing it", "problem", problem, "err", cause.Error())
	s.emit(Unhealthy, true, "%s %s (%v)", s.spec.component(), problem, cause)
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
}

// update changes the status if p is still the current process, and calls
// then (without the lock) when change returned true. It reports whether p
// was current.
func (s *Supervisor) update(p *Process, change func(*Status) bool, then func()) bool {
	s.mu.Lock()
	if s.current != p {
		s.mu.Unlock()
		return false
	}
	run := change(&s.st)
	s.mu.Unlock()
	if run && then != nil {
		then()
	}
	return true
}

func (s *Supervisor) emit(reason EventReason, warning bool, format string, args ...any) {
	if s.spec.OnEvent != nil {
		s.spec.OnEvent(Event{Spec: s.spec, Reason: reason, Warning: warning, Message: fmt.Sprintf(format, args...)})
	}
}

// tail returns the last n lines of a file, fewer if they pass maxBytes
// (the last one cut to its end), empty when unreadable.
func tail(path string, n, maxBytes int) string {
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	const chunk = 16 << 10
	var off int64
	if fi, err := f.Stat(); err == nil && fi.Size() > chunk {
		off = fi.Size() - chunk
	}
	buf := make([]byte, chunk)
	k, _ := f.ReadAt(buf, off)
	lines := strings.Split(strings.TrimRight(string(buf[:k]), "\n"), "\n")
	if off > 0 && len(lines) > 0 {
		lines = lines[1:] // cut mid-line
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for len(lines) > 1 && len(strings.Join(lines, "\n")) > maxBytes {
		lines = lines[1:]
	}
	out := strings.Join(lines, "\n")
	if len(out) > maxBytes {
		out = "..." + out[len(out)-maxBytes+3:]
	}
	return out
}

// Name is the supervised process's name.
func (s *Supervisor) Name() string { return s.spec.Name }

// Kind is the supervised process's component kind.
func (s *Supervisor) Kind() Kind { return s.spec.Kind }

// Restarts reports how often the process was restarted and why it last exited.
func (s *Supervisor) Restarts() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts, s.lastErr
}

// Status is the process's health as last seen.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// Pid is the current child's process ID.
func (s *Supervisor) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current.Pid()
}

// Stop stops the process and the supervision.
func (s *Supervisor) Stop() {
	s.cancel()
	<-s.done
}
