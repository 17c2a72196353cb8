package cmdutil_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// clusterRule allows verbs on the clusters of cmdtest.Namespace.
func clusterRule(verbs ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{kumov1.GroupVersion.Group}, Resources: []string{"clusters"}, Verbs: verbs}
}

// TestGetClusterHints: a cluster that is not found comes with hints that
// the caller may follow, and with no claim the caller cannot know.
func TestGetClusterHints(t *testing.T) {
	other := &kumov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "web"}, Spec: kumov1.ClusterSpec{Version: "1.36", Region: "tokyo-1"}}
	tests := map[string]struct {
		rules []rbacv1.PolicyRule // what the caller may do in team-a; nil: everything everywhere
		want  string              // the error
	}{
		"who may list every namespace is sent there": {
			want: `cluster "nope" not found in namespace "team-a"; it has no clusters (list all you can see with ` + "`kumoctl cluster list -A`)",
		},
		"a tenant who may create clusters is told how": {
			rules: []rbacv1.PolicyRule{clusterRule("get", "list", "create")},
			want:  `cluster "nope" not found in namespace "team-a"; it has no clusters; create one with ` + "`kumoctl cluster create nope`",
		},
		"a tenant who may only read is told no more": {
			rules: []rbacv1.PolicyRule{clusterRule("get", "list")},
			want:  `cluster "nope" not found in namespace "team-a"; it has no clusters`,
		},
		"a tenant who may not list does not learn the namespace is empty": {
			rules: []rbacv1.PolicyRule{clusterRule("get")},
			want:  `cluster "nope" not found in namespace "team-a"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, other)
			if tc.rules != nil {
				env.As("carol", tc.rules...)
			}
			c, err := env.F.Client()
			g.Expect(err).NotTo(HaveOccurred())
			_, err = cmdutil.GetCluster(context.Background(), c, cmdtest.Namespace, "nope")
			g.Expect(cmdutil.CodeOf(err)).To(Equal(cmdutil.ExitNotFound))
			g.Expect(err).To(MatchError(tc.want))
		})
	}
}
