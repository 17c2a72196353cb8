package machine

import (
	"errors"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kumo-dev/kumo/internal/cloud"
)

func TestRequeueIfRateLimited(t *testing.T) {
	refused := func(after time.Duration) error {
		return fmt.Errorf("listing servers: %w", cloud.WithRetryAfter(fmt.Errorf("compute: %w", cloud.ErrRateLimited), after))
	}
	boom := errors.New("boom")
	tests := map[string]struct {
		// err is what the reconcile returned, with res.
		err error
		res ctrl.Result
		// wantErr is the error passed on; min and max bound the requeue.
		wantErr  error
		min, max time.Duration
	}{
		"the wait the cloud asked for, and up to as much again": {err: refused(2 * time.Second), min: 2 * time.Second, max: 4 * time.Second},
		"a second when the cloud does not say":                  {err: cloud.ErrRateLimited, min: time.Second, max: 2 * time.Second},
		"at least 100ms":                                        {err: refused(time.Millisecond), min: 100 * time.Millisecond, max: 200 * time.Millisecond},
		"other errors pass":                                     {err: boom, res: ctrl.Result{RequeueAfter: time.Minute}, wantErr: boom, min: time.Minute, max: time.Minute},
		"success passes":                                        {res: ctrl.Result{RequeueAfter: time.Minute}, min: time.Minute, max: time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			for range 20 {
				res, err := requeueIfRateLimited(tc.res, tc.err)
				if tc.wantErr != nil {
					g.Expect(err).To(MatchError(tc.wantErr))
				} else {
					g.Expect(err).NotTo(HaveOccurred())
				}
				g.Expect(res.RequeueAfter).To(And(BeNumerically(">=", tc.min), BeNumerically("<=", tc.max)))
			}
		})
	}
}
