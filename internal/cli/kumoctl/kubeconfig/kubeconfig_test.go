package kubeconfig

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdKubeconfig(t *testing.T) {
	tests := map[string]struct {
		args []string           // after `kumoctl kubeconfig`
		want *KubeconfigOptions // what the run gets, without f; nil when refused
		code int                // exit code when refused
		err  string             // part of the error when refused
	}{
		"print":                 {args: []string{"demo"}, want: &KubeconfigOptions{Name: "demo"}},
		"to a file":             {args: []string{"demo", "--file", "demo.yaml"}, want: &KubeconfigOptions{Name: "demo", File: "demo.yaml"}},
		"merge":                 {args: []string{"demo", "--merge"}, want: &KubeconfigOptions{Name: "demo", Merge: true}},
		"--use implies --merge": {args: []string{"demo", "--use"}, want: &KubeconfigOptions{Name: "demo", Merge: true, Use: true}},
		"merge into a file":     {args: []string{"demo", "--merge", "--file", "kumo.yaml"}, want: &KubeconfigOptions{Name: "demo", Merge: true, File: "kumo.yaml"}},
		"--context is recorded": {args: []string{"demo", "--merge", "--context", "mgmt"}, want: &KubeconfigOptions{Name: "demo", Merge: true, Context: "mgmt"}},
		"name is required":      {code: cmdutil.ExitUsage, err: "missing NAME"},
		"one cluster at a time": {args: []string{"demo", "web"}, code: cmdutil.ExitUsage, err: `too many arguments ["web"]`},
		"--file needs a path":   {args: []string{"demo", "--file="}, code: cmdutil.ExitUsage, err: "--file needs a path"},
		"--merge takes no value": {
			args: []string{"demo", "--merge=please"}, code: cmdutil.ExitUsage, err: "invalid argument",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *KubeconfigOptions
			cmd := NewCmdKubeconfig(env.F, func(_ context.Context, o *KubeconfigOptions) error { got = o; return nil })
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

func TestKubeconfigPrintsAndWrites(t *testing.T) {
	issued := string(cmdtest.TenantKubeconfig("demo", "https://10.20.0.7:6443"))

	t.Run("printed as issued", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo"})).To(Succeed())
		g.Expect(env.Out.String()).To(Equal(issued))
		g.Expect(env.ErrOut.String()).To(BeEmpty())
	})

	for name, existing := range map[string]bool{"a new file": false, "an existing readable file": true} {
		t.Run("written to "+name+" only the owner can read", func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			path := filepath.Join(t.TempDir(), "sub", "demo.yaml")
			if existing {
				g.Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
				g.Expect(os.WriteFile(path, []byte("old and longer than the new content "+issued), 0o644)).To(Succeed())
			}
			g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", File: path})).To(Succeed())
			g.Expect(read(t, path)).To(Equal(issued))
			info, err := os.Stat(path)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
			g.Expect(env.Out.String()).To(BeEmpty())
			g.Expect(env.ErrOut.String()).To(Equal("Wrote the kubeconfig of demo to " + path + "; use it with `KUBECONFIG=" + path + " kubectl get nodes`\n"))
		})
	}
}

func TestKubeconfigErrors(t *testing.T) {
	// bob may read the clusters of team-a but not their Secrets.
	clustersOnly := []rbacv1.PolicyRule{{APIGroups: []string{kumov1.GroupVersion.Group}, Resources: []string{"clusters"}, Verbs: []string{"get", "list"}}}
	tests := map[string]struct {
		name   string              // the cluster asked for
		rules  []rbacv1.PolicyRule // what the user may do in team-a; nil: everything
		merge  bool                // --merge
		code   int                 // the exit code
		errMsg string              // the error
	}{
		"a cluster that is not ready yet": {
			name: "batch", code: cmdutil.ExitError,
			errMsg: "cluster batch in team-a is not ready yet (Provisioning): its kubeconfig has not been issued; follow it with `kumoctl cluster describe batch`",
		},
		"merging a cluster that is not ready yet": {
			name: "batch", merge: true, code: cmdutil.ExitError, errMsg: "cluster batch in team-a is not ready yet",
		},
		"an unknown cluster names the close ones": {
			name: "dmeo", code: cmdutil.ExitNotFound, errMsg: `cluster "dmeo" not found in namespace "team-a"; did you mean "demo"?`,
		},
		"no access to the secret": {
			name: "demo", rules: clustersOnly, code: cmdutil.ExitForbidden,
			errMsg: `you may not read the kubeconfig of cluster demo in namespace "team-a": your account lacks "get" on "secrets"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			if tc.rules != nil {
				env.As("bob", tc.rules...)
			}
			writeManagementKubeconfig(t, env.Kubeconfig)
			before := read(t, env.Kubeconfig)
			err := kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: tc.name, Merge: tc.merge})
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
			g.Expect(err).To(MatchError(ContainSubstring(tc.errMsg)))
			g.Expect(env.Out.String()).To(BeEmpty())
			g.Expect(read(t, env.Kubeconfig)).To(Equal(before), "the kubeconfig must not change")
		})
	}
}

func TestKubeconfigMerge(t *testing.T) {
	const name = "kumo-team-a-demo"

	t.Run("adds the cluster beside the management context", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true})).To(Succeed())

		cfg := load(t, env.Kubeconfig)
		g.Expect(keys(cfg.Contexts)).To(ConsistOf("mgmt", name))
		g.Expect(keys(cfg.Clusters)).To(ConsistOf("mgmt", name))
		g.Expect(keys(cfg.AuthInfos)).To(ConsistOf("alice", name))
		g.Expect(cfg.CurrentContext).To(Equal("mgmt"), "--merge alone does not switch")
		g.Expect(cfg.Contexts["mgmt"].Namespace).To(Equal("team-a"))
		g.Expect(cfg.Contexts[name].Cluster).To(Equal(name))
		g.Expect(cfg.Contexts[name].AuthInfo).To(Equal(name))
		g.Expect(cfg.Clusters[name].Server).To(Equal("https://10.20.0.7:6443"))
		g.Expect(string(cfg.Clusters[name].CertificateAuthorityData)).To(Equal("ca of demo"))
		g.Expect(string(cfg.AuthInfos[name].ClientCertificateData)).To(Equal("cert of demo"))
		tc, ok := cmdutil.GetTenantContext(cfg.Contexts[name])
		g.Expect(ok).To(BeTrue())
		g.Expect(tc).To(Equal(cmdutil.TenantContext{Namespace: "team-a", Cluster: "demo", ManagementContext: "mgmt"}))
		g.Expect(env.Out.String()).To(BeEmpty())
		g.Expect(env.ErrOut.String()).To(Equal("Merged context " + name + " into " + env.Kubeconfig +
			"; use it with `kubectl --context " + name + "` or switch to it with `kumoctl use demo`\n"))
	})

	t.Run("merging again changes nothing", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		o := &KubeconfigOptions{f: env.F, Name: "demo", Merge: true, Use: true}
		g.Expect(kubeconfigRun(context.Background(), o)).To(Succeed())
		first := read(t, env.Kubeconfig)
		g.Expect(kubeconfigRun(context.Background(), o)).To(Succeed())
		g.Expect(read(t, env.Kubeconfig)).To(Equal(first))
	})

	t.Run("merging again replaces the entries and keeps a namespace set on the context", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true})).To(Succeed())
		// The user picks a namespace; the platform re-issues the kubeconfig.
		cfg := load(t, env.Kubeconfig)
		cfg.Contexts[name].Namespace = "shop"
		g.Expect(clientcmd.WriteToFile(*cfg, env.Kubeconfig)).To(Succeed())
		var secret corev1.Secret
		g.Expect(env.Client().Get(context.Background(), client.ObjectKey{Namespace: "team-a", Name: "demo-kubeconfig"}, &secret)).To(Succeed())
		secret.Data["value"] = cmdtest.TenantKubeconfig("demo", "https://10.20.0.99:6443")
		g.Expect(env.Client().Update(context.Background(), &secret)).To(Succeed())

		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true})).To(Succeed())
		cfg = load(t, env.Kubeconfig)
		g.Expect(keys(cfg.Contexts)).To(ConsistOf("mgmt", name))
		g.Expect(cfg.Clusters[name].Server).To(Equal("https://10.20.0.99:6443"))
		g.Expect(cfg.Contexts[name].Namespace).To(Equal("shop"))
	})

	t.Run("several clusters live side by side", func(t *testing.T) {
		g := NewWithT(t)
		// Both kubeconfigs call their user "admin"; merged, they must not share one.
		env := cmdtest.New(t, append(cmdtest.World(), readyCluster("dev", "https://10.20.0.8:6443")...)...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true})).To(Succeed())
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "dev", Merge: true, Use: true})).To(Succeed())

		cfg := load(t, env.Kubeconfig)
		g.Expect(keys(cfg.Contexts)).To(ConsistOf("mgmt", name, "kumo-team-a-dev"))
		g.Expect(keys(cfg.AuthInfos)).To(ConsistOf("alice", name, "kumo-team-a-dev"))
		g.Expect(string(cfg.AuthInfos[name].ClientCertificateData)).To(Equal("cert of demo"))
		g.Expect(string(cfg.AuthInfos["kumo-team-a-dev"].ClientCertificateData)).To(Equal("cert of dev"))
		g.Expect(cfg.CurrentContext).To(Equal("kumo-team-a-dev"))
		g.Expect(env.ErrOut.String()).To(HaveSuffix("Merged context kumo-team-a-dev into " + env.Kubeconfig + "; switched to it\n"))
	})

	t.Run("--use switches to it", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true, Use: true})).To(Succeed())
		g.Expect(load(t, env.Kubeconfig).CurrentContext).To(Equal(name))
		g.Expect(env.ErrOut.String()).To(Equal("Merged context " + name + " into " + env.Kubeconfig + "; switched to it\n"))
	})

	t.Run("into a missing kubeconfig creates it", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true, Use: true})).To(Succeed())
		cfg := load(t, env.Kubeconfig)
		g.Expect(keys(cfg.Contexts)).To(ConsistOf(name))
		g.Expect(cfg.CurrentContext).To(Equal(name))
	})

	t.Run("--file merges into that file and leaves the kubeconfig alone", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		before := read(t, env.Kubeconfig)
		other := filepath.Join(t.TempDir(), "kumo.yaml")
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true, File: other})).To(Succeed())
		g.Expect(read(t, env.Kubeconfig)).To(Equal(before))
		g.Expect(keys(load(t, other).Contexts)).To(ConsistOf(name))
		info, err := os.Stat(other)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	})

	t.Run("entries stay in the file of KUBECONFIG they are in", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		dir := t.TempDir()
		first, second := filepath.Join(dir, "first"), filepath.Join(dir, "second")
		writeManagementKubeconfig(t, first)
		// An earlier merge went into the second file.
		merged := clientcmdapi.NewConfig()
		g.Expect(mergeInto(merged, mustLoad(t, cmdtest.TenantKubeconfig("demo", "https://old:6443")), name, cmdutil.TenantContext{Namespace: "team-a", Cluster: "demo"})).To(Succeed())
		g.Expect(clientcmd.WriteToFile(*merged, second)).To(Succeed())
		env.F.KubeconfigAccess = func() clientcmd.ConfigAccess {
			return &clientcmd.ClientConfigLoadingRules{Precedence: []string{first, second}}
		}
		firstBefore := read(t, first)

		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true})).To(Succeed())
		g.Expect(read(t, first)).To(Equal(firstBefore))
		g.Expect(load(t, second).Clusters[name].Server).To(Equal("https://10.20.0.7:6443"))
		g.Expect(env.ErrOut.String()).To(HavePrefix("Merged context " + name + " into " + second + ";"))
	})
}

func mustLoad(t *testing.T, data []byte) *clientcmdapi.Config {
	t.Helper()
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestMergeInto(t *testing.T) {
	issued := mustLoad(t, cmdtest.TenantKubeconfig("demo", "https://10.20.0.7:6443"))
	noCurrent := issued.DeepCopy()
	noCurrent.CurrentContext = ""
	twoNoCurrent := noCurrent.DeepCopy()
	twoNoCurrent.Contexts["other"] = twoNoCurrent.Contexts["admin@demo"].DeepCopy()
	noUser := issued.DeepCopy()
	delete(noUser.AuthInfos, "admin")

	tests := map[string]struct {
		src *clientcmdapi.Config // the tenant kubeconfig
		err string               // the error, if any
	}{
		"current context":                  {src: issued},
		"a single context without current": {src: noCurrent},
		"several contexts, none current":   {src: twoNoCurrent, err: "the kubeconfig of cluster demo has no current context"},
		"a context without its user":       {src: noUser, err: "the kubeconfig of cluster demo lacks the cluster or user of its context"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dst := clientcmdapi.NewConfig()
			err := mergeInto(dst, tc.src, "kumo-team-a-demo", cmdutil.TenantContext{Namespace: "team-a", Cluster: "demo"})
			if tc.err != "" {
				g.Expect(err).To(MatchError(tc.err))
				g.Expect(dst.Contexts).To(BeEmpty())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(dst.Contexts["kumo-team-a-demo"].Cluster).To(Equal("kumo-team-a-demo"))
			g.Expect(dst.Clusters["kumo-team-a-demo"].Server).To(Equal("https://10.20.0.7:6443"))
			g.Expect(tc.src.Contexts).NotTo(HaveKey("kumo-team-a-demo"), "the source must not change")
		})
	}
}
