package fleet

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kumo-dev/kumo/internal/platform"
)

// platformProc is a `kumo up --fidelity scale` run by the bench. The
// manager and the sim cloud live in that process; etcd and the API server
// are its children, so its own RSS and CPU are the manager's.
type platformProc struct {
	dir, logPath string
	cmd          *exec.Cmd
	exited       chan struct{}
	cfg          *platform.Config
}

func startPlatform(ctx context.Context, kumo, dir string, progress io.Writer) (*platformProc, error) {
	logPath := filepath.Join(dir, "kumo-up.log")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = log.Close() }() // the child keeps its own descriptor
	_, _ = fmt.Fprintf(progress, "Starting kumo up --fidelity scale in %s\n", dir)
	cmd := exec.Command(kumo, "up", "--data-dir", dir, "--fidelity", "scale")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s up: %w", kumo, err)
	}
	p := &platformProc{dir: dir, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	err = poll(ctx, 5*time.Minute, "kumo up to serve and its manager to be healthy", func() (bool, error) {
		select {
		case <-p.exited:
			return false, fmt.Errorf("kumo up exited: %s", tail(logPath))
		default:
		}
		if p.cfg == nil {
			cfg, err := platform.ReadConfig(dir)
			if err != nil || cfg == nil {
				return false, nil
			}
			p.cfg = cfg
		}
		return p.get(ctx, "http://"+p.cfg.HealthProbeBindAddress+"/readyz") == nil &&
			strings.Contains(tail(logPath), "Kumo is up"), nil
	})
	if err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stop is Ctrl-C, then a kill if kumo up does not stop within a minute.
func (p *platformProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *platformProc) get(ctx context.Context, url string) error {
	_, err := p.scrape(ctx, url)
	return err
}

func (p *platformProc) scrape(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return string(body), nil
}

// managerRequests is how many requests the manager has sent to the API
// server (client-go's rest_client_requests_total, all codes and verbs).
func (p *platformProc) managerRequests(ctx context.Context) (float64, error) {
	body, err := p.scrape(ctx, "http://"+p.cfg.MetricsBindAddress+"/metrics")
	if err != nil {
		return 0, fmt.Errorf("reading the manager's metrics: %w", err)
	}
	return sumMetric(body, "rest_client_requests_total"), nil
}

// etcdDBSize is the management etcd's database file size.
func (p *platformProc) etcdDBSize(ctx context.Context) (int64, error) {
	body, err := p.scrape(ctx, fmt.Sprintf("http://127.0.0.1:%d/metrics", p.cfg.EtcdPort))
	if err != nil {
		return 0, fmt.Errorf("reading etcd's metrics: %w", err)
	}
	return int64(sumMetric(body, "etcd_mvcc_db_total_size_in_bytes")), nil
}

// sumMetric adds up every sample of a metric in Prometheus text format.
func sumMetric(body, name string) float64 {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue // a longer name with this prefix
		}
		if i := strings.LastIndexByte(rest, '}'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// cpuSeconds is the user and system CPU time a process has used.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	const ticks = 100 // USER_HZ on Linux
	return (utime + stime) / ticks, nil
}

// peakRSS is a process's high-water resident set size (VmHWM).
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// tail is the end of a log, for errors.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return string(data)
}
