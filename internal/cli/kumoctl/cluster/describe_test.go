package cluster

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

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

// TestDescribeEvacuations: describe lists the cluster's recent evacuations,
// newest first, the one whose old node still exists as moving, and says
// when the cluster opted out.
func TestDescribeEvacuations(t *testing.T) {
	g := NewWithT(t)
	world := cmdtest.World()
	for _, o := range world {
		c, ok := o.(*kumov1.Cluster)
		if !ok || c.Name != "demo" {
			continue
		}
		recs, err := json.Marshal([]kumov1.EvacuationRecord{
			{Machine: "demo-default-q8w2z", Replacement: "demo-default-b5n8c", Region: "tokyo-1", Hypervisor: "hv-04", StealPercent: 31.5, Started: metav1.NewTime(cmdtest.Now.Add(-5 * time.Hour))},
			{Machine: "demo-default-9qz4m", Replacement: "demo-default-3", Region: "tokyo-1", Hypervisor: "hv-01", StealPercent: 42, Started: metav1.NewTime(cmdtest.Now.Add(-2 * time.Minute))},
		})
		g.Expect(err).NotTo(HaveOccurred())
		c.Annotations = map[string]string{kumov1.EvacuationAnnotation: string(recs)}
		c.Spec.Evacuation = &kumov1.ClusterEvacuation{Enabled: ptr.To(false)}
	}
	env := cmdtest.New(t, world...)
	g.Expect(describeRun(context.Background(), &DescribeOptions{f: env.F, Name: "demo"})).To(Succeed())
	out := env.Out.String()
	g.Expect(out).To(ContainSubstring("\nEvacuation:  opted out"))
	_, evac, ok := strings.Cut(out, "\nRecent evacuations")
	g.Expect(ok).To(BeTrue(), out)
	evac, _, _ = strings.Cut(evac, "\nEvents:")
	lines := strings.Split(strings.TrimSpace(evac), "\n")
	g.Expect(lines).To(HaveLen(4), evac)
	g.Expect(strings.Fields(lines[2])).To(Equal([]string{"2m", "demo-default-9qz4m", "tokyo-1/hv-01", "42%", "demo-default-3", "moving"}))
	g.Expect(strings.Fields(lines[3])).To(Equal([]string{"5h", "demo-default-q8w2z", "tokyo-1/hv-04", "32%", "demo-default-b5n8c", "done"}))
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
