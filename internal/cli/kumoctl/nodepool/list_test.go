package nodepool

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdList(t *testing.T) {
	tests := map[string]struct {
		args []string     // after `kumoctl nodepool list`
		want *ListOptions // what the run gets, without f; nil when refused
		code int          // exit code when refused
		err  string       // part of the error when refused
	}{
		"table":               {args: []string{"demo"}, want: &ListOptions{Cluster: "demo", Output: "table"}},
		"json":                {args: []string{"demo", "-o", "json"}, want: &ListOptions{Cluster: "demo", Output: "json"}},
		"yaml":                {args: []string{"demo", "--output=yaml"}, want: &ListOptions{Cluster: "demo", Output: "yaml"}},
		"no wide table":       {args: []string{"demo", "-o", "wide"}, code: cmdutil.ExitUsage, err: `unknown output format "wide"; use one of table, json, yaml`},
		"cluster is required": {args: nil, code: cmdutil.ExitUsage, err: "missing CLUSTER"},
		"one cluster at a time": {
			args: []string{"demo", "batch"}, code: cmdutil.ExitUsage, err: `too many arguments ["batch"]`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *ListOptions
			cmd := NewCmdList(env.F, func(_ context.Context, o *ListOptions) error { got = o; return nil })
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

func TestListRun(t *testing.T) {
	t.Run("json has spec and status of each pool", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		err := listRun(context.Background(), &ListOptions{f: env.F, Cluster: "demo", Output: cmdutil.OutputJSON})
		g.Expect(err).NotTo(HaveOccurred())
		var got PoolList
		g.Expect(json.Unmarshal(env.Out.Bytes(), &got)).To(Succeed())
		g.Expect(got).To(Equal(PoolList{Cluster: "demo", Namespace: "team-a", Items: []PoolView{
			{NodePool: kumov1.NodePool{Name: "default", Replicas: 3, Flavor: "m1.medium"}, Status: PoolStatusView{Replicas: 3, ReadyReplicas: 3}},
			{NodePool: kumov1.NodePool{Name: "gpu", Replicas: 1, Flavor: "g1.large"}, Status: PoolStatusView{Replicas: 1, ReadyReplicas: 1}},
		}}))
	})
	t.Run("a cluster without pools says how to add one", func(t *testing.T) {
		g := NewWithT(t)
		empty := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: "empty"}, Spec: kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1"}}
		env := cmdtest.New(t, empty)
		err := listRun(context.Background(), &ListOptions{f: env.F, Cluster: "empty", Output: cmdutil.OutputTable})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(env.Out.String()).To(BeEmpty())
		g.Expect(env.ErrOut.String()).To(Equal("Cluster empty has no node pools. Add one with `kumoctl nodepool add empty POOL --nodes N`.\n"))
	})
	t.Run("a cluster without pools: who may not change it is told no more", func(t *testing.T) {
		g := NewWithT(t)
		empty := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: "empty"}, Spec: kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1"}}
		env := cmdtest.New(t, empty).As("carol", rbacv1.PolicyRule{APIGroups: []string{kumov1.GroupVersion.Group}, Resources: []string{"clusters"}, Verbs: []string{"get", "list"}})
		g.Expect(listRun(context.Background(), &ListOptions{f: env.F, Cluster: "empty", Output: cmdutil.OutputTable})).To(Succeed())
		g.Expect(env.ErrOut.String()).To(Equal("Cluster empty has no node pools.\n"))
	})
	t.Run("json of a cluster without pools is an empty list", func(t *testing.T) {
		g := NewWithT(t)
		empty := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: "empty"}, Spec: kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1"}}
		env := cmdtest.New(t, empty)
		g.Expect(listRun(context.Background(), &ListOptions{f: env.F, Cluster: "empty", Output: cmdutil.OutputJSON})).To(Succeed())
		g.Expect(env.Out.String()).To(ContainSubstring(`"items": []`))
	})
	t.Run("an unknown cluster is not found", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		err := listRun(context.Background(), &ListOptions{f: env.F, Cluster: "demp", Output: cmdutil.OutputTable})
		g.Expect(cmdutil.CodeOf(err)).To(Equal(cmdutil.ExitNotFound))
		g.Expect(err).To(MatchError(`cluster "demp" not found in namespace "team-a"; did you mean "demo"?`))
	})
}
