package cluster

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdDescribe(t *testing.T) {
	tests := map[string]struct {
		args []string         // after `kumoctl cluster describe`
		want *DescribeOptions // what the run gets, without f; nil when refused
		code int              // exit code when refused
		err  string           // part of the error when refused
	}{
		"describe":      {args: []string{"demo"}, want: &DescribeOptions{Name: "demo"}},
		"name required": {code: cmdutil.ExitUsage, err: "missing NAME; usage: kumoctl describe NAME"},
		"one name":      {args: []string{"demo", "batch"}, code: cmdutil.ExitUsage, err: `too many arguments ["batch"]`},
		"no -o":         {args: []string{"demo", "-o", "yaml"}, code: cmdutil.ExitUsage, err: "unknown shorthand flag: 'o'"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *DescribeOptions
			cmd := NewCmdDescribe(env.F, func(_ context.Context, o *DescribeOptions) error { got = o; return nil })
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

// TestDescribeKubeconfigHint: the kubeconfig command is suggested only to
// who may read the cluster's kubeconfig.
func TestDescribeKubeconfigHint(t *testing.T) {
	read := rbacv1.PolicyRule{APIGroups: []string{kumov1.GroupVersion.Group}, Resources: []string{"clusters", "machines"}, Verbs: []string{"get", "list"}}
	secrets := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}
	tests := map[string]struct {
		rules []rbacv1.PolicyRule // what the caller may do in team-a
		want  string              // the Kubeconfig line
	}{
		"who may read it":     {rules: []rbacv1.PolicyRule{read, secrets}, want: "Kubeconfig:  secret demo-kubeconfig (`kumoctl kubeconfig demo`)\n"},
		"who may not read it": {rules: []rbacv1.PolicyRule{read}, want: "Kubeconfig:  secret demo-kubeconfig\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...).As("carol", tc.rules...)
			g.Expect(describeRun(context.Background(), &DescribeOptions{f: env.F, Name: "demo"})).To(Succeed())
			g.Expect(env.Out.String()).To(ContainSubstring("\nKubeconfig:"))
			g.Expect(env.Out.String()).To(ContainSubstring("\n" + tc.want))
		})
	}
}

// TestDescribeEvents: describe shows the events of this cluster and of its
// current machines, matched by UID, with those of removed machines (which
// regard the cluster); not those of an earlier cluster or machine of the
// same name.
func TestDescribeEvents(t *testing.T) {
	g := NewWithT(t)
	env := cmdtest.New(t, cmdtest.World()...)
	g.Expect(describeRun(context.Background(), &DescribeOptions{f: env.F, Name: "demo"})).To(Succeed())
	_, events, _ := strings.Cut(env.Out.String(), "\nEvents:\n")
	g.Expect(events).To(ContainSubstring("Created        machine/demo-gpu-4hj6t       created server on hv-02"))
	g.Expect(events).To(ContainSubstring("VMDeleted      machine/demo-default-q8w2z   Deleted VM 3c1d"), "a removed machine's events stay with the cluster")
	g.Expect(events).NotTo(ContainSubstring("hv-09"), "the earlier demo's events are not this one's")
}

// TestDescribeSupport: a cluster on an aging release says so under its
// version; one on a supported release adds no line.
func TestDescribeSupport(t *testing.T) {
	tests := map[string]struct {
		cond *metav1.Condition // the cluster's VersionSupported
		want string            // the line after Version, "" for none
	}{
		"deprecated": {
			cond: &metav1.Condition{Type: kumov1.VersionSupportedCondition, Status: metav1.ConditionFalse, Reason: "Deprecated",
				Message: "Kubernetes 1.36.3 is deprecated; support ends on 2027-06-28; upgrade to 1.37"},
			want: "Support:     Kubernetes 1.36.3 is deprecated; support ends on 2027-06-28; upgrade to 1.37\n",
		},
		"supported":  {cond: &metav1.Condition{Type: kumov1.VersionSupportedCondition, Status: metav1.ConditionTrue, Reason: "Supported", Message: "Kubernetes 1.36.3 is Supported"}},
		"no catalog": {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			objs := cmdtest.World()
			for _, o := range objs {
				if c, ok := o.(*kumov1.Cluster); ok && c.Name == "demo" && tc.cond != nil {
					tc.cond.LastTransitionTime = metav1.NewTime(cmdtest.Now)
					c.Status.Conditions = append(c.Status.Conditions, *tc.cond)
				}
			}
			env := cmdtest.New(t, objs...)
			g.Expect(describeRun(context.Background(), &DescribeOptions{f: env.F, Name: "demo"})).To(Succeed())
			out := env.Out.String()
			_, afterVersion, _ := strings.Cut(out, "\nVersion:")
			_, next, _ := strings.Cut(afterVersion, "\n")
			if tc.want == "" {
				g.Expect(out).NotTo(ContainSubstring("Support:"))
				return
			}
			g.Expect(next).To(HavePrefix(tc.want))
		})
	}
}
