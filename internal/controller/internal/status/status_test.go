package status

import (
	"errors"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
)

func TestRequeueOnConflict(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Group: "kumo.dev", Resource: "clusters"}, "demo", errors.New("modified"))
	other := errors.New("cloud is down")
	tests := map[string]struct {
		res     ctrl.Result
		err     error
		wantRes ctrl.Result
		wantErr error
	}{
		// a conflict, as returned by the client
		"conflict": {err: conflict, wantRes: ctrl.Result{RequeueAfter: conflictRetry}},
		// a conflict wrapped with context on the way up
		"wrapped conflict": {err: fmt.Errorf("adding finalizer: %w", conflict), wantRes: ctrl.Result{RequeueAfter: conflictRetry}},
		// other errors pass unchanged
		"other error": {res: ctrl.Result{RequeueAfter: time.Second}, err: other, wantRes: ctrl.Result{RequeueAfter: time.Second}, wantErr: other},
		// success passes unchanged
		"success": {res: ctrl.Result{RequeueAfter: time.Minute}, wantRes: ctrl.Result{RequeueAfter: time.Minute}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := RequeueOnConflict(tc.res, tc.err)
			if res != tc.wantRes || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("got (%v, %v), want (%v, %v)", res, err, tc.wantRes, tc.wantErr)
			}
		})
	}
}
