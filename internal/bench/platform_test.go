package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSumMetric(t *testing.T) {
	body := `# HELP rest_client_requests_total Number of HTTP requests
# TYPE rest_client_requests_total counter
rest_client_requests_total{code="200",host="x",method="GET"} 12
rest_client_requests_total{code="201",host="x",method="POST"} 3.5
rest_client_requests_total_other 100
etcd_mvcc_db_total_size_in_bytes 1.048576e+06
`
	if got := SumMetric(body, "rest_client_requests_total"); got != 15.5 {
		t.Errorf("labelled samples: got %v, want 15.5", got)
	}
	if got := SumMetric(body, "etcd_mvcc_db_total_size_in_bytes"); got != 1048576 {
		t.Errorf("unlabelled sample: got %v, want 1048576", got)
	}
}

func TestDataDir(t *testing.T) {
	dir, done, err := DataDir("", "test", false)
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(dir) || !strings.Contains(filepath.Base(dir), "kumo-bench-test-") {
		t.Errorf("a temporary directory %q, want an absolute kumo-bench-test-*", dir)
	}
	done()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the temporary directory is still there after done: %v", err)
	}

	kept, done, err := DataDir("", "test", true)
	if err != nil {
		t.Fatal(err)
	}
	done()
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("keep: the temporary directory is gone: %v", err)
	}
	_ = os.RemoveAll(kept)

	t.Chdir(t.TempDir())
	given, done, err := DataDir("data", "test", false)
	if err != nil {
		t.Fatal(err)
	}
	done()
	if want, _ := filepath.Abs("data"); given != want {
		t.Errorf("a given directory: %q, want %q", given, want)
	}
}
