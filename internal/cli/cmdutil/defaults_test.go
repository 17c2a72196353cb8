package cmdutil_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func release(version string, state kumov1.ReleaseState, isDefault bool) kumov1.KubernetesRelease {
	return kumov1.KubernetesRelease{Spec: kumov1.KubernetesReleaseSpec{Version: version, State: state, Default: isDefault}}
}

func TestDefaultRelease(t *testing.T) {
	tests := map[string]struct {
		releases []kumov1.KubernetesRelease // newest first
		want     string                     // the default's version; "" for none
	}{
		"the newest Supported": {
			releases: []kumov1.KubernetesRelease{release("1.37.0", kumov1.ReleaseDeprecated, false), release("1.36.3", kumov1.ReleaseSupported, false), release("1.36.2", "", false)},
			want:     "1.36.3",
		},
		"the one marked": {
			releases: []kumov1.KubernetesRelease{release("1.36.3", kumov1.ReleaseSupported, false), release("1.35.5", kumov1.ReleaseSupported, true)},
			want:     "1.35.5",
		},
		"a Deprecated one marked is not offered": {
			releases: []kumov1.KubernetesRelease{release("1.36.3", kumov1.ReleaseSupported, false), release("1.34.8", kumov1.ReleaseDeprecated, true)},
			want:     "1.36.3",
		},
		"an empty state is Supported": {releases: []kumov1.KubernetesRelease{release("1.36.0", "", false)}, want: "1.36.0"},
		"none Supported":              {releases: []kumov1.KubernetesRelease{release("1.34.8", kumov1.ReleaseDeprecated, false)}},
		"no releases":                 {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			got := cmdutil.DefaultRelease(tc.releases)
			if tc.want == "" {
				g.Expect(got).To(BeNil())
				return
			}
			g.Expect(got).NotTo(BeNil())
			g.Expect(got.Spec.Version).To(Equal(tc.want))
		})
	}
}

// region is a region with free of total vCPUs free, offering m1.medium
// (2 vCPUs) and m1.xlarge (8), whose cloud answers unless total is 0.
func region(name string, free, total int64, isDefault bool) kumov1.Region {
	r := kumov1.Region{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: kumov1.RegionSpec{Default: isDefault}}
	if total > 0 {
		r.Status = kumov1.RegionStatus{VCPUs: total, UsedVCPUs: total - free,
			Flavors:    []kumov1.FlavorInfo{{Name: "m1.medium", VCPUs: 2}, {Name: "m1.xlarge", VCPUs: 8}},
			Conditions: []metav1.Condition{{Type: kumov1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready"}},
		}
	}
	return r
}

// mediumOnly is r offering only m1.medium.
func mediumOnly(r kumov1.Region) kumov1.Region {
	r.Status.Flavors = r.Status.Flavors[:1]
	return r
}

func TestPickRegion(t *testing.T) {
	tests := map[string]struct {
		regions []kumov1.Region // the platform's
		flavor  string          // of the nodes
		nodes   int32           // how many
		want    string          // the region picked; "" for none
		why     string          // why
	}{
		"the most free vCPUs": {
			regions: []kumov1.Region{region("a", 10, 100, false), region("b", 40, 100, false), region("c", 20, 100, false)},
			flavor:  "m1.medium", nodes: 3, want: "b", why: cmdutil.RegionMostFree,
		},
		"ties by name": {
			regions: []kumov1.Region{region("b", 40, 100, false), region("a", 40, 100, false)},
			flavor:  "m1.medium", nodes: 3, want: "a", why: cmdutil.RegionMostFree,
		},
		"the one marked, even with less room": {
			regions: []kumov1.Region{region("a", 10, 100, true), region("b", 40, 100, false)},
			flavor:  "m1.medium", nodes: 3, want: "a", why: cmdutil.RegionMarkedDefault,
		},
		"the one marked is full: the most free": {
			regions: []kumov1.Region{region("a", 4, 100, true), region("b", 40, 100, false), region("c", 20, 100, false)},
			flavor:  "m1.medium", nodes: 3, want: "b", why: "default: a is full; most free vCPUs",
		},
		"the one marked does not answer": {
			regions: []kumov1.Region{region("a", 0, 0, true), region("b", 40, 100, false)},
			flavor:  "m1.medium", nodes: 3, want: "b", why: "default: a is not Ready; most free vCPUs",
		},
		"the one marked does not offer the flavor": {
			regions: []kumov1.Region{mediumOnly(region("a", 100, 100, true)), region("b", 40, 100, false)},
			flavor:  "m1.xlarge", nodes: 1, want: "b", why: "default: a does not offer m1.xlarge; most free vCPUs",
		},
		"the first marked by name": {
			regions: []kumov1.Region{region("b", 40, 100, true), region("a", 10, 100, true)},
			flavor:  "m1.medium", nodes: 3, want: "a", why: cmdutil.RegionMarkedDefault,
		},
		"the one marked and none other fits": {
			regions: []kumov1.Region{region("a", 4, 100, true), region("b", 4, 100, false)},
			flavor:  "m1.medium", nodes: 3,
		},
		"only regions that fit": {
			// 5 x m1.xlarge need 40 vCPUs; b has 48 free and a more, but a does not answer.
			regions: []kumov1.Region{region("a", 0, 0, false), region("b", 48, 100, false), region("c", 30, 100, false)},
			flavor:  "m1.xlarge", nodes: 5, want: "b", why: cmdutil.RegionMostFree,
		},
		"only regions offering the flavor": {
			regions: []kumov1.Region{region("a", 100, 100, false)},
			flavor:  "g1.large", nodes: 1,
		},
		"none fits": {
			regions: []kumov1.Region{region("a", 10, 100, false), region("b", 6, 100, false)},
			flavor:  "m1.medium", nodes: 6,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			got, why := cmdutil.PickRegion(tc.regions, tc.flavor, tc.nodes)
			if tc.want == "" {
				g.Expect(got).To(BeNil())
				return
			}
			g.Expect(got).NotTo(BeNil())
			g.Expect(got.Name).To(Equal(tc.want))
			g.Expect(why).To(Equal(tc.why))
		})
	}
}

// TestCompleteDefaults: --region and --version completions describe the
// defaults, which a shell showing descriptions shows.
func TestCompleteDefaults(t *testing.T) {
	g := NewWithT(t)
	env := cmdtest.New(t, cmdtest.World()...)
	cmd := &cobra.Command{}
	cmd.SetContext(context.Background())
	regions, _ := cmdutil.CompleteRegions(env.F)(cmd, nil, "")
	g.Expect(regions).To(ConsistOf("tokyo-1\tdefault", "osaka-1", "nagoya-1"))
	versions, _ := cmdutil.CompleteVersions(env.F)(cmd, nil, "")
	g.Expect(versions).To(Equal([]string{"1.36\tdefault", "1.36.3", "1.36.2", "1.35", "1.35.5", "1.34", "1.34.8"}))

	// An operator marks other defaults: a region with less room than
	// tokyo-1, but enough.
	c := env.Client()
	var old kumov1.KubernetesRelease
	g.Expect(c.Get(context.Background(), client.ObjectKey{Name: "v1.36.2"}, &old)).To(Succeed())
	old.Spec.Default = true
	g.Expect(c.Update(context.Background(), &old)).To(Succeed())
	env.SetFreeVCPUs("osaka-1", 6)
	var osaka kumov1.Region
	g.Expect(c.Get(context.Background(), client.ObjectKey{Name: "osaka-1"}, &osaka)).To(Succeed())
	osaka.Spec.Default = true
	g.Expect(c.Update(context.Background(), &osaka)).To(Succeed())
	regions, _ = cmdutil.CompleteRegions(env.F)(cmd, nil, "")
	g.Expect(regions).To(ConsistOf("tokyo-1", "osaka-1\tdefault", "nagoya-1"))
	versions, _ = cmdutil.CompleteVersions(env.F)(cmd, nil, "")
	g.Expect(versions).To(Equal([]string{"1.36", "1.36.3", "1.36.2\tdefault", "1.35", "1.35.5", "1.34", "1.34.8"}))
}

// TestDefaultRegionNoRoom: when no region can take the nodes, the error
// says what each region lacks, most free vCPUs first.
func TestDefaultRegionNoRoom(t *testing.T) {
	g := NewWithT(t)
	env := cmdtest.New(t, cmdtest.World()...)
	_, _, err := cmdutil.DefaultRegion(context.Background(), env.Client(), "m1.xlarge", 5)
	g.Expect(cmdutil.CodeOf(err)).To(Equal(cmdutil.ExitFailed))
	g.Expect(err).To(MatchError("no region has room for 5 x m1.xlarge: tokyo-1 has 32 vCPUs free (40 needed), " +
		"nagoya-1 is not Ready, osaka-1 has 0 vCPUs free (40 needed); ask for fewer nodes or a smaller flavor (see `kumoctl regions`)"))
	_, _, err = cmdutil.DefaultRegion(context.Background(), env.Client(), "g1.large", 9)
	g.Expect(err).To(MatchError(ContainSubstring("for 9 x g1.large: tokyo-1 has 32 vCPUs free (36 needed), nagoya-1 is not Ready, osaka-1 does not offer g1.large;")))
}

func TestMinor(t *testing.T) {
	for in, want := range map[string]string{"1.36.3": "1.36", "1.36": "1.36", "1": "1", "": ""} {
		NewWithT(t).Expect(cmdutil.Minor(in)).To(Equal(want), "Minor(%q)", in)
	}
}

// TestResolveVersion: new clusters may name Supported and Preview releases,
// not Deprecated or Removed ones, and never one the catalog lacks.
func TestResolveVersion(t *testing.T) {
	objs := []client.Object{}
	for _, r := range []kumov1.KubernetesRelease{
		release("1.38.0", kumov1.ReleasePreview, false), release("1.37.2", kumov1.ReleaseSupported, false),
		release("1.36.3", kumov1.ReleaseDeprecated, false), release("1.35.9", kumov1.ReleaseRemoved, false),
	} {
		r.Name = "v" + r.Spec.Version
		objs = append(objs, &r)
	}
	tests := map[string]struct {
		in, want, err string
	}{
		"supported minor": {in: "1.37", want: "1.37"},
		"preview, exact":  {in: "1.38.0", want: "1.38.0"},
		"deprecated":      {in: "1.36", err: "Kubernetes 1.36.3 is Deprecated and not offered for new clusters; offered: 1.38.0, 1.37.2"},
		"removed":         {in: "1.35.9", err: "Kubernetes 1.35.9 is Removed and not offered for new clusters"},
		"unknown":         {in: "1.20", err: "Kubernetes 1.20 is not offered; offered versions: 1.38.0, 1.37.2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, objs...)
			c, err := env.F.Client()
			g.Expect(err).NotTo(HaveOccurred())
			got, err := cmdutil.ResolveVersion(context.Background(), c, tc.in)
			if tc.err != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				g.Expect(cmdutil.CodeOf(err)).To(Equal(cmdutil.ExitNotFound))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tc.want))
		})
	}
}
