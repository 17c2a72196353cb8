package platform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultDataDir is $KUMO_DATA_DIR, else ~/.kumo.
func DefaultDataDir() string {
	if d := os.Getenv("KUMO_DATA_DIR"); d != "" {
		return d
	}
	return homeDataDir()
}

// homeDataDir is ~/.kumo, the data directory when nothing says otherwise.
func homeDataDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".kumo"
	}
	return filepath.Join(home, ".kumo")
}

// PIDPath is where a running `kumo up` writes its process ID.
func PIDPath(dataDir string) string { return filepath.Join(dataDir, "kumo.pid") }

// LogDir holds the logs of the management plane's processes and of the
// manager (manager.log).
func LogDir(dataDir string) string { return filepath.Join(dataDir, "logs") }

// ClustersDir holds one folder per tenant cluster (by UID), each with its
// logs under logs/.
func ClustersDir(dataDir string) string { return filepath.Join(dataDir, "clusters") }

func lockPath(dataDir string) string { return filepath.Join(dataDir, "kumo.lock") }

// lockDir keeps two `kumo up` from sharing a data directory. The lock is
// held for as long as the platform runs: it is how other commands tell.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(lockPath(dir), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("another `kumo up` is using %s (stop it first, or pass --data-dir)", dir)
	}
	return func() { _ = f.Close() }, nil
}

// Running reports whether a `kumo up` runs on dataDir: whether the data
// directory's lock is held. It takes the lock shared for an instant only.
func Running(dataDir string) bool {
	f, err := os.OpenFile(lockPath(dataDir), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	return false
}

// PID is the process ID of the `kumo up` running on dataDir, 0 if none runs.
func PID(dataDir string) int {
	if !Running(dataDir) {
		return 0
	}
	data, err := os.ReadFile(PIDPath(dataDir))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// ErrNotRunning is returned by Stop when no platform runs on the data directory.
var ErrNotRunning = errors.New("no Kumo platform is running")

// Stop asks the `kumo up` running on dataDir to stop, as Ctrl-C does, and
// waits until it has stopped everything and exited. It returns the process
// ID it stopped.
func Stop(ctx context.Context, dataDir string) (int, error) {
	pid := PID(dataDir)
	if pid == 0 {
		return 0, fmt.Errorf("%w at %s", ErrNotRunning, dataDir)
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return pid, fmt.Errorf("signalling kumo up (PID %d): %w", pid, err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for Running(dataDir) {
		select {
		case <-ctx.Done():
			return pid, fmt.Errorf("kumo up (PID %d) is still stopping: %w", pid, ctx.Err())
		case <-tick.C:
		}
	}
	return pid, nil
}

// ManagerLogPath is where `kumo up` writes the manager's log.
func ManagerLogPath(dataDir string) string { return filepath.Join(LogDir(dataDir), "manager.log") }
