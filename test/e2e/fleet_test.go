package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/kumo-dev/kumo/internal/bench/fleet"
)

// TestFleetScaleMode runs `kumo bench fleet`'s measurement on a small fleet
// at the scale fidelity level, so that the mode and the bench cannot rot:
// every cluster becomes Ready with its nodes, single scales and a fleet-wide
// scale show in status, and the idle fleet makes no requests beyond the
// leader lease's renewals (no hot loop, no periodic relist).
func TestFleetScaleMode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := fleet.Run(ctx, fleet.Options{
		Clusters: 24, NodesPerCluster: 5, Regions: 2, Kumo: kumoBin, DataDir: t.TempDir(),
		Samples: 5, Idle: 10 * time.Second, Progress: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *res)
	if res.Clusters != 24 || res.Machines != 120 {
		t.Errorf("fleet of %d clusters and %d machines, want 24 and 120", res.Clusters, res.Machines)
	}
	for name, v := range map[string]float64{
		"allReadySeconds": res.AllReadySeconds, "createsPerSecond": res.CreatesPerSecond,
		"specToStatusP50Seconds": res.SpecToStatusP50Seconds, "fleetEventSeconds": res.FleetEventSeconds,
		"managerPeakRSSBytes": float64(res.ManagerPeakRSSBytes), "etcdDBSizeBytes": float64(res.EtcdDBSizeBytes),
	} {
		if v <= 0 {
			t.Errorf("%s = %v, want a measurement", name, v)
		}
	}
	if res.SpecToStatusP99Seconds < res.SpecToStatusP50Seconds {
		t.Errorf("p99 %v below p50 %v", res.SpecToStatusP99Seconds, res.SpecToStatusP50Seconds)
	}
	// The leader lease is renewed every 2 s; anything well above that is
	// a controller that polls.
	if res.IdleAPIRequestsPerSecond > 2 {
		t.Errorf("the idle manager sent %.2f requests/s; want only lease renewals (about 0.5/s)", res.IdleAPIRequestsPerSecond)
	}
}

// testWriter sends the bench's progress to the test log, a line at a time.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	if s := string(p); s != "\n" && s != "" && s[0] != '\r' {
		w.t.Log(s)
	}
	return len(p), nil
}
