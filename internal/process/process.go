package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// Spec describes a process to run.
type Spec struct {
	// Name identifies the process in logs, e.g. "team-a/demo kube-apiserver".
	Name string
	Path string
	Args []string
	// Env is added to the parent's environment.
	Env []string
	// LogFile receives stdout and stderr (appended); empty discards them.
	LogFile string
	Dir     string
	// OnRestart, when set, is called by a Supervisor each time the process
	// exited and is about to be restarted, with the reason it exited.
	OnRestart func(spec Spec, exit error)
}

// Process is one running child.
type Process struct {
	Spec Spec
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs spec. The child is killed if this process dies (Pdeathsig), so
// that a crashed Kumo leaves no stray API servers holding ports.
func Start(spec Spec) (*Process, error) {
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Dir = spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var logf *os.File
	if spec.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(spec.LogFile), 0o755); err != nil {
			return nil, fmt.Errorf("creating log directory: %w", err)
		}
		f, err := os.OpenFile(spec.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("opening log %s: %w", spec.LogFile, err)
		}
		logf = f
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		if logf != nil {
			_ = logf.Close()
		}
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}
	p := &Process{Spec: spec, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if logf != nil {
			_ = logf.Close()
		}
		close(p.done)
	}()
	return p, nil
}

// Pid is the child's process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the exit error once Done is closed.
func (p *Process) Err() error { <-p.done; return p.err }

// Stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Supervisor keeps a process running, restarting it with backoff when it
// exits, until Stop is called.
type Supervisor struct {
	spec   Spec
	log    logr.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	current  *Process
	restarts int
	lastErr  error
}

// Supervise starts spec and keeps it running.
func Supervise(log logr.Logger, spec Spec) (*Supervisor, error) {
	p, err := Start(spec)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Supervisor{spec: spec, log: log.WithValues("process", spec.Name), cancel: cancel, done: make(chan struct{}), current: p}
	go s.loop(ctx)
	return s, nil
}

func (s *Supervisor) loop(ctx context.Context) {
	defer close(s.done)
	backoff := 500 * time.Millisecond
	for {
		s.mu.Lock()
		p := s.current
		s.mu.Unlock()
		started := time.Now()
		select {
		case <-ctx.Done():
			p.Stop(10 * time.Second)
			return
		case <-p.Done():
		}
		err := p.Err()
		if time.Since(started) > time.Minute {
			backoff = 500 * time.Millisecond
		}
		s.log.Info("Process exited, restarting", "err", ExitReason(err), "backoff", backoff)
		if s.spec.OnRestart != nil {
			s.spec.OnRestart(s.spec, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
		np, serr := Start(s.spec)
		s.mu.Lock()
		s.restarts++
		s.lastErr = err
		if serr == nil {
			s.current = np
		}
		s.mu.Unlock()
		if serr != nil {
			s.log.Error(serr, "Restarting process failed")
			// Keep waiting on the dead process's closed channel: the next
			// iteration retries after the backoff.
		}
	}
}

// Name is the supervised process's name.
func (s *Supervisor) Name() string { return s.spec.Name }

// Restarts reports how often the process was restarted and why it last exited.
func (s *Supervisor) Restarts() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts, s.lastErr
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

// ExitReason says why a process exited, e.g. "signal: killed", from the
// error of its Wait.
func ExitReason(err error) string {
	if err == nil {
		return "exited 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.String()
	}
	return err.Error()
}
