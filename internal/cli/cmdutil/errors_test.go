package cmdutil

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// TestAPIErrorQuota: admission's quota refusal and RBAC's are both
// Forbidden; people get exit 2 and the quota message for the first, exit 4
// and "your account lacks" for the second. A quota checker that does not
// answer is said to be one.
func TestAPIErrorQuota(t *testing.T) {
	const msg = `team "team-a" may have at most 2 clusters and has 2; ask a platform operator to raise it: kumo tenant add team-a --max-clusters N`
	// As the API server passes on a webhook's refusal.
	quota := &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
		Message: `admission webhook "quota.kumo.dev" denied the request: ` + msg,
		Details: &metav1.StatusDetails{Group: "kumo.dev", Kind: "teamquotas", Name: "team",
			Causes: []metav1.StatusCause{{Type: kumov1.QuotaExceededCause, Message: msg}}},
	}}
	rbac := apierrors.NewForbidden(schema.GroupResource{Group: "kumo.dev", Resource: "clusters"}, "web",
		errors.New(`User "bob" cannot create resource "clusters" in API group "kumo.dev" in the namespace "team-a"`))
	down := apierrors.NewInternalError(errors.New(`failed calling webhook "quota.kumo.dev": failed to call webhook: Post "https://127.0.0.1:23812/validate": dial tcp 127.0.0.1:23812: connect: connection refused`))
	tests := map[string]struct {
		err  error
		code int
		want string
	}{
		"quota":          {err: quota, code: ExitUsage, want: "the platform refused to create cluster web: " + msg},
		"rbac":           {err: rbac, code: ExitForbidden, want: `you may not create cluster web in namespace "team-a": your account lacks "create" on "clusters"`},
		"checker down":   {err: down, code: ExitError, want: "could not create cluster web: the platform checks every cluster change against your team's quota, and its checker (the Kumo manager) does not answer, so nothing was changed"},
		"other internal": {err: apierrors.NewInternalError(errors.New("etcd timeout")), code: ExitError, want: "create cluster web: Internal error occurred: etcd timeout"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			err := APIError(tc.err, "create cluster web", "team-a")
			g.Expect(CodeOf(err)).To(Equal(tc.code))
			g.Expect(err.Error()).To(HavePrefix(tc.want))
		})
	}
}
