package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// CreateOptions are the inputs of `kumoctl cluster create`.
type CreateOptions struct {
	f       *cmdutil.Factory
	Name    string
	Version string
	Region  string
	Nodes   int32
	Flavor  string
	Pool    string
	Output  string
	cmdutil.WaitOptions
}

// NewCmdCreate builds `kumoctl cluster create`; runF replaces the run in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	o := &CreateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "create NAME [--version VERSION] [--region REGION] [--nodes N]",
		Short: "Create a cluster",
		Long: `Create a Kubernetes cluster in your team's namespace: a control plane run by
the platform and one node pool of --nodes VMs of --flavor in --region.

Without --version the cluster gets the platform's default version (the one
the platform team marked, else the newest Supported one; see "kumoctl
versions"). Without --region it runs in the platform's default region: the
one the platform team marked if it can take the nodes (it is Ready, offers
--flavor and has room), else the Ready region with the most free vCPUs that
has room for them; see "kumoctl regions". The "created" line says what was
chosen, and why the marked region was passed over.

The version, region, flavor and free capacity are checked before anything is
created, so a refused command leaves nothing behind. Without --wait the
command returns at once; follow progress with "kumoctl cluster describe".
Creating a cluster that already exists with the same spec succeeds and
changes nothing, also when its region has filled up since (say, after
--wait gave up).`,
		Example: `  # the default version and region, three nodes
  kumoctl cluster create demo

  # three nodes on Kubernetes 1.36 in tokyo-1, waiting until Ready
  kumoctl cluster create demo --version 1.36 --region tokyo-1 --nodes 3 --wait

  # bigger nodes, in another team's namespace
  kumoctl cluster create batch -n team-b --version 1.36 --region osaka-1 --nodes 5 --flavor m1.xlarge`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return createRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Version, "version", "", "Kubernetes version, e.g. 1.36 (default: the platform's default; see: kumoctl versions)")
	fl.StringVar(&o.Region, "region", "", "region to run in (default: the platform's default region; see: kumoctl regions)")
	fl.Int32Var(&o.Nodes, "nodes", cmdutil.DefaultNodes, "number of worker nodes")
	fl.StringVar(&o.Flavor, "flavor", cmdutil.DefaultFlavor, "VM size of the nodes (see: kumoctl regions -o wide)")
	fl.StringVar(&o.Pool, "pool", "default", "name of the node pool")
	cmdutil.AddWaitFlags(cmd, &o.WaitOptions, 10*time.Minute)
	cmdutil.AddOutputFlag(cmd, &o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
	_ = cmd.RegisterFlagCompletionFunc("region", cmdutil.CompleteRegions(f))
	_ = cmd.RegisterFlagCompletionFunc("version", cmdutil.CompleteVersions(f))
	return cmd
}

func (o *CreateOptions) validate() error {
	if err := cmdutil.ValidateName("cluster", o.Name, 40); err != nil {
		return err
	}
	if err := cmdutil.ValidateName("pool", o.Pool, 40); err != nil {
		return err
	}
	if err := cmdutil.ValidateNodes(o.Nodes); err != nil {
		return err
	}
	return cmdutil.ValidateOutput(o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML, cmdutil.OutputName)
}

func createRun(ctx context.Context, o *CreateOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	// An existing cluster is compared, not created again: the defaults and
	// free capacity are only for a new one (the region of an existing one
	// may be full with its own VMs).
	cluster := &kumov1.Cluster{}
	err = c.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.Name}, cluster)
	switch {
	case err == nil:
		err = o.unchanged(ctx, c, ns, cluster)
	case apierrors.IsNotFound(err):
		cluster, err = o.create(ctx, c, ns)
	default:
		err = cmdutil.APIError(err, "read cluster "+o.Name, ns)
	}
	if err != nil {
		return err
	}
	if o.Wait {
		if err := cmdutil.WaitForCluster(ctx, o.f, c, ns, o.Name, o.Timeout, cmdutil.ClusterReady); err != nil {
			return err
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(cluster), cluster); err != nil {
			return cmdutil.APIError(err, "read cluster "+o.Name, ns)
		}
	}
	return printCluster(o.f, o.Output, cluster)
}

// create creates the cluster, choosing the defaults and checking capacity
// first. Should another create win the race, it is the existing cluster.
func (o *CreateOptions) create(ctx context.Context, c client.Client, ns string) (*kumov1.Cluster, error) {
	version, versionNote, err := o.version(ctx, c)
	if err != nil {
		return nil, err
	}
	region, regionNote := o.Region, ""
	if region == "" {
		var why string
		if region, why, err = cmdutil.DefaultRegion(ctx, c, o.Flavor, o.Nodes); err != nil {
			return nil, err
		}
		regionNote = " (" + why + ")"
	}
	if err := cmdutil.CheckCapacity(ctx, c, region, o.Flavor, o.Nodes); err != nil {
		return nil, err
	}
	cluster := &kumov1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: kumov1.GroupVersion.String(), Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: o.Name},
		Spec:       kumov1.ClusterSpec{Version: version, Region: region, NodePools: o.nodePools()},
	}
	err = c.Create(ctx, cluster)
	switch {
	case apierrors.IsAlreadyExists(err):
		existing, err := cmdutil.GetCluster(ctx, c, ns, o.Name)
		if err != nil {
			return nil, err
		}
		return existing, o.unchanged(ctx, c, ns, existing)
	case err != nil:
		return nil, cmdutil.APIError(err, "create cluster "+o.Name, ns)
	}
	_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Cluster %s created in %s: Kubernetes %s%s, %d x %s in %s%s\n",
		o.Name, ns, version, versionNote, o.Nodes, o.Flavor, region, regionNote)
	return cluster, nil
}

// unchanged says that the existing cluster already is what was asked for,
// or refuses a different spec.
func (o *CreateOptions) unchanged(ctx context.Context, c client.Client, ns string, existing *kumov1.Cluster) error {
	if !o.sameSpec(existing) {
		hint := "pick another name"
		if cmdutil.MayChangeClusters(ctx, c, ns) {
			hint = "change it with `kumoctl cluster scale` or " + hint
		}
		return cmdutil.Exit(cmdutil.ExitError, "cluster %q already exists in %q with a different spec; %s", o.Name, ns, hint)
	}
	_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Cluster %s already exists in %s (unchanged)\n", o.Name, ns)
	return nil
}

// version is the version the cluster spec carries, and a note when it is
// the platform's default rather than --version.
func (o *CreateOptions) version(ctx context.Context, c client.Client) (string, string, error) {
	if o.Version != "" {
		v, err := cmdutil.ResolveVersion(ctx, c, o.Version)
		return v, "", err
	}
	v, err := cmdutil.DefaultVersion(ctx, c)
	return v, " (default)", err
}

// sameSpec: what the user set on create matches. A version or region left
// to the platform's default matches whatever the cluster got: the default
// may have changed since. A version is compared as the spec carries it
// (ResolveVersion keeps it but for a leading "v"), not against today's
// catalog.
func (o *CreateOptions) sameSpec(existing *kumov1.Cluster) bool {
	return (o.Version == "" || existing.Spec.Version == strings.TrimPrefix(o.Version, "v")) &&
		(o.Region == "" || existing.Spec.Region == o.Region) &&
		equality.Semantic.DeepEqual(existing.Spec.NodePools, o.nodePools())
}

// nodePools is the one pool a new cluster gets.
func (o *CreateOptions) nodePools() []kumov1.NodePool {
	return []kumov1.NodePool{{Name: o.Pool, Replicas: o.Nodes, Flavor: o.Flavor}}
}

func printCluster(f *cmdutil.Factory, output string, cluster *kumov1.Cluster) error {
	cluster.TypeMeta = metav1.TypeMeta{APIVersion: kumov1.GroupVersion.String(), Kind: "Cluster"}
	switch output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return cmdutil.PrintStructured(f.IOStreams.Out, output, cluster)
	case cmdutil.OutputName:
		_, err := fmt.Fprintf(f.IOStreams.Out, "cluster/%s\n", cluster.Name)
		return err
	}
	return printClusterTable(f, []kumov1.Cluster{*cluster}, false, false)
}
