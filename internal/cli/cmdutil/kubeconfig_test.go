package cmdutil_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

func writeConfig(t *testing.T, path, context string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[context] = &clientcmdapi.Cluster{Server: "https://" + context + ".example.com"}
	cfg.AuthInfos[context] = &clientcmdapi.AuthInfo{Token: "token"}
	cfg.Contexts[context] = &clientcmdapi.Context{Cluster: context, AuthInfo: context}
	cfg.CurrentContext = context
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}

// TestKubeconfigAccess checks that the real factory reads and writes the
// kubeconfig files kubectl would: --kubeconfig, else $KUBECONFIG.
func TestKubeconfigAccess(t *testing.T) {
	tests := map[string]struct {
		kubeconfigFlag string   // --kubeconfig, relative to a temp dir
		env            []string // $KUBECONFIG's files, relative to the temp dir
		existing       []string // files that exist before, each with a context named after it
		wantFile       string   // the file the new context goes to
	}{
		"KUBECONFIG":                          {env: []string{"config"}, existing: []string{"config"}, wantFile: "config"},
		"KUBECONFIG not yet existing":         {env: []string{"new"}, wantFile: "new"},
		"the first existing file of several":  {env: []string{"a", "b"}, existing: []string{"b"}, wantFile: "b"},
		"--kubeconfig wins over KUBECONFIG":   {kubeconfigFlag: "flag", env: []string{"config"}, existing: []string{"flag", "config"}, wantFile: "flag"},
		"--kubeconfig alone":                  {kubeconfigFlag: "flag", existing: []string{"flag"}, wantFile: "flag"},
		"KUBECONFIG with the same file twice": {env: []string{"config", "config"}, existing: []string{"config"}, wantFile: "config"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			for _, f := range tc.existing {
				writeConfig(t, filepath.Join(dir, f), f)
			}
			var env []string
			for _, f := range tc.env {
				env = append(env, filepath.Join(dir, f))
			}
			t.Setenv("KUBECONFIG", strings.Join(env, string(os.PathListSeparator)))
			flags := &cmdutil.ConfigFlags{}
			if tc.kubeconfigFlag != "" {
				flags.Kubeconfig = filepath.Join(dir, tc.kubeconfigFlag)
			}
			ios, _, _, _ := cmdutil.Test()
			f := cmdutil.New(ios, flags)

			access := f.KubeconfigAccess()
			cfg, err := access.GetStartingConfig()
			g.Expect(err).NotTo(HaveOccurred())
			cfg.Clusters["added"] = &clientcmdapi.Cluster{Server: "https://added.example.com"}
			cfg.AuthInfos["added"] = &clientcmdapi.AuthInfo{Token: "added"}
			cfg.Contexts["added"] = &clientcmdapi.Context{Cluster: "added", AuthInfo: "added"}
			cfg.CurrentContext = "added"
			g.Expect(clientcmd.ModifyConfig(access, *cfg, true)).To(Succeed())

			written, err := clientcmd.LoadFromFile(filepath.Join(dir, tc.wantFile))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(written.Contexts).To(HaveKey("added"))
			g.Expect(written.CurrentContext).To(Equal("added"))
			for _, f := range tc.existing {
				kept, err := clientcmd.LoadFromFile(filepath.Join(dir, f))
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(kept.Contexts).To(HaveKey(f), "the existing context of %s stays", f)
				if f != tc.wantFile {
					g.Expect(kept.Contexts).NotTo(HaveKey("added"))
				}
			}
			info, err := os.Stat(filepath.Join(dir, tc.wantFile))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		})
	}
}

func TestTenantContextName(t *testing.T) {
	NewWithT(t).Expect(cmdutil.TenantContextName("team-a", "demo")).To(Equal("kumo-team-a-demo"))
}

func TestTenantContextSurvivesTheKubeconfigFile(t *testing.T) {
	g := NewWithT(t)
	want := cmdutil.TenantContext{Namespace: "team-a", Cluster: "demo", ManagementContext: "mgmt"}
	cfg := clientcmdapi.NewConfig()
	kctx := &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cmdutil.SetTenantContext(kctx, want)
	cfg.Contexts["kumo-team-a-demo"] = kctx

	data, err := clientcmd.Write(*cfg)
	g.Expect(err).NotTo(HaveOccurred())
	loaded, err := clientcmd.Load(data)
	g.Expect(err).NotTo(HaveOccurred())
	got, ok := cmdutil.GetTenantContext(loaded.Contexts["kumo-team-a-demo"])
	g.Expect(ok).To(BeTrue())
	g.Expect(got).To(Equal(want))
}

func TestManagementContext(t *testing.T) {
	tenant := func(mgmt string) *clientcmdapi.Context {
		c := &clientcmdapi.Context{Cluster: "t", AuthInfo: "t"}
		cmdutil.SetTenantContext(c, cmdutil.TenantContext{Namespace: "team-a", Cluster: "demo", ManagementContext: mgmt})
		return c
	}
	config := func(current string) *clientcmdapi.Config {
		cfg := clientcmdapi.NewConfig()
		cfg.Contexts["mgmt"] = &clientcmdapi.Context{Cluster: "m", AuthInfo: "m"}
		cfg.Contexts["kumo-team-a-demo"] = tenant("mgmt")
		cfg.Contexts["kumo-team-a-old"] = tenant("")
		cfg.CurrentContext = current
		return cfg
	}
	tests := map[string]struct {
		cfg      *clientcmdapi.Config // the user's kubeconfig
		explicit string               // --context
		want     string               // the context for the management API
	}{
		"the current context":                  {cfg: config("mgmt"), want: "mgmt"},
		"--context wins":                       {cfg: config("kumo-team-a-demo"), explicit: "other", want: "other"},
		"a tenant context: the one it records": {cfg: config("kumo-team-a-demo"), want: "mgmt"},
		"a tenant context recording none":      {cfg: config("kumo-team-a-old"), want: "kumo-team-a-old"},
		"no current context":                   {cfg: config(""), want: ""},
		"a current context that is missing":    {cfg: config("gone"), want: "gone"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			NewWithT(t).Expect(cmdutil.ManagementContext(tc.cfg, tc.explicit)).To(Equal(tc.want))
		})
	}
}

func TestGetTenantContextOfOtherContexts(t *testing.T) {
	g := NewWithT(t)
	_, ok := cmdutil.GetTenantContext(nil)
	g.Expect(ok).To(BeFalse())
	_, ok = cmdutil.GetTenantContext(&clientcmdapi.Context{Cluster: "c"})
	g.Expect(ok).To(BeFalse())
}
