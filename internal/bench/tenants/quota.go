package tenants

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/bench"
)

// quotaRace has carol fire creates at once against her team's limit, waits
// until the quota controller has counted what exists, and counts the
// clusters beyond the limit (there must be none).
func (r *run) quotaRace(ctx context.Context, res *Result) error {
	n := r.o.QuotaRaceCreates
	var admitted, refused atomic.Int64
	// No nodes: the race is about admission, and winners' nodes would only
	// load the machine.
	if err := bench.Parallel(ctx, n, n, func(i int) error {
		err := r.carol.create(ctx, fmt.Sprintf("race-%d", i+1), r.spec(0))
		switch {
		case err == nil:
			admitted.Add(1)
		case quotaExceeded(err):
			refused.Add(1)
		default:
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	res.QuotaRaceAdmitted, res.QuotaRaceRefused = int(admitted.Load()), int(refused.Load())

	// Settled: no admitted write is still on its way (no reservations) and
	// the quota counts what the API holds.
	var exist int
	err := bench.Poll(ctx, 2*time.Minute, "team-c's quota to count its clusters", func() (bool, error) {
		var q kumov1.TeamQuota
		if err := r.carol.c.Get(ctx, client.ObjectKey{Namespace: r.carol.namespace, Name: kumov1.TeamQuotaName}, &q); err != nil {
			return false, nil
		}
		var err error
		if exist, err = r.carol.count(ctx); err != nil {
			return false, nil
		}
		return q.Status.Used != nil && len(q.Status.Reservations) == 0 && q.Status.Used.Clusters == int64(exist), nil
	})
	if err != nil {
		return err
	}
	res.QuotaRaceBeyondLimit = max(0, exist-r.o.QuotaRaceLimit)
	r.say("Quota race: %d creates against a limit of %d: %d admitted, %d refused; %d clusters exist, %d beyond the limit",
		n, r.o.QuotaRaceLimit, res.QuotaRaceAdmitted, res.QuotaRaceRefused, exist, res.QuotaRaceBeyondLimit)
	return r.deleteAll(ctx)
}

// quotaExceeded reports whether err is admission's refusal of a create
// that would pass the team's quota.
func quotaExceeded(err error) bool {
	var se apierrors.APIStatus
	if !apierrors.IsForbidden(err) || !errors.As(err, &se) || se.Status().Details == nil {
		return false
	}
	for _, c := range se.Status().Details.Causes {
		if c.Type == kumov1.QuotaExceededCause {
			return true
		}
	}
	return false
}
