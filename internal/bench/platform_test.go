package bench

import "testing"

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
