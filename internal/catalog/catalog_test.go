package catalog

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func release(version string, state kumov1.ReleaseState, eos string) kumov1.KubernetesRelease {
	r := kumov1.KubernetesRelease{Spec: kumov1.KubernetesReleaseSpec{Version: version, State: state}}
	if eos != "" {
		t, _ := time.Parse(time.DateOnly, eos)
		r.Spec.EndOfSupport = &metav1.Time{Time: t}
	}
	return r
}

// threeMinors is a catalog listing three minors, oldest first as an
// operator might write it; Sort puts it newest first.
func threeMinors() []kumov1.KubernetesRelease {
	rs := []kumov1.KubernetesRelease{
		release("1.35.9", kumov1.ReleaseDeprecated, "2027-02-28"),
		release("1.36.2", kumov1.ReleaseSupported, "2027-06-28"),
		release("1.36.3", "", "2027-06-28"),
		release("1.37.2", kumov1.ReleaseSupported, "2027-10-28"),
		release("1.38.0", kumov1.ReleasePreview, ""),
	}
	Sort(rs)
	return rs
}

func TestFindAndSort(t *testing.T) {
	g := NewWithT(t)
	rs := threeMinors()
	g.Expect(rs[0].Spec.Version).To(Equal("1.38.0"))
	g.Expect(Find(rs, "1.36").Spec.Version).To(Equal("1.36.3"), "a minor is its newest patch")
	g.Expect(Find(rs, "v1.36.2").Spec.Version).To(Equal("1.36.2"))
	g.Expect(Find(rs, "1.3")).To(BeNil(), "a prefix is no match")
	g.Expect(Find(rs, "1.34")).To(BeNil())
}

func TestUpgradeTargets(t *testing.T) {
	g := NewWithT(t)
	rs := threeMinors()
	g.Expect(UpgradeTargets(rs, "1.35.9")).To(Equal([]string{"1.36"}))
	g.Expect(UpgradeTargets(rs, "1.36")).To(Equal([]string{"1.37"}))
	g.Expect(UpgradeTargets(rs, "1.37.2")).To(BeEmpty(), "1.38 is only a Preview")
	g.Expect(UpgradeTargets(rs, "1.38.0")).To(BeEmpty())
}

func TestCheckUpgrade(t *testing.T) {
	tests := map[string]struct {
		from, to string
		err      string // part of the refusal; "" when allowed
	}{
		"the next minor":         {from: "1.36", to: "1.37"},
		"the next minor, exact":  {from: "1.36.3", to: "1.37.2"},
		"from a deprecated one":  {from: "1.35.9", to: "1.36"},
		"a newer patch":          {from: "1.36.2", to: "1.36.3"},
		"skipping a minor":       {from: "1.35.9", to: "1.37", err: "cannot upgrade from 1.35 to 1.37: one minor at a time, 1.36 first"},
		"a downgrade of a minor": {from: "1.37.2", to: "1.36", err: "cannot downgrade from 1.37.2 to 1.36"},
		"a downgrade of a patch": {from: "1.36.3", to: "1.36.2", err: "cannot downgrade"},
		"not in the catalog":     {from: "1.36", to: "1.39", err: "kubernetes 1.39 is not in the catalog"},
		"a preview":              {from: "1.37", to: "1.38", err: "kubernetes 1.38.0 is Preview; upgrades go to Supported releases only"},
		"to a deprecated one":    {from: "1.34.2", to: "1.35", err: "1.35.9 is Deprecated"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			err := CheckUpgrade(threeMinors(), tc.from, tc.to)
			if tc.err == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
		})
	}
	t.Run("a removed release", func(t *testing.T) {
		g := NewWithT(t)
		rs := []kumov1.KubernetesRelease{release("1.37.2", kumov1.ReleaseRemoved, ""), release("1.36.3", "", "")}
		g.Expect(CheckUpgrade(rs, "1.36", "1.37")).To(MatchError(ContainSubstring("1.37.2 is Removed")))
	})
}

func TestSupportOf(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := map[string]struct {
		catalog []kumov1.KubernetesRelease
		version string
		want    Support
	}{
		"supported, far from its end": {
			catalog: threeMinors(), version: "v1.37.2",
			want: Support{OK: true, Reason: ReasonSupported, Message: "Kubernetes 1.37.2 is Supported",
				Recheck: time.Date(2027, 10, 28, 0, 0, 0, 0, time.UTC).Add(-kumov1.EndOfSupportWarning).Sub(now)},
		},
		"supported, its end near": {
			catalog: []kumov1.KubernetesRelease{release("1.37.2", "", ""), release("1.36.3", "", "2027-01-10")}, version: "1.36",
			want: Support{OK: true, Reason: ReasonEndOfSupportSoon, Recheck: 37*day + 12*time.Hour,
				Message: "Kubernetes 1.36.3 reaches its end of support on 2027-01-10 (in 38 days); upgrade to 1.37"},
		},
		"deprecated": {
			catalog: threeMinors(), version: "1.35.9",
			want: Support{Reason: ReasonDeprecated, Recheck: time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC).Sub(now),
				Message: "Kubernetes 1.35.9 is deprecated; support ends on 2027-02-28; upgrade to 1.36"},
		},
		"past its end": {
			catalog: []kumov1.KubernetesRelease{release("1.36.3", "", "2026-11-30")}, version: "1.36.3",
			want: Support{Reason: ReasonEndOfSupport, Message: "Kubernetes 1.36.3 reached its end of support on 2026-11-30"},
		},
		"removed": {
			catalog: []kumov1.KubernetesRelease{release("1.37.2", "", ""), release("1.36.3", kumov1.ReleaseRemoved, "")}, version: "1.36",
			want: Support{Reason: ReasonRemoved, Message: "Kubernetes 1.36.3 has been removed from the platform; upgrade to 1.37"},
		},
		"not in the catalog": {
			catalog: threeMinors(), version: "1.30.1",
			want: Support{Reason: ReasonNotInCatalog, Message: "Kubernetes 1.30.1 is not in the platform's catalog"},
		},
		"no end of support": {
			catalog: threeMinors(), version: "1.38.0",
			want: Support{OK: true, Reason: ReasonSupported, Message: "Kubernetes 1.38.0 is Preview"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			NewWithT(t).Expect(SupportOf(tc.catalog, tc.version, now)).To(Equal(tc.want))
		})
	}
}

func TestMinorAndLess(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Minor("1.36.3")).To(Equal("1.36"))
	g.Expect(Minor("1.36")).To(Equal("1.36"))
	g.Expect(Less("1.35.4", "1.36.1")).To(BeTrue())
	g.Expect(Less("1.36.10", "1.36.9")).To(BeFalse())
	g.Expect(Less("1.36", "1.36.1")).To(BeTrue())
}
