package kubeconfig

import (
	"context"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdUse(t *testing.T) {
	tests := map[string]struct {
		args []string    // after `kumoctl use`
		want *UseOptions // what the run gets, without f; nil when refused
		code int         // exit code when refused
		err  string      // part of the error when refused
	}{
		"use":                   {args: []string{"demo"}, want: &UseOptions{Name: "demo"}},
		"back":                  {args: []string{"-"}, want: &UseOptions{Name: "-"}},
		"--context is recorded": {args: []string{"demo", "--context=mgmt"}, want: &UseOptions{Name: "demo", Context: "mgmt"}},
		"name is required":      {code: cmdutil.ExitUsage, err: "missing NAME; usage: kumoctl use NAME"},
		"one cluster":           {args: []string{"demo", "web"}, code: cmdutil.ExitUsage, err: "too many arguments"},
		"no flags of its own":   {args: []string{"demo", "--merge"}, code: cmdutil.ExitUsage, err: "unknown flag: --merge"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *UseOptions
			cmd := NewCmdUse(env.F, func(_ context.Context, o *UseOptions) error { got = o; return nil })
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

func TestUseRun(t *testing.T) {
	const name = "kumo-team-a-demo"

	t.Run("merges a cluster it does not have yet and switches to it", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "demo"})).To(Succeed())
		cfg := load(t, env.Kubeconfig)
		g.Expect(cfg.CurrentContext).To(Equal(name))
		g.Expect(keys(cfg.Contexts)).To(ConsistOf("mgmt", name))
		g.Expect(env.ErrOut.String()).To(Equal("Merged context " + name + " into " + env.Kubeconfig + "; switched to it\n"))
	})

	t.Run("switches to a merged context without the management API", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Merge: true})).To(Succeed())
		merged := load(t, env.Kubeconfig)
		env.ErrOut.Reset()
		env.F.Client = func() (client.Client, error) { return nil, errors.New("the management API must not be needed") }

		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "demo"})).To(Succeed())
		cfg := load(t, env.Kubeconfig)
		g.Expect(cfg.CurrentContext).To(Equal(name))
		g.Expect(cfg.Contexts).To(Equal(merged.Contexts), "only the current context changes")
		g.Expect(env.ErrOut.String()).To(Equal("Switched to context " + name + "\n"))

		env.ErrOut.Reset()
		before := read(t, env.Kubeconfig)
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "demo"})).To(Succeed())
		g.Expect(env.ErrOut.String()).To(Equal("Already using context " + name + "\n"))
		g.Expect(read(t, env.Kubeconfig)).To(Equal(before), "staying writes nothing")
	})

	t.Run("switching between clusters remembers the management context", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, append(cmdtest.World(), readyCluster("dev", "https://10.20.0.8:6443")...)...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "demo"})).To(Succeed())
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "dev"})).To(Succeed())
		cfg := load(t, env.Kubeconfig)
		g.Expect(cfg.CurrentContext).To(Equal("kumo-team-a-dev"))
		dev, ok := cmdutil.GetTenantContext(cfg.Contexts["kumo-team-a-dev"])
		g.Expect(ok).To(BeTrue())
		g.Expect(dev.ManagementContext).To(Equal("mgmt"), "not the tenant context that was current")
		g.Expect(cmdutil.ManagementContext(cfg, "")).To(Equal("mgmt"))
	})

	t.Run("--context is the management context", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "demo", Context: "kumo-admin"})).To(Succeed())
		tc, _ := cmdutil.GetTenantContext(load(t, env.Kubeconfig).Contexts[name])
		g.Expect(tc.ManagementContext).To(Equal("kumo-admin"))
	})

	t.Run("- goes back to the context before, and back again", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, cmdtest.World()...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(kubeconfigRun(context.Background(), &KubeconfigOptions{f: env.F, Name: "demo", Use: true, Merge: true})).To(Succeed())
		env.ErrOut.Reset()
		env.F.Client = func() (client.Client, error) { return nil, errors.New("the management API must not be needed") }

		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "-"})).To(Succeed())
		cfg := load(t, env.Kubeconfig)
		g.Expect(cfg.CurrentContext).To(Equal("mgmt"))
		g.Expect(cmdutil.PreviousContext(cfg)).To(Equal(name))
		g.Expect(env.ErrOut.String()).To(Equal("Switched to context mgmt\n"))

		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "-"})).To(Succeed())
		cfg = load(t, env.Kubeconfig)
		g.Expect(cfg.CurrentContext).To(Equal(name))
		g.Expect(cmdutil.PreviousContext(cfg)).To(Equal("mgmt"))
	})

	t.Run("- after kubectl went back already is no switch", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t)
		writeManagementKubeconfig(t, env.Kubeconfig)
		cfg := load(t, env.Kubeconfig)
		cmdutil.UseContext(cfg, name) // kumoctl use demo
		cfg.CurrentContext = "mgmt"   // kubectl config use-context mgmt
		g.Expect(clientcmd.WriteToFile(*cfg, env.Kubeconfig)).To(Succeed())

		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "-"})).To(Succeed())
		g.Expect(env.ErrOut.String()).To(Equal("Already using context mgmt\n"))
		cfg = load(t, env.Kubeconfig)
		g.Expect(cfg.CurrentContext).To(Equal("mgmt"))
		g.Expect(cmdutil.PreviousContext(cfg)).To(BeEmpty(), "the record named the current context, not one before it")
		err := useRun(context.Background(), &UseOptions{f: env.F, Name: "-"})
		g.Expect(err).To(MatchError(ContainSubstring("no previous context to go back to")))
	})

	t.Run("switching records the context it leaves", func(t *testing.T) {
		g := NewWithT(t)
		env := cmdtest.New(t, append(cmdtest.World(), readyCluster("dev", "https://10.20.0.8:6443")...)...)
		writeManagementKubeconfig(t, env.Kubeconfig)
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "demo"})).To(Succeed())
		g.Expect(cmdutil.PreviousContext(load(t, env.Kubeconfig))).To(Equal("mgmt"))
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "dev"})).To(Succeed())
		g.Expect(cmdutil.PreviousContext(load(t, env.Kubeconfig))).To(Equal(name))
		g.Expect(useRun(context.Background(), &UseOptions{f: env.F, Name: "dev"})).To(Succeed())
		g.Expect(cmdutil.PreviousContext(load(t, env.Kubeconfig))).To(Equal(name), "staying is no switch")
	})

	backErrs := map[string]struct {
		previous string // the previous context recorded, if any
		code     int    // the exit code
		err      string // the error
	}{
		"- with no previous context":   {code: cmdutil.ExitError, err: "no previous context to go back to"},
		"- to a context since removed": {previous: "gone", code: cmdutil.ExitNotFound, err: "the previous context gone is no longer in your kubeconfig"},
	}
	for desc, tc := range backErrs {
		t.Run(desc, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			writeManagementKubeconfig(t, env.Kubeconfig)
			if tc.previous != "" {
				cfg := load(t, env.Kubeconfig)
				cmdutil.UseContext(cfg, tc.previous)
				cmdutil.UseContext(cfg, "mgmt")
				g.Expect(clientcmd.WriteToFile(*cfg, env.Kubeconfig)).To(Succeed())
			}
			before := read(t, env.Kubeconfig)
			err := useRun(context.Background(), &UseOptions{f: env.F, Name: "-"})
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
			g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
			g.Expect(read(t, env.Kubeconfig)).To(Equal(before))
		})
	}

	errs := map[string]struct {
		cluster string // the cluster asked for
		code    int    // the exit code
		err     string // the error
	}{
		"a cluster that is not ready yet": {cluster: "batch", code: cmdutil.ExitError, err: "cluster batch in team-a is not ready yet"},
		"an unknown cluster":              {cluster: "dmo", code: cmdutil.ExitNotFound, err: `cluster "dmo" not found in namespace "team-a"; did you mean "demo"?`},
	}
	for desc, tc := range errs {
		t.Run(desc, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, cmdtest.World()...)
			writeManagementKubeconfig(t, env.Kubeconfig)
			before := read(t, env.Kubeconfig)
			err := useRun(context.Background(), &UseOptions{f: env.F, Name: tc.cluster})
			g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
			g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
			g.Expect(read(t, env.Kubeconfig)).To(Equal(before))
		})
	}
}
