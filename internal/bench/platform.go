// Package bench starts and measures the platforms Kumo's benchmarks drive
// (`kumo bench ...`): a `kumo up` as a child process, its metrics, and the
// helpers the benchmarks share.
package bench

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

// Platform is a `kumo up` run by a benchmark. The manager and the sim cloud
// live in that process; etcd and the API servers are its children, so its
// own RSS and CPU are the manager's.
type Platform struct {
	// Dir is the data directory; LogPath the output of `kumo up`.
	Dir, LogPath string
	cmd          *exec.Cmd
	exited       chan struct{}
	// Config is the data directory's config.json (ports).
	Config *platform.Config
}

// Setup says how a benchmark runs its platform.
type Setup struct {
	// Name names a temporary data directory.
	Name string
	// Kumo is the kumo binary that runs the platform.
	Kumo string
	// DataDir is the platform's data directory; "" makes a temporary one,
	// removed afterwards unless Keep.
	DataDir string
	Keep    bool
	// UpArgs are added to `kumo up`.
	UpArgs []string
	// Progress receives progress lines.
	Progress io.Writer
}

// Run starts a platform as s says, measures it and stops it; an error of
// measure names the platform's log.
func Run[R any](ctx context.Context, s Setup, measure func(*Platform) (*R, error)) (*R, error) {
	dir, done, err := DataDir(s.DataDir, s.Name, s.Keep)
	if err != nil {
		return nil, err
	}
	defer done()
	p, err := Start(ctx, s.Kumo, dir, s.UpArgs, s.Progress)
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	res, err := measure(p)
	if err != nil {
		return nil, fmt.Errorf("%w (platform log: %s)", err, p.LogPath)
	}
	return res, nil
}

// DataDir is the data directory of a bench's platform: dir made absolute
// (tenant processes are found by the path in their arguments), or, when
// dir is "", a new temporary directory named for the bench. done removes
// that temporary directory unless keep.
func DataDir(dir, bench string, keep bool) (abs string, done func(), err error) {
	done = func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kumo-bench-"+bench+"-"); err != nil {
			return "", nil, err
		}
		if !keep {
			done = func() { _ = os.RemoveAll(dir) }
		}
	}
	if abs, err = filepath.Abs(dir); err != nil {
		done()
		return "", nil, err
	}
	return abs, done, nil
}

// Start runs `kumo up --data-dir dir` with args added and waits until it
// says it is up and its manager is healthy.
func Start(ctx context.Context, kumo, dir string, args []string, progress io.Writer) (*Platform, error) {
	logPath := filepath.Join(dir, "kumo-up.log")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = log.Close() }() // the child keeps its own descriptor
	_, _ = fmt.Fprintf(progress, "Starting kumo up %s in %s\n", strings.Join(args, " "), dir)
	cmd := exec.Command(kumo, append([]string{"up", "--data-dir", dir}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s up: %w", kumo, err)
	}
	p := &Platform{Dir: dir, LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	err = Poll(ctx, 5*time.Minute, "kumo up to serve and its manager to be healthy", func() (bool, error) {
		select {
		case <-p.exited:
			return false, fmt.Errorf("kumo up exited: %s", tail(logPath))
		default:
		}
		if p.Config == nil {
			cfg, err := platform.ReadConfig(dir)
			if err != nil || cfg == nil {
				return false, nil
			}
			p.Config = cfg
		}
		return p.get(ctx, "http://"+p.Config.HealthProbeBindAddress+"/readyz") == nil &&
			strings.Contains(tail(logPath), "Kumo is up"), nil
	})
	if err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// Stop is Ctrl-C, then a kill if kumo up does not stop within a minute.
func (p *Platform) Stop() {
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

func (p *Platform) get(ctx context.Context, url string) error {
	_, err := p.Scrape(ctx, url)
	return err
}

// Scrape GETs url (a metrics endpoint) and returns the body.
func (p *Platform) Scrape(ctx context.Context, url string) (string, error) {
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

// ManagerRequests is how many requests the manager has sent to the API
// server (client-go's rest_client_requests_total, all codes and verbs).
func (p *Platform) ManagerRequests(ctx context.Context) (float64, error) {
	body, err := p.Scrape(ctx, "http://"+p.Config.MetricsBindAddress+"/metrics")
	if err != nil {
		return 0, fmt.Errorf("reading the manager's metrics: %w", err)
	}
	return SumMetric(body, "rest_client_requests_total"), nil
}

// EtcdDBSize is the management etcd's database file size.
func (p *Platform) EtcdDBSize(ctx context.Context) (int64, error) {
	body, err := p.Scrape(ctx, fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Config.EtcdPort))
	if err != nil {
		return 0, fmt.Errorf("reading etcd's metrics: %w", err)
	}
	return int64(SumMetric(body, "etcd_mvcc_db_total_size_in_bytes")), nil
}

// sumMetric adds up every sample of a metric in Prometheus text format.
func SumMetric(body, name string) float64 {
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

// CPUSeconds is the user and system CPU time the platform's own process
// has used.
func (p *Platform) CPUSeconds() (float64, error) { return cpuSeconds(p.cmd.Process.Pid) }

// PeakRSS is the platform's own process's high-water resident set size.
func (p *Platform) PeakRSS() (int64, error) { return peakRSS(p.cmd.Process.Pid) }

// TenantProcesses is how many tenant control-plane processes (API
// servers, controller-managers, schedulers of the platform's clusters) are
// alive: those whose command line names a folder of the data directory's
// clusters.
func (p *Platform) TenantProcesses() int {
	return len(processesMatching(platform.ClustersDir(p.Dir) + string(filepath.Separator)))
}

// processesMatching lists the live processes (zombies aside) whose command
// line contains s.
func processesMatching(s string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), s) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && strings.Contains(string(stat), ") Z ") {
			continue // a zombie is already dead
		}
		pids = append(pids, pid)
	}
	return pids
}

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
