package platform

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdVersions(t *testing.T) {
	tests := map[string]struct {
		args []string         // after `kumoctl versions`
		want *VersionsOptions // what the run gets, without f; nil when refused
		code int              // exit code when refused
		err  string           // part of the error when refused
	}{
		"table":        {want: &VersionsOptions{Output: "table"}},
		"json":         {args: []string{"-o", "json"}, want: &VersionsOptions{Output: "json"}},
		"yaml":         {args: []string{"-o", "yaml"}, want: &VersionsOptions{Output: "yaml"}},
		"no wide":      {args: []string{"-o", "wide"}, code: cmdutil.ExitUsage, err: `unknown output format "wide"; use one of table, json, yaml`},
		"no arguments": {args: []string{"1.36"}, code: cmdutil.ExitUsage, err: "takes no arguments"},
		"unknown flag": {args: []string{"--all"}, code: cmdutil.ExitUsage, err: "unknown flag: --all"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *VersionsOptions
			cmd := NewCmdVersions(env.F, func(_ context.Context, o *VersionsOptions) error { got = o; return nil })
			err := cmdtest.Execute(env, cmd, tc.args...)
			if tc.want == nil {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
				g.Expect(got).To(BeNil(), "the run must not start")
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tc.want.f = env.F
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestVersionsRun(t *testing.T) {
	release := func(version string, state kumov1.ReleaseState) client.Object {
		return &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v" + version}, Spec: kumov1.KubernetesReleaseSpec{Version: version, State: state}}
	}
	until := func(o client.Object, date string) client.Object {
		t, _ := time.Parse(time.DateOnly, date)
		o.(*kumov1.KubernetesRelease).Spec.EndOfSupport = &metav1.Time{Time: t}
		return o
	}
	marked := func(o client.Object) client.Object {
		o.(*kumov1.KubernetesRelease).Spec.Default = true
		return o
	}
	tests := map[string]struct {
		releases []client.Object // the catalog
		want     string          // the table
	}{
		"the newest Supported is the default, not a newer Deprecated one": {
			releases: []client.Object{release("1.36.1", kumov1.ReleaseDeprecated), release("1.35.9", kumov1.ReleaseSupported), release("1.35.10", kumov1.ReleaseSupported)},
			want: "VERSION   MINOR   STATE        DEFAULT   END OF SUPPORT   UPGRADE TO\n" +
				"1.36.1    1.36    Deprecated   no        <none>           <none>\n" +
				"1.35.10   1.35    Supported    yes       <none>           <none>\n" +
				"1.35.9    1.35    Supported    no        <none>           <none>\n",
		},
		"every state, ends of support, and the next Supported minor as the target": {
			releases: []client.Object{
				until(release("1.35.9", kumov1.ReleaseRemoved), "2026-10-28"), until(release("1.36.3", kumov1.ReleaseDeprecated), "2027-06-28"),
				until(release("1.37.2", kumov1.ReleaseSupported), "2027-10-28"), release("1.38.0", kumov1.ReleasePreview),
			},
			want: "VERSION   MINOR   STATE        DEFAULT   END OF SUPPORT   UPGRADE TO\n" +
				"1.38.0    1.38    Preview      no        <none>           <none>\n" +
				"1.37.2    1.37    Supported    yes       2027-10-28       <none>\n" +
				"1.36.3    1.36    Deprecated   no        2027-06-28       1.37\n" +
				"1.35.9    1.35    Removed      no        2026-10-28       <none>\n",
		},
		// The API defaults an empty state to Supported, so kumoctl sees it
		// set; kumoctl treats an empty state the same way.
		"no state means Supported": {
			releases: []client.Object{release("1.36.0", "")},
			want:     "VERSION   MINOR   STATE       DEFAULT   END OF SUPPORT   UPGRADE TO\n1.36.0    1.36    Supported   yes       <none>           <none>\n",
		},
		"the one the operator marked": {
			releases: []client.Object{release("1.36.1", kumov1.ReleaseSupported), marked(release("1.35.9", kumov1.ReleaseSupported))},
			want: "VERSION   MINOR   STATE       DEFAULT   END OF SUPPORT   UPGRADE TO\n" +
				"1.36.1    1.36    Supported   no        <none>           <none>\n" +
				"1.35.9    1.35    Supported   yes       <none>           1.36\n",
		},
		"only Deprecated: no default": {
			releases: []client.Object{release("1.30.2", kumov1.ReleaseDeprecated)},
			want:     "VERSION   MINOR   STATE        DEFAULT   END OF SUPPORT   UPGRADE TO\n1.30.2    1.30    Deprecated   no        <none>           <none>\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, tc.releases...)
			g.Expect(versionsRun(context.Background(), &VersionsOptions{f: env.F, Output: cmdutil.OutputTable})).To(Succeed())
			g.Expect(env.Out.String()).To(Equal(tc.want))
		})
	}
	t.Run("an empty catalog says so on stderr", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t)
		g.Expect(versionsRun(context.Background(), &VersionsOptions{f: env.F, Output: cmdutil.OutputTable})).To(Succeed())
		g.Expect(env.Out.String()).To(BeEmpty())
		g.Expect(env.ErrOut.String()).To(ContainSubstring("No Kubernetes versions offered yet"))
	})
	t.Run("json is a list of KubernetesReleases, newest first", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		g.Expect(versionsRun(context.Background(), &VersionsOptions{f: env.F, Output: cmdutil.OutputJSON})).To(Succeed())
		g.Expect(env.Out.String()).To(MatchRegexp(`(?s)"kind": "List".*"kind": "KubernetesRelease".*"version": "1.36.3".*"version": "1.36.2".*"version": "1.35.5".*"version": "1.34.8"`))
	})
	t.Run("json and yaml carry the upgrade targets", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, release("1.37.2", kumov1.ReleaseSupported), release("1.36.3", kumov1.ReleaseSupported))
		g.Expect(versionsRun(context.Background(), &VersionsOptions{f: env.F, Output: cmdutil.OutputJSON})).To(Succeed())
		var list struct {
			Items []struct {
				Spec           kumov1.KubernetesReleaseSpec `json:"spec"`
				UpgradeTargets []string                     `json:"upgradeTargets"`
			} `json:"items"`
		}
		g.Expect(json.Unmarshal(env.Out.Bytes(), &list)).To(Succeed())
		g.Expect(list.Items).To(HaveLen(2))
		g.Expect(list.Items[0].Spec.Version).To(Equal("1.37.2"))
		g.Expect(list.Items[0].UpgradeTargets).To(BeEmpty())
		g.Expect(list.Items[1].UpgradeTargets).To(Equal([]string{"1.37"}))
		env.Out.Reset()
		g.Expect(versionsRun(context.Background(), &VersionsOptions{f: env.F, Output: cmdutil.OutputYAML})).To(Succeed())
		g.Expect(env.Out.String()).To(ContainSubstring("    version: 1.36.3\n  upgradeTargets:\n  - \"1.37\"\n"))
	})
}
