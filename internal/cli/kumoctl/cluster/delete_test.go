package cluster

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdDelete(t *testing.T) {
	tests := map[string]struct {
		args []string       // after `kumoctl cluster delete`
		want *DeleteOptions // what the run gets, without f; nil when refused
		code int            // exit code when refused
		err  string         // part of the error when refused
	}{
		"asks by default": {args: []string{"demo"}, want: &DeleteOptions{Name: "demo", WaitOptions: defaultWait}},
		"--yes --wait":    {args: []string{"demo", "--yes", "--wait", "--timeout", "15m"}, want: &DeleteOptions{Name: "demo", Yes: true, WaitOptions: cmdutil.WaitOptions{Wait: true, Timeout: 15 * time.Minute}}},
		"-y -w":           {args: []string{"demo", "-yw"}, want: &DeleteOptions{Name: "demo", Yes: true, WaitOptions: cmdutil.WaitOptions{Wait: true, Timeout: 10 * time.Minute}}},
		"name required":   {code: cmdutil.ExitUsage, err: "missing NAME"},
		"one at a time":   {args: []string{"demo", "batch"}, code: cmdutil.ExitUsage, err: `too many arguments ["batch"]`},
		"unknown flag":    {args: []string{"demo", "--force"}, code: cmdutil.ExitUsage, err: "unknown flag: --force"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *DeleteOptions
			cmd := NewCmdDelete(env.F, func(_ context.Context, o *DeleteOptions) error { got = o; return nil })
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

// kubeconfig is a user's kubeconfig: the management context "mgmt" and,
// for each of tenants ("namespace/cluster"), the context, cluster and user
// kumo-<namespace>-<cluster> as kumoctl merges them.
func kubeconfig(tenants ...string) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["mgmt"] = &clientcmdapi.Cluster{Server: "https://kumo.example.com:6443"}
	cfg.AuthInfos["alice"] = &clientcmdapi.AuthInfo{Token: "alice-token"}
	cfg.Contexts["mgmt"] = &clientcmdapi.Context{Cluster: "mgmt", AuthInfo: "alice", Namespace: cmdtest.Namespace}
	cfg.CurrentContext = "mgmt"
	for _, t := range tenants {
		ns, cluster, _ := strings.Cut(t, "/")
		name := cmdutil.TenantContextName(ns, cluster)
		cfg.Clusters[name] = &clientcmdapi.Cluster{Server: "https://10.20.0.7:6443"}
		cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: name}
		kctx := &clientcmdapi.Context{Cluster: name, AuthInfo: name}
		cmdutil.SetTenantContext(kctx, cmdutil.TenantContext{Namespace: ns, Cluster: cluster, ManagementContext: "mgmt"})
		cfg.Contexts[name] = kctx
	}
	return cfg
}

func TestDeleteRunForgetsTheKubeconfig(t *testing.T) {
	const demo, batch = "kumo-team-a-demo", "kumo-team-a-batch"
	tests := map[string]struct {
		cluster  string                      // the cluster deleted
		cfg      func() *clientcmdapi.Config // the kubeconfig before
		contexts []string                    // its contexts afterwards; nil: the file is not written
		current  string                      // its current context afterwards
		previous string                      // the previous context kumoctl records afterwards
		stderr   string                      // the end of what is said
	}{
		"the current context goes back to the one before it": {
			cluster: "demo",
			cfg: func() *clientcmdapi.Config {
				cfg := kubeconfig("team-a/demo", "team-a/batch")
				cmdutil.UseContext(cfg, batch)
				cmdutil.UseContext(cfg, demo)
				return cfg
			},
			contexts: []string{"mgmt", batch}, current: batch,
			stderr: "Removed context " + demo + " from CONFIG; switched back to context " + batch + "\n",
		},
		"with no context to go back to, the management context": {
			cluster: "demo",
			cfg: func() *clientcmdapi.Config {
				cfg := kubeconfig("team-a/demo")
				cfg.CurrentContext = demo // switched by kubectl, not kumoctl
				return cfg
			},
			contexts: []string{"mgmt"}, current: "mgmt",
			stderr: "Removed context " + demo + " from CONFIG; switched back to context mgmt\n",
		},
		"a context that is not current goes, and is no longer the previous one": {
			cluster: "demo",
			cfg: func() *clientcmdapi.Config {
				cfg := kubeconfig("team-a/demo", "team-a/batch")
				cmdutil.UseContext(cfg, demo)
				cmdutil.UseContext(cfg, "mgmt")
				return cfg
			},
			contexts: []string{"mgmt", batch}, current: "mgmt",
			stderr: "Removed context " + demo + " from CONFIG\n",
		},
		"another team's cluster of the same name stays": {
			cluster: "demo",
			cfg: func() *clientcmdapi.Config {
				cfg := kubeconfig("team-a/demo", "team-b/demo")
				cmdutil.UseContext(cfg, "kumo-team-b-demo")
				return cfg
			},
			contexts: []string{"mgmt", "kumo-team-b-demo"}, current: "kumo-team-b-demo", previous: "mgmt",
			stderr: "Removed context " + demo + " from CONFIG\n",
		},
		"a renamed context takes the cluster and user it uses with it": {
			cluster: "demo",
			cfg: func() *clientcmdapi.Config {
				cfg := kubeconfig("team-a/demo")
				cfg.Contexts["demo"] = cfg.Contexts[demo] // kubectl config rename-context
				delete(cfg.Contexts, demo)
				return cfg
			},
			contexts: []string{"mgmt"}, current: "mgmt",
			stderr: "Removed context demo from CONFIG\n",
		},
		"a cluster and user another context uses stay": {
			cluster: "demo",
			cfg: func() *clientcmdapi.Config {
				cfg := kubeconfig("team-a/demo")
				cfg.Contexts["debug"] = &clientcmdapi.Context{Cluster: demo, AuthInfo: demo, Namespace: "kube-system"}
				return cfg
			},
			contexts: []string{"mgmt", "debug"}, current: "mgmt",
			stderr: "Removed context " + demo + " from CONFIG\n",
		},
		"nothing merged: the kubeconfig is left alone": {
			cluster: "demo",
			cfg:     func() *clientcmdapi.Config { return kubeconfig("team-a/batch") },
			stderr:  "Deleting cluster demo in team-a\n",
		},
		"a cluster already gone loses its leftover context": {
			cluster: "gone",
			cfg: func() *clientcmdapi.Config {
				cfg := kubeconfig("team-a/gone")
				cmdutil.UseContext(cfg, "kumo-team-a-gone")
				return cfg
			},
			contexts: []string{"mgmt"}, current: "mgmt",
			stderr: "Cluster gone does not exist in team-a (nothing to delete)\nRemoved context kumo-team-a-gone from CONFIG; switched back to context mgmt\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			g.Expect(clientcmd.WriteToFile(*tc.cfg(), env.Kubeconfig)).To(Succeed())
			before, err := os.ReadFile(env.Kubeconfig)
			g.Expect(err).NotTo(HaveOccurred())

			g.Expect(deleteRun(context.Background(), &DeleteOptions{f: env.F, Name: tc.cluster, Yes: true})).To(Succeed())
			g.Expect(env.ErrOut.String()).To(HaveSuffix(strings.ReplaceAll(tc.stderr, "CONFIG", env.Kubeconfig)))
			after, err := os.ReadFile(env.Kubeconfig)
			g.Expect(err).NotTo(HaveOccurred())
			if tc.contexts == nil {
				g.Expect(string(after)).To(Equal(string(before)), "the kubeconfig must not change")
				return
			}
			cfg, err := clientcmd.Load(after)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cfg.Contexts).To(HaveLen(len(tc.contexts)))
			for _, c := range tc.contexts {
				g.Expect(cfg.Contexts).To(HaveKey(c))
				// Each remaining context keeps its cluster and user.
				g.Expect(cfg.Clusters).To(HaveKey(cfg.Contexts[c].Cluster))
				g.Expect(cfg.AuthInfos).To(HaveKey(cfg.Contexts[c].AuthInfo))
			}
			g.Expect(cfg.Clusters).To(HaveLen(len(tc.contexts)), "the removed context's cluster goes too")
			g.Expect(cfg.AuthInfos).To(HaveLen(len(tc.contexts)), "the removed context's user goes too")
			g.Expect(cfg.CurrentContext).To(Equal(tc.current))
			g.Expect(cmdutil.PreviousContext(cfg)).To(Equal(tc.previous))
		})
	}
}
