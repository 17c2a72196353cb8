package evacuation

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kumo-dev/kumo/internal/toolchain"
)

// prometheusBinary is the real Prometheus the toolchain builds
// (`kumo toolchain build --prometheus`), or KUMO_PROMETHEUS.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUMO_PROMETHEUS"); p != "" {
		return p
	}
	found, _ := filepath.Glob(filepath.Join(toolchain.DefaultDir(), "prometheus-*", "prometheus"))
	if len(found) == 0 {
		t.Fatalf("no Prometheus binary in %s: build it with `kumo toolchain build --prometheus` or set KUMO_PROMETHEUS", toolchain.DefaultDir())
	}
	return found[len(found)-1]
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// TestPromSource runs a real Prometheus that scrapes the steal series (as
// the recording rule names and labels them) from a test endpoint, reads
// them back through PromSource, and sees them go once the endpoint stops
// serving them: missing data, on which the controller takes no action.
func TestPromSource(t *testing.T) {
	var serve atomic.Bool
	serve.Store(true)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !serve.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "%s{region=\"tokyo-1\",hypervisor=\"tokyo-1-hv-001\",vm=\"vm-a\",namespace=\"team\",machine=\"web-default-0\"} 0.35\n", StealSeries)
		fmt.Fprintf(w, "%s{region=\"tokyo-1\",hypervisor=\"tokyo-1-hv-002\",vm=\"vm-b\",namespace=\"team\",machine=\"web-default-1\"} 0.01\n", StealSeries)
		fmt.Fprintf(w, "%s{region=\"osaka-1\",hypervisor=\"osaka-1-hv-001\",vm=\"vm-c\",namespace=\"team\",machine=\"api-default-0\"} 0.9\n", StealSeries)
	}))
	defer target.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: steal
    honor_labels: true
    static_configs:
      - targets: [%q]
`, strings.TrimPrefix(target.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, prometheusBinary(t), "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus:\n%s", logs.String())
		}
	})

	src, err := NewPromSource("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]Sample
	eventually(t, 30*time.Second, func() error {
		got, err = src.Steal(context.Background(), "tokyo-1")
		if err != nil {
			return err
		}
		if len(got) != 2 {
			return fmt.Errorf("got %d samples, want 2: %v", len(got), got)
		}
		return nil
	})
	a := got["vm-a"]
	if a.Steal != 0.35 || a.Hypervisor != "tokyo-1-hv-001" {
		t.Errorf("vm-a: %+v", a)
	}
	if age := time.Since(a.At); age < 0 || age > 10*time.Second {
		t.Errorf("vm-a's sample is %s old; want the time of its scrape", age)
	}
	if _, ok := got["vm-c"]; ok {
		t.Errorf("a VM of another region was read: %v", got)
	}

	// A target that goes down leaves staleness markers: the series vanish.
	serve.Store(false)
	eventually(t, 30*time.Second, func() error {
		got, err = src.Steal(context.Background(), "tokyo-1")
		if err != nil {
			return err
		}
		if len(got) != 0 {
			return fmt.Errorf("still %d samples after the target went down", len(got))
		}
		return nil
	})

	// No Prometheus: an error, which the controller takes as missing data.
	down, err := NewPromSource("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.Steal(context.Background(), "tokyo-1"); err == nil {
		t.Error("reading from no Prometheus succeeded")
	}
}

func eventually(t *testing.T, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
