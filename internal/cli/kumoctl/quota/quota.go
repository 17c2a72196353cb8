package quota

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// Options are the inputs of `kumoctl quota`.
type Options struct {
	f      *cmdutil.Factory
	Output string
}

var formats = []string{cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML}

// NewCmdQuota builds `kumoctl quota`; runF replaces the run in tests.
func NewCmdQuota(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{f: f}
	cmd := &cobra.Command{
		Use:   "quota",
		Short: "Show how much of its quota your team uses",
		Long: `Show your team's quota: how many clusters, nodes and vCPUs (by the nodes'
flavors) its clusters take, against the limits the platform team set, and
what is left (FREE). Clusters being deleted no longer count.

A create, scale-up or new node pool that would pass a limit is refused
(exit code 2) with a message naming the limit; what exists keeps running.
A limit marked "(platform default)" is the platform's, not one set for your
team; "none" is no limit. Only the platform team changes limits.

-o json or yaml prints the TeamQuota object: spec holds the team's own
limits, status.limits those in effect, status.used the counts.`,
		Example: `  kumoctl quota
  kumoctl quota -o json | jq '.status.used'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.ValidateOutput(o.Output, formats...); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return run(cmd.Context(), o)
		},
	}
	cmdutil.AddOutputFlag(cmd, &o.Output, formats...)
	return cmd
}

func run(ctx context.Context, o *Options) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	q := &kumov1.TeamQuota{}
	err = c.Get(ctx, client.ObjectKey{Namespace: ns, Name: kumov1.TeamQuotaName}, q)
	if apierrors.IsNotFound(err) {
		return cmdutil.Exit(cmdutil.ExitNotFound, "team %q has no quota yet: the platform makes one with the team's first cluster, or when the platform team admits the team", ns)
	}
	if err != nil {
		return cmdutil.APIError(err, "read the quota of team "+ns, ns)
	}
	if o.Output == cmdutil.OutputJSON || o.Output == cmdutil.OutputYAML {
		q.APIVersion, q.Kind = kumov1.GroupVersion.String(), "TeamQuota"
		return cmdutil.PrintStructured(o.f.IOStreams.Out, o.Output, q)
	}
	t := cmdutil.NewTable(o.f.IOStreams.Out, "RESOURCE", "USED", "LIMIT", "FREE")
	for _, r := range []struct {
		name  string
		own   *int64
		limit *int64
		used  func(kumov1.QuotaUsage) int64
	}{
		{"clusters", q.Spec.MaxClusters, q.Status.Limits.Clusters, func(u kumov1.QuotaUsage) int64 { return u.Clusters }},
		{"nodes", q.Spec.MaxNodes, q.Status.Limits.Nodes, func(u kumov1.QuotaUsage) int64 { return u.Nodes }},
		{"vCPUs", q.Spec.MaxVCPUs, q.Status.Limits.VCPUs, func(u kumov1.QuotaUsage) int64 { return u.VCPUs }},
	} {
		used, limit, free := "<unknown>", "none", "-"
		switch {
		case r.limit != nil:
			limit = fmt.Sprint(*r.limit)
			if r.own == nil {
				limit += " (platform default)"
			}
		case q.Status.Used == nil && r.own != nil: // not described yet
			limit = fmt.Sprint(*r.own)
		case q.Status.Used == nil:
			limit = "<unknown>"
		}
		if q.Status.Used != nil {
			n := r.used(*q.Status.Used)
			used = fmt.Sprint(n)
			if r.limit != nil {
				free = fmt.Sprint(max(*r.limit-n, 0))
			}
		}
		t.Row(r.name, used, limit, free)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if cond := meta.FindStatusCondition(q.Status.Conditions, kumov1.WithinQuotaCondition); cond != nil && cond.Status == metav1.ConditionFalse {
		_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Over quota: %s.\n", cond.Message)
	}
	if q.Status.Used == nil {
		_, _ = fmt.Fprintln(o.f.IOStreams.ErrOut, "The platform has not counted your team's clusters yet; try again in a moment.")
	}
	return nil
}
