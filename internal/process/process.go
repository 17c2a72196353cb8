package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
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

	// Kind is the kind of component, which names it in events and metrics.
	Kind Kind
	// Cluster labels the metrics of a tenant cluster's component
	// (namespace/name); empty for the platform's own.
	Cluster string
	// Health, when set, is probed by a Supervisor: a process that fails
	// its startup or liveness probe is killed and started again.
	Health *Health
	// OnEvent, when set, hears of what a Supervisor saw and did.
	OnEvent func(Event)
}

// component names the process in events: its kind, else its name.
func (s Spec) component() string {
	if s.Kind != "" {
		return string(s.Kind)
	}
	return s.Name
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
