package migrate

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

func TestNewCmdStart(t *testing.T) {
	defaults := StartOptions{Name: "demo", To: "osaka-1", Steps: []int32{25, 50, 100}, Approval: "automatic", Soak: 5 * time.Minute,
		Output: "table", WaitOptions: cmdutil.WaitOptions{Timeout: time.Hour}}
	with := func(change func(*StartOptions)) *StartOptions {
		o := defaults
		change(&o)
		return &o
	}
	tests := map[string]struct {
		args []string      // after `kumoctl migrate start`
		want *StartOptions // what the run gets, without f; nil when refused
		err  string        // part of the usage error when refused
	}{
		"defaults": {args: []string{"demo", "--to", "osaka-1"}, want: &defaults},
		"all flags": {args: []string{"demo", "--to", "osaka-1", "--steps", "10,100", "--approval", "manual", "--soak", "0s", "--wait", "-o", "yaml"}, want: with(func(o *StartOptions) {
			o.Steps, o.Approval, o.Soak, o.Wait, o.Output = []int32{10, 100}, "manual", 0, true, "yaml"
		})},
		"no target":       {args: []string{"demo"}, err: "--to is required"},
		"no cluster":      {args: []string{"--to", "osaka-1"}, err: "missing CLUSTER"},
		"not ending 100":  {args: []string{"demo", "--to", "osaka-1", "--steps", "25,50"}, err: "--steps must end at 100"},
		"not increasing":  {args: []string{"demo", "--to", "osaka-1", "--steps", "50,50,100"}, err: "strictly increasing"},
		"bad approval":    {args: []string{"demo", "--to", "osaka-1", "--approval", "later"}, err: `--approval must be automatic or manual, not "later"`},
		"negative soak":   {args: []string{"demo", "--to", "osaka-1", "--soak", "-1m"}, err: "--soak must not be negative"},
		"unknown output":  {args: []string{"demo", "--to", "osaka-1", "-o", "name"}, err: `unknown output format "name"`},
		"not a step list": {args: []string{"demo", "--to", "osaka-1", "--steps", "half,all"}, err: "invalid argument"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t)
			var got *StartOptions
			cmd := NewCmdStart(env.F, func(_ context.Context, o *StartOptions) error { got = o; return nil })
			err := cmdtest.Execute(env, cmd, tc.args...)
			if tc.want == nil {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				g.Expect(cmdutil.CodeOf(err)).To(Equal(cmdutil.ExitUsage))
				g.Expect(got).To(BeNil(), "the run must not start")
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tc.want.f = env.F
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

// migration is demo's migration to osaka-1 in the given state.
func migration(phase kumov1.MigrationPhase, step int32, change func(*kumov1.ClusterMigration)) *kumov1.ClusterMigration {
	m := &kumov1.ClusterMigration{
		ObjectMeta: metav1.ObjectMeta{Namespace: cmdtest.Namespace, Name: "demo", CreationTimestamp: metav1.NewTime(cmdtest.Now.Add(-10 * time.Minute))},
		Spec: kumov1.ClusterMigrationSpec{ClusterName: "demo", TargetRegion: "osaka-1", Steps: []int32{50, 100},
			Approval: kumov1.ApprovalManual, Soak: &metav1.Duration{Duration: time.Hour}},
		Status: kumov1.ClusterMigrationStatus{Phase: phase, Step: step, SourceRegion: "tokyo-1", NodesInSource: 4, NodesInTarget: 2,
			Conditions: []metav1.Condition{{Type: kumov1.ProgressingCondition, Status: metav1.ConditionTrue, Reason: kumov1.WaitingForApprovalReason,
				Message: "step 1 of 2 (50%) is done", LastTransitionTime: metav1.NewTime(cmdtest.Now.Add(-time.Minute))}}},
	}
	if change != nil {
		change(m)
	}
	return m
}

func TestStatusAndList(t *testing.T) {
	g := NewWithT(t)
	env := cmdtest.New(t, append(cmdtest.World(), migration(kumov1.MigrationWaitingForApproval, 1, nil))...)
	g.Expect(cmdtest.Execute(env, NewCmdStatus(env.F, nil), "demo")).To(Succeed())
	g.Expect(env.Out.String()).To(And(
		ContainSubstring("From:        tokyo-1"),
		ContainSubstring("To:          osaka-1"),
		ContainSubstring("Phase:       WaitingForApproval"),
		ContainSubstring("Step:        1 of 2 (steps 50, 100%, approval Manual, soak 1h0m0s)"),
		ContainSubstring("step 1 of 2 (50%) is done"),
	))

	env.Out.Reset()
	g.Expect(cmdtest.Execute(env, NewCmdStatus(env.F, nil), "demo", "-o", "json")).To(Succeed())
	g.Expect(env.Out.String()).To(And(ContainSubstring(`"kind": "ClusterMigration"`), ContainSubstring(`"targetRegion": "osaka-1"`)))

	env.Out.Reset()
	g.Expect(cmdtest.Execute(env, NewCmdList(env.F, nil))).To(Succeed())
	g.Expect(env.Out.String()).To(MatchRegexp(`CLUSTER\s+FROM\s+TO\s+PHASE\s+STEP\s+NODES\s+AGE\n` +
		`demo\s+tokyo-1\s+osaka-1\s+WaitingForApproval\s+1/2\s+4/2\s+10m\n`))

	err := cmdtest.Execute(env, NewCmdStatus(env.F, nil), "batch")
	g.Expect(cmdutil.CodeOf(err)).To(Equal(cmdutil.ExitNotFound))
	g.Expect(err).To(MatchError(ContainSubstring("cluster \"batch\" has no migration")))
}

func TestSteering(t *testing.T) {
	tests := map[string]struct {
		// m is the migration before the command; cmd builds the command.
		m   *kumov1.ClusterMigration
		cmd func(*cmdutil.Factory, func(context.Context, *ChangeOptions) error) *cobra.Command
		// want checks the spec afterwards; code and err when refused.
		want func(Gomega, *kumov1.ClusterMigration)
		code int
		err  string
	}{
		"next approves the next step": {
			m:    migration(kumov1.MigrationWaitingForApproval, 1, nil),
			cmd:  NewCmdNext,
			want: func(g Gomega, m *kumov1.ClusterMigration) { g.Expect(m.Spec.ApprovedSteps).To(BeEquivalentTo(2)) },
		},
		"next while a step runs": {
			m:    migration(kumov1.MigrationMigrating, 0, nil),
			cmd:  NewCmdNext,
			code: cmdutil.ExitError, err: "does not wait for approval",
		},
		"pause": {
			m:    migration(kumov1.MigrationMigrating, 0, nil),
			cmd:  NewCmdPause,
			want: func(g Gomega, m *kumov1.ClusterMigration) { g.Expect(m.Spec.Paused).To(BeTrue()) },
		},
		"resume": {
			m:    migration(kumov1.MigrationPaused, 0, func(m *kumov1.ClusterMigration) { m.Spec.Paused = true }),
			cmd:  NewCmdResume,
			want: func(g Gomega, m *kumov1.ClusterMigration) { g.Expect(m.Spec.Paused).To(BeFalse()) },
		},
		"rollback": {
			m:    migration(kumov1.MigrationSoaking, 2, nil),
			cmd:  NewCmdRollback,
			want: func(g Gomega, m *kumov1.ClusterMigration) { g.Expect(m.Spec.Rollback).To(BeTrue()) },
		},
		"finish ends the soak": {
			m:    migration(kumov1.MigrationSoaking, 2, nil),
			cmd:  NewCmdFinish,
			want: func(g Gomega, m *kumov1.ClusterMigration) { g.Expect(m.Spec.Soak.Duration).To(BeZero()) },
		},
		"a finished migration": {
			m:    migration(kumov1.MigrationCompleted, 2, nil),
			cmd:  NewCmdRollback,
			code: cmdutil.ExitError, err: "is Completed already",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			env := cmdtest.New(t, append(cmdtest.World(), tc.m)...)
			err := cmdtest.Execute(env, tc.cmd(env.F, nil), "demo")
			got := &kumov1.ClusterMigration{}
			g.Expect(env.Client().Get(context.Background(), client.ObjectKeyFromObject(tc.m), got)).To(Succeed())
			if tc.want == nil {
				g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
				g.Expect(cmdutil.CodeOf(err)).To(Equal(tc.code))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tc.want(g, got)
		})
	}
}
