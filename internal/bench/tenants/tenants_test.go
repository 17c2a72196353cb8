package tenants

import (
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func TestMedian(t *testing.T) {
	tests := map[string]struct {
		xs   []float64
		want float64
	}{
		"none":     {nil, 0},
		"one":      {[]float64{6}, 6},
		"odd":      {[]float64{9, 5, 6}, 6},
		"even":     {[]float64{7, 5}, 6},
		"unsorted": {[]float64{8, 1, 6, 5}, 5.5},
	}
	for name, tt := range tests {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("%s: median(%v) = %v, want %v", name, tt.xs, got, tt.want)
		}
	}
}

func TestQuotaExceeded(t *testing.T) {
	clusters := schema.GroupResource{Group: kumov1.GroupVersion.Group, Resource: "clusters"}
	refusal := apierrors.NewForbidden(clusters, "race-3", fmt.Errorf("over quota"))
	refusal.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: kumov1.QuotaExceededCause, Message: "at most 2 clusters"}}
	tests := map[string]struct {
		err  error
		want bool
	}{
		"admission's refusal": {refusal, true},
		"wrapped":             {fmt.Errorf("creating cluster: %w", refusal), true},
		"RBAC's Forbidden":    {apierrors.NewForbidden(clusters, "race-3", fmt.Errorf("no")), false},
		"another error":       {apierrors.NewAlreadyExists(clusters, "race-3"), false},
		"not an API error":    {fmt.Errorf("connection refused"), false},
	}
	for name, tt := range tests {
		if got := quotaExceeded(tt.err); got != tt.want {
			t.Errorf("%s: quotaExceeded = %v, want %v", name, got, tt.want)
		}
	}
}
