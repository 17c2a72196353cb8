// Package migrate holds the `kumoctl migrate` commands, one per file: they
// create and steer a cluster's ClusterMigration, which is named after the
// cluster.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// NewCmdMigrate groups the migrate commands.
func NewCmdMigrate(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Move a cluster's nodes to another region, in steps, with rollback",
		Long: `Move a cluster's worker nodes to another region without downtime. Each step
first creates its share of new nodes in the target region and waits until
they are Ready, then cordons and drains as many old nodes through the
eviction API (PodDisruptionBudgets are honoured; no pod is deleted by
force). The old nodes stay, cordoned, until the soak after the last step
ends, so a rollback puts the cluster back at once, with the same nodes.

Only workers move: the control plane is run by the platform, not in a
region. While a cluster migrates its node pools cannot change. A cluster has
one migration at a time, named after it.`,
		Example: `  kumoctl migrate start demo --to osaka-1 --wait
  kumoctl migrate start demo --to osaka-1 --steps 10,50,100 --approval manual --soak 30m
  kumoctl migrate status demo
  kumoctl migrate next demo
  kumoctl migrate rollback demo --wait
  kumoctl migrate finish demo
  kumoctl migrate list`,
	}
	cmdutil.Group(cmd)
	cmd.AddCommand(
		NewCmdStart(f, nil),
		NewCmdStatus(f, nil),
		NewCmdList(f, nil),
		NewCmdNext(f, nil),
		NewCmdPause(f, nil),
		NewCmdResume(f, nil),
		NewCmdRollback(f, nil),
		NewCmdFinish(f, nil),
	)
	return cmd
}

// getMigration reads a cluster's migration; a missing one is a not-found
// error that says how to start one.
func getMigration(ctx context.Context, c client.Client, ns, name string) (*kumov1.ClusterMigration, error) {
	m := &kumov1.ClusterMigration{}
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, m)
	if apierrors.IsNotFound(err) {
		return nil, cmdutil.Exit(cmdutil.ExitNotFound, "cluster %q has no migration in namespace %q; start one with `kumoctl migrate start %s --to REGION`", name, ns, name)
	}
	if err != nil {
		return nil, cmdutil.APIError(err, "read the migration of "+name, ns)
	}
	return m, nil
}

// updateMigration applies change to a cluster's active migration,
// retrying on conflicts; change refuses with a coded error when the
// migration is not in a state it applies to.
func updateMigration(ctx context.Context, f *cmdutil.Factory, name string, change func(*kumov1.ClusterMigration) error) (*kumov1.ClusterMigration, error) {
	c, err := f.Client()
	if err != nil {
		return nil, err
	}
	ns, err := f.Namespace()
	if err != nil {
		return nil, err
	}
	var m *kumov1.ClusterMigration
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if m, err = getMigration(ctx, c, ns, name); err != nil {
			return err
		}
		if m.Status.Phase.Finished() {
			return cmdutil.Exit(cmdutil.ExitError, "the migration of %s is %s already; nothing to change (start another with `kumoctl migrate start %s --to REGION`)", name, m.Status.Phase, name)
		}
		if err := change(m); err != nil {
			return err
		}
		return c.Update(ctx, m)
	})
	var coded *cmdutil.CodedError
	if err != nil && !errors.As(err, &coded) {
		return nil, cmdutil.APIError(err, "update the migration of "+name, ns)
	}
	return m, err
}

// waitMigration waits until done says the migration got where the command
// wanted it, failing on a final phase it did not want, or on a drain that
// is blocked (DrainBlocked), with that condition's message.
func waitMigration(ctx context.Context, f *cmdutil.Factory, name string, timeout time.Duration, done func(*kumov1.ClusterMigration) bool) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	ns, err := f.Namespace()
	if err != nil {
		return err
	}
	follow := fmt.Sprintf("follow it with `kumoctl migrate status %s -n %s`", name, ns)
	return cmdutil.WaitFor(ctx, f, name, follow, timeout, func(ctx context.Context) (cmdutil.Outcome, string, error) {
		m, err := getMigration(ctx, c, ns, name)
		if err != nil {
			return cmdutil.Pending, "", err
		}
		detail := progress(m)
		switch {
		case done(m):
			return cmdutil.Done, detail, nil
		case m.Status.Phase.Finished():
			return cmdutil.Failed, detail, nil
		}
		if b := meta.FindStatusCondition(m.Status.Conditions, kumov1.DrainBlockedCondition); b != nil && b.Status == metav1.ConditionTrue && m.Status.Phase == kumov1.MigrationMigrating {
			return cmdutil.Failed, "drain blocked: " + b.Message, nil
		}
		return cmdutil.Pending, detail, nil
	})
}

// progress is one line of what a migration does: its step, the nodes on
// each side, the drains in progress and what it waits for.
func progress(m *kumov1.ClusterMigration) string {
	st := m.Status
	phase := string(st.Phase)
	if phase == "" {
		phase = string(kumov1.MigrationPending)
	}
	line := fmt.Sprintf("%s, step %d/%d, nodes %s %d / %s %d", phase, st.Step, len(m.StepPercents()),
		cmdutil.OrNone(st.SourceRegion), st.NodesInSource, m.Spec.TargetRegion, st.NodesInTarget)
	if st.Draining > 0 {
		line += fmt.Sprintf(", draining %d", st.Draining)
	}
	cond := findProgressing(m)
	if st.Phase == kumov1.MigrationFailed {
		cond = meta.FindStatusCondition(st.Conditions, kumov1.AcceptedCondition)
	}
	if cond != nil && cond.Message != "" {
		line += ": " + cond.Message
	}
	return line
}

// percents formats steps as "25, 50, 100".
func percents(steps []int32) string {
	out := make([]string, 0, len(steps))
	for _, p := range steps {
		out = append(out, fmt.Sprint(p))
	}
	return strings.Join(out, ", ")
}

// printMigration writes the migration as JSON or YAML, or described.
func printMigration(f *cmdutil.Factory, output string, m *kumov1.ClusterMigration) error {
	m.TypeMeta = metav1.TypeMeta{APIVersion: kumov1.GroupVersion.String(), Kind: "ClusterMigration"}
	switch output {
	case cmdutil.OutputJSON, cmdutil.OutputYAML:
		return cmdutil.PrintStructured(f.IOStreams.Out, output, m)
	}
	return describe(f, m)
}

// describe writes a migration for people.
func describe(f *cmdutil.Factory, m *kumov1.ClusterMigration) error {
	w := f.IOStreams.Out
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
	st := m.Status
	soak := "5m0s"
	if m.Spec.Soak != nil {
		soak = m.Spec.Soak.Duration.String()
	}
	p("Cluster:     %s\n", m.Spec.ClusterName)
	p("From:        %s\n", cmdutil.OrNone(st.SourceRegion))
	p("To:          %s\n", m.Spec.TargetRegion)
	p("Phase:       %s\n", cmdutil.OrNone(string(st.Phase)))
	p("Step:        %d of %d (steps %s%%, approval %s, soak %s)\n", st.Step, len(m.StepPercents()), percents(m.StepPercents()), orDefault(string(m.Spec.Approval), "Automatic"), soak)
	p("Nodes:       %d in %s, %d in %s, %d draining\n", st.NodesInSource, cmdutil.OrNone(st.SourceRegion), st.NodesInTarget, m.Spec.TargetRegion, st.Draining)
	if m.Spec.Paused {
		p("Paused:      true (`kumoctl migrate resume %s`)\n", m.Name)
	}
	if m.Spec.Rollback {
		p("Rollback:    requested\n")
	}
	if st.StartedAt != nil {
		p("Started:     %s ago\n", cmdutil.Age(f.Now(), *st.StartedAt))
	}
	if st.FinishedAt != nil {
		p("Finished:    %s ago\n", cmdutil.Age(f.Now(), *st.FinishedAt))
	}
	if len(st.Conditions) > 0 {
		p("Conditions:\n")
		t := cmdutil.NewTable(w, "  TYPE", "STATUS", "REASON", "MESSAGE")
		for _, c := range st.Conditions {
			t.Row("  "+c.Type, string(c.Status), c.Reason, c.Message)
		}
		return t.Flush()
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func findProgressing(m *kumov1.ClusterMigration) *metav1.Condition {
	return meta.FindStatusCondition(m.Status.Conditions, kumov1.ProgressingCondition)
}
