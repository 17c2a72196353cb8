package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/kumo-dev/kumo/internal/bench/tenants"
)

// TestTenantsBench runs `kumo bench tenants`' measurement small (one idle
// create, a burst of 2, a 3 s storm), so that the bench cannot rot. It
// checks what holds however loaded the machine is: every phase measured,
// the storm answered, bob never throttled, and no cluster beyond a quota
// after a race. Times and ratios are measurements, not asserted.
func TestTenantsBench(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := tenants.Run(ctx, tenants.Options{
		Kumo: kumoBin, DataDir: t.TempDir(), IdleSamples: 1, Burst: 2,
		Storm: 3 * time.Second, StormConnections: 8, Progress: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *res)
	for name, v := range map[string]float64{
		"idleCreateSeconds": res.IdleCreateSeconds, "burstCreateSeconds": res.BurstCreateSeconds,
		"burstRatio": res.BurstRatio, "burstAllReadySeconds": res.BurstAllReadySeconds,
		"stormCreateSeconds": res.StormCreateSeconds, "stormRatio": res.StormRatio,
		"stormRequestsPerSecond": res.StormRequestsPerSecond,
	} {
		if v <= 0 {
			t.Errorf("%s = %v, want a measurement", name, v)
		}
	}
	if len(res.IdleCreateSamplesSeconds) != 1 || res.BurstSize != 2 || res.NodesPerCluster != 3 {
		t.Errorf("idle samples %v, burst %d, nodes %d; want 1 sample, a burst of 2, 3 nodes",
			res.IdleCreateSamplesSeconds, res.BurstSize, res.NodesPerCluster)
	}
	// The storm lasts at least as asked and until bob's cluster is Ready,
	// over its own connections, and the API answers it.
	if res.StormSeconds < 3 || res.StormSeconds < res.StormCreateSeconds {
		t.Errorf("the storm lasted %.1f s, bob's create %.1f s; want at least 3 s and at least bob's create", res.StormSeconds, res.StormCreateSeconds)
	}
	if res.StormConnections != 8 {
		t.Errorf("the storm opened %d connections, want 8", res.StormConnections)
	}
	if res.StormRequests == 0 || res.StormErrors != 0 || res.Storm429s > res.StormRequests {
		t.Errorf("storm: %d requests, %d answered 429, %d failed; want requests answered, none failed", res.StormRequests, res.Storm429s, res.StormErrors)
	}
	if res.OtherTeam429s != 0 {
		t.Errorf("bob got %d 429s during alice's storm, want 0", res.OtherTeam429s)
	}
	if res.QuotaRaceCreates != 5 || res.QuotaRaceLimit != 2 || res.QuotaRaceAdmitted != 2 || res.QuotaRaceRefused != 3 || res.QuotaRaceBeyondLimit != 0 {
		t.Errorf("quota race: %d creates against %d: %d admitted, %d refused, %d beyond the limit; want 5 against 2: 2, 3, 0",
			res.QuotaRaceCreates, res.QuotaRaceLimit, res.QuotaRaceAdmitted, res.QuotaRaceRefused, res.QuotaRaceBeyondLimit)
	}
}
