package migrate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// StartOptions are the inputs of `kumoctl migrate start`.
type StartOptions struct {
	f        *cmdutil.Factory
	Name     string
	To       string
	Steps    []int32
	Approval string
	Soak     time.Duration
	Output   string
	cmdutil.WaitOptions
}

// NewCmdStart builds `kumoctl migrate start`; runF replaces the run in tests.
func NewCmdStart(f *cmdutil.Factory, runF func(context.Context, *StartOptions) error) *cobra.Command {
	o := &StartOptions{f: f}
	cmd := &cobra.Command{
		Use:   "start CLUSTER --to REGION [--steps 25,50,100] [--approval manual] [--soak 5m]",
		Short: "Start moving a cluster's nodes to another region",
		Long: `Start a migration of the cluster's worker nodes to --to. Every step moves its
percentage of every node pool (--steps, strictly increasing, ending at 100):
new nodes first, then the drain of as many old ones. With --approval manual
each step after the first waits for "kumoctl migrate next". After the last
step the old nodes stay cordoned for --soak (roll back until then), then
they and their VMs are deleted and the cluster reports the new region.

The platform refuses, before anything is created, a region that does not
exist or is the cluster's own, a region without vCPUs for the whole cluster,
a cluster that is not Ready, and a second migration of a cluster; the
command then exits 2 with the reason. A finished migration (Completed,
RolledBack, Failed) of the cluster is replaced.

--wait follows the migration until it completes (or waits for approval),
showing the step, the nodes on each side and the drains; it exits 5 when the
migration fails, rolls back or a drain is blocked, with the reason.`,
		Example: `  # move demo to osaka-1 in three steps, waiting until it is done
  kumoctl migrate start demo --to osaka-1 --wait

  # one step at a time, and an hour to change your mind
  kumoctl migrate start demo --to osaka-1 --steps 10,50,100 --approval manual --soak 1h`,
		Args:              cmdutil.ExactArgs(1, "CLUSTER"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return startRun(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.To, "to", "", "the region to move to (see: kumoctl regions)")
	fl.Int32SliceVar(&o.Steps, "steps", []int32{25, 50, 100}, "percentages of every pool moved after each step, ending at 100")
	fl.StringVar(&o.Approval, "approval", "automatic", "automatic: each step starts when the last is done; manual: each waits for \"kumoctl migrate next\"")
	fl.DurationVar(&o.Soak, "soak", 5*time.Minute, "how long the old nodes stay after the last step, for a rollback (0s: none)")
	cmdutil.AddWaitFlags(cmd, &o.WaitOptions, time.Hour)
	cmdutil.AddOutputFlag(cmd, &o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
	_ = cmd.RegisterFlagCompletionFunc("to", cmdutil.CompleteRegions(f))
	_ = cmd.RegisterFlagCompletionFunc("approval", cobra.FixedCompletions([]string{"automatic", "manual"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *StartOptions) validate() error {
	if o.To == "" {
		return cmdutil.UsageError("--to is required: the region to move to (see: kumoctl regions)")
	}
	if len(o.Steps) == 0 || o.Steps[len(o.Steps)-1] != 100 {
		return cmdutil.UsageError("--steps must end at 100, e.g. --steps 25,50,100")
	}
	for i, p := range o.Steps {
		if p < 1 || p > 100 || (i > 0 && p <= o.Steps[i-1]) {
			return cmdutil.UsageError("--steps must be strictly increasing percentages from 1 to 100, e.g. --steps 25,50,100")
		}
	}
	switch strings.ToLower(o.Approval) {
	case "automatic", "manual":
	default:
		return cmdutil.UsageError("--approval must be automatic or manual, not %q", o.Approval)
	}
	if o.Soak < 0 {
		return cmdutil.UsageError("--soak must not be negative")
	}
	return cmdutil.ValidateOutput(o.Output, cmdutil.OutputTable, cmdutil.OutputJSON, cmdutil.OutputYAML)
}

func (o *StartOptions) approval() kumov1.MigrationApproval {
	if strings.EqualFold(o.Approval, "manual") {
		return kumov1.ApprovalManual
	}
	return kumov1.ApprovalAutomatic
}

func startRun(ctx context.Context, o *StartOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	if _, err := cmdutil.GetCluster(ctx, c, ns, o.Name); err != nil {
		return err
	}
	if err := replaceFinished(ctx, c, ns, o.Name); err != nil {
		return err
	}
	m := &kumov1.ClusterMigration{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: o.Name},
		Spec: kumov1.ClusterMigrationSpec{
			ClusterName: o.Name, TargetRegion: o.To, Steps: o.Steps, Approval: o.approval(),
			Soak: &metav1.Duration{Duration: o.Soak},
		},
	}
	if err := c.Create(ctx, m); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return cmdutil.Exit(cmdutil.ExitError, "cluster %s is migrating already; see `kumoctl migrate status %s`", o.Name, o.Name)
		}
		return cmdutil.APIError(err, "start the migration of "+o.Name, ns)
	}
	if m, err = awaitAdmission(ctx, o.f, c, m); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(o.f.IOStreams.ErrOut, "Migration of %s from %s to %s started: steps %s%%, approval %s, soak %s\n",
		o.Name, m.Status.SourceRegion, o.To, percents(o.Steps), m.Spec.Approval, o.Soak)
	if o.Wait {
		err := waitMigration(ctx, o.f, o.Name, o.Timeout, func(m *kumov1.ClusterMigration) bool {
			return m.Status.Phase == kumov1.MigrationCompleted || m.Status.Phase == kumov1.MigrationWaitingForApproval
		})
		if err != nil {
			return err
		}
		if m, err = getMigration(ctx, c, ns, o.Name); err != nil {
			return err
		}
	}
	if o.Output == cmdutil.OutputTable && !o.Wait {
		return nil
	}
	return printMigration(o.f, o.Output, m)
}

// replaceFinished deletes the cluster's finished migration, so that a new
// one can take its name; an active one is left for the create to refuse.
func replaceFinished(ctx context.Context, c client.Client, ns, name string) error {
	old := &kumov1.ClusterMigration{}
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, old)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return cmdutil.APIError(err, "read the migration of "+name, ns)
	}
	if !old.Status.Phase.Finished() {
		return cmdutil.Exit(cmdutil.ExitError, "cluster %s is migrating to %s already (%s); one migration at a time: see `kumoctl migrate status %s`",
			name, old.Spec.TargetRegion, progress(old), name)
	}
	if err := c.Delete(ctx, old, client.Preconditions{UID: &old.UID}); client.IgnoreNotFound(err) != nil {
		return cmdutil.APIError(err, "replace the finished migration of "+name, ns)
	}
	// The name is free once the object is gone (it may hold a finalizer a moment).
	for range 50 {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, old); apierrors.IsNotFound(err) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cmdutil.Exit(cmdutil.ExitError, "the finished migration of %s is still being deleted; try again in a moment", name)
}

// awaitAdmission waits (briefly) until the platform accepted or refused
// the migration, so that a refusal is the command's answer, exit code 2.
func awaitAdmission(ctx context.Context, f *cmdutil.Factory, c client.Client, m *kumov1.ClusterMigration) (*kumov1.ClusterMigration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(f.PollInterval)
	defer tick.Stop()
	for {
		got := &kumov1.ClusterMigration{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(m), got); err == nil {
			if cond := meta.FindStatusCondition(got.Status.Conditions, kumov1.AcceptedCondition); cond != nil {
				if cond.Status != metav1.ConditionTrue {
					return nil, cmdutil.Exit(cmdutil.ExitUsage, "the platform refused to migrate %s (%s): %s", m.Name, cond.Reason, cond.Message)
				}
				return got, nil
			}
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				// The manager may be down; the migration starts when it is back.
				_, _ = fmt.Fprintf(f.IOStreams.ErrOut, "The platform has not picked up the migration yet; follow it with `kumoctl migrate status %s`\n", m.Name)
				return m, nil
			}
			return nil, cmdutil.Exit(cmdutil.ExitInterrupt, "interrupted")
		case <-tick.C:
		}
	}
}
