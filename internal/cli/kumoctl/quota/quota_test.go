package quota

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdQuota(t *testing.T) {
	tests := map[string]struct {
		args []string // after `kumoctl quota`
		want *Options // what the run gets, without f; nil when refused
		code int      // exit code when refused
		err  string   // part of the error when refused
	}{
		"table":        {want: &Options{Output: "table"}},
		"json":         {args: []string{"-o", "json"}, want: &Options{Output: "json"}},
		"yaml":         {args: []string{"-oyaml"}, want: &Options{Output: "yaml"}},
		"no wide":      {args: []string{"-o", "wide"}, code: cmdutil.ExitUsage, err: `unknown output format "wide"; use one of table, json, yaml`},
		"no arguments": {args: []string{"team-b"}, code: cmdutil.ExitUsage, err: `kumoctl quota takes no arguments`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *Options
			cmd := NewCmdQuota(env.F, func(_ context.Context, o *Options) error { got = o; return nil })
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

func TestRun(t *testing.T) {
	t.Run("a team without a quota", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t)
		err := run(context.Background(), &Options{f: env.F, Output: cmdutil.OutputTable})
		g.Expect(cmdutil.CodeOf(err)).To(Equal(cmdutil.ExitNotFound))
		g.Expect(err).To(MatchError(ContainSubstring(`team "team-a" has no quota yet`)))
	})

	t.Run("over quota says so on stderr", func(t *testing.T) {
		g := NewWithT(t)
		q := &kumov1.TeamQuota{
			ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: kumov1.TeamQuotaName},
			Spec:       kumov1.TeamQuotaSpec{MaxNodes: ptr.To[int64](2)},
			Status: kumov1.TeamQuotaStatus{
				Limits: kumov1.QuotaLimits{Nodes: ptr.To[int64](2)},
				Used:   &kumov1.QuotaUsage{Clusters: 1, Nodes: 4, VCPUs: 8},
				Conditions: []metav1.Condition{{Type: kumov1.WithinQuotaCondition, Status: metav1.ConditionFalse, Reason: kumov1.OverQuotaReason,
					Message: "team team-a has 4 nodes of at most 2: what exists keeps running", LastTransitionTime: metav1.NewTime(cmdtest.Now)}},
			},
		}
		env := cmdtest.New(t, q)
		g.Expect(run(context.Background(), &Options{f: env.F, Output: cmdutil.OutputTable})).To(Succeed())
		g.Expect(env.Out.String()).To(Equal(
			"RESOURCE   USED   LIMIT   FREE\n" +
				"clusters   1      none    -\n" +
				"nodes      4      2       0\n" +
				"vCPUs      8      none    -\n"))
		g.Expect(env.ErrOut.String()).To(Equal("Over quota: team team-a has 4 nodes of at most 2: what exists keeps running.\n"))
	})

	t.Run("json is the TeamQuota", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		g.Expect(run(context.Background(), &Options{f: env.F, Output: cmdutil.OutputJSON})).To(Succeed())
		var q kumov1.TeamQuota
		g.Expect(json.Unmarshal(env.Out.Bytes(), &q)).To(Succeed())
		g.Expect(q.Kind).To(Equal("TeamQuota"))
		g.Expect(q.APIVersion).To(Equal("kumo.dev/v1alpha1"))
		g.Expect(q.ManagedFields).To(BeEmpty())
		g.Expect(q.Spec.MaxClusters).To(HaveValue(BeEquivalentTo(3)))
		g.Expect(q.Status.Used).To(HaveValue(Equal(kumov1.QuotaUsage{Clusters: 2, Nodes: 9, VCPUs: 50})))
	})

	t.Run("not counted yet", func(t *testing.T) {
		g := NewWithT(t)
		q := &kumov1.TeamQuota{
			ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: kumov1.TeamQuotaName},
			Spec:       kumov1.TeamQuotaSpec{MaxClusters: ptr.To[int64](2)},
		}
		env := cmdtest.New(t, q)
		g.Expect(run(context.Background(), &Options{f: env.F, Output: cmdutil.OutputTable})).To(Succeed())
		g.Expect(env.Out.String()).To(Equal(
			"RESOURCE   USED        LIMIT       FREE\n" +
				"clusters   <unknown>   2           -\n" +
				"nodes      <unknown>   <unknown>   -\n" +
				"vCPUs      <unknown>   <unknown>   -\n"))
		g.Expect(env.ErrOut.String()).To(ContainSubstring("has not counted your team's clusters yet"))
	})
}
