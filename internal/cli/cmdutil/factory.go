package cmdutil

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// Factory gives commands what they need, built on first use so that
// `--help` and flag errors never touch a kubeconfig.
type Factory struct {
	IOStreams *IOStreams
	// Client returns a client for the management API.
	Client func() (client.Client, error)
	// Namespace is the tenant team: --namespace, else the kubeconfig
	// context's namespace, else "default".
	Namespace func() (string, error)
	// KubeconfigAccess reads and writes the user's kubeconfig files.
	KubeconfigAccess func() clientcmd.ConfigAccess
	// Now is the clock (tests pin it).
	Now func() time.Time
	// PollInterval is how often --wait re-reads state.
	PollInterval time.Duration
}

// ConfigFlags are kubectl's connection flags, with the same names.
type ConfigFlags struct {
	Kubeconfig string
	Context    string
	Namespace  string
}

// AddFlags registers --kubeconfig, --context and -n/--namespace.
func (c *ConfigFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "path to the kubeconfig of the Kumo management API (default $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&c.Context, "context", "", "kubeconfig context to use")
	fs.StringVarP(&c.Namespace, "namespace", "n", "", "your team's namespace (default: the context's namespace)")
}

func (c *ConfigFlags) loader() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.Context}
	overrides.Context.Namespace = c.Namespace
	if c.Context == "" {
		// After `kumoctl use`, the current context is a tenant cluster;
		// kumoctl keeps talking to the management API it came from.
		if raw, err := rules.Load(); err == nil {
			overrides.CurrentContext = ManagementContext(raw, "")
		}
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// New returns the real factory, reading connection settings from flags.
func New(streams *IOStreams, flags *ConfigFlags) *Factory {
	f := &Factory{IOStreams: streams, Now: time.Now, PollInterval: time.Second}
	var cached client.Client
	f.Client = func() (client.Client, error) {
		if cached != nil {
			return cached, nil
		}
		cfg, err := flags.loader().ClientConfig()
		if err != nil {
			return nil, Exit(ExitError, "reading kubeconfig: %v (point KUBECONFIG or --kubeconfig at the Kumo management API)", err)
		}
		tune(cfg)
		c, err := client.New(cfg, client.Options{Scheme: kumov1.NewScheme()})
		if err != nil {
			return nil, fmt.Errorf("connecting to the management API: %w", err)
		}
		cached = c
		return c, nil
	}
	f.Namespace = func() (string, error) {
		ns, _, err := flags.loader().Namespace()
		if err != nil {
			return "", Exit(ExitError, "reading namespace from kubeconfig: %v", err)
		}
		return ns, nil
	}
	f.KubeconfigAccess = func() clientcmd.ConfigAccess {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = flags.Kubeconfig
		return rules
	}
	return f
}

func tune(cfg *rest.Config) {
	cfg.QPS, cfg.Burst = 50, 100
	cfg.Timeout = 30 * time.Second
	cfg.UserAgent = "kumoctl"
}
