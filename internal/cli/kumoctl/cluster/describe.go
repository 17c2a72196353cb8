package cluster

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/catalog"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// DescribeOptions are the inputs of `kumoctl cluster describe`.
type DescribeOptions struct {
	f    *cmdutil.Factory
	Name string
}

// NewCmdDescribe builds `kumoctl cluster describe`.
func NewCmdDescribe(f *cmdutil.Factory, runF func(context.Context, *DescribeOptions) error) *cobra.Command {
	o := &DescribeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a cluster in detail: conditions, node pools, machines, recent events",
		Long: `Show everything about one cluster: its phase and versions, the state of its
control plane and nodes (conditions with their reasons), each node pool,
each machine (VM) with its hypervisor, and the most recent events of the
cluster and its machines, also of machines since removed (which nodes were
drained, which VMs deleted). When something is stuck, the conditions and
events say why.`,
		Example:           `  kumoctl cluster describe demo`,
		Args:              cmdutil.ExactArgs(1, "NAME"),
		ValidArgsFunction: cmdutil.CompleteClusterName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return describeRun(cmd.Context(), o)
		},
	}
	return cmd
}

func describeRun(ctx context.Context, o *DescribeOptions) error {
	c, err := o.f.Client()
	if err != nil {
		return err
	}
	ns, err := o.f.Namespace()
	if err != nil {
		return err
	}
	cl, err := cmdutil.GetCluster(ctx, c, ns, o.Name)
	if err != nil {
		return err
	}
	var machines kumov1.MachineList
	if err := c.List(ctx, &machines, client.InNamespace(ns), client.MatchingLabels{kumov1.ClusterNameLabel: cl.Name}); err != nil {
		return cmdutil.APIError(err, "list machines of "+cl.Name, ns)
	}
	var events eventsv1.EventList
	// Events are best effort: a tenant without read access still gets the rest.
	_ = c.List(ctx, &events, client.InNamespace(ns))
	kubeconfigHint := cl.Status.KubeconfigSecret != "" && cmdutil.MayReadKubeconfigs(ctx, c, ns)
	return describe(o.f.IOStreams.Out, o.f, cl, machines.Items, events.Items, kubeconfigHint)
}

// describe writes the description; kubeconfigHint says the reader may
// fetch the cluster's kubeconfig.
func describe(w io.Writer, f *cmdutil.Factory, cl *kumov1.Cluster, machines []kumov1.Machine, events []eventsv1.Event, kubeconfigHint bool) error {
	now := f.Now()
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
	p("Name:        %s\n", cl.Name)
	p("Namespace:   %s\n", cl.Namespace)
	p("Phase:       %s\n", cmdutil.OrNone(string(cl.Status.Phase)))
	p("Version:     %s (running %s)\n", cl.Spec.Version, cmdutil.OrNone(cl.Status.Version))
	// The tenant hears of an aging release here, not only in Conditions.
	if c := meta.FindStatusCondition(cl.Status.Conditions, kumov1.VersionSupportedCondition); c != nil && c.Reason != catalog.ReasonSupported {
		p("Support:     %s\n", c.Message)
	}
	switch region := cl.EffectiveRegion(); {
	case cl.Status.MigratingTo != "":
		p("Region:      %s, migrating to %s (`kumoctl migrate status %s`)\n", region, cl.Status.MigratingTo, cl.Name)
	case region != cl.Spec.Region:
		p("Region:      %s (migrated from %s)\n", region, cl.Spec.Region)
	default:
		p("Region:      %s\n", region)
	}
	if e := cl.Spec.ControlPlane.Endpoint; e != nil {
		p("Endpoint:    https://%s:%d\n", e.Host, e.Port)
	}
	switch {
	case kubeconfigHint:
		p("Kubeconfig:  secret %s (`kumoctl kubeconfig %s`)\n", cl.Status.KubeconfigSecret, cl.Name)
	case cl.Status.KubeconfigSecret != "":
		p("Kubeconfig:  secret %s\n", cl.Status.KubeconfigSecret)
	}
	p("Nodes:       %d/%d ready\n", cl.Status.ReadyNodes, cl.DesiredReplicas())
	p("Created:     %s ago\n", cmdutil.Age(now, cl.CreationTimestamp))
	if cl.Spec.Paused {
		p("Paused:      true (the platform changes nothing until unpaused)\n")
	}
	if cl.EvacuationOptedOut() {
		p("Evacuation:  opted out (nodes stay on noisy hypervisors; events tell when one would have moved)\n")
	}

	p("\nNode pools:\n")
	t := cmdutil.NewTable(indent(w), "NAME", "FLAVOR", "DESIRED", "CURRENT", "READY")
	status := map[string]kumov1.NodePoolStatus{}
	for _, s := range cl.Status.NodePools {
		status[s.Name] = s
	}
	for _, np := range cl.Spec.NodePools {
		s := status[np.Name]
		t.Row(np.Name, np.Flavor, fmt.Sprint(np.Replicas), fmt.Sprint(s.Replicas), fmt.Sprint(s.ReadyReplicas))
	}
	_ = t.Flush()

	p("\nConditions:\n")
	t = cmdutil.NewTable(indent(w), "TYPE", "STATUS", "REASON", "AGE", "MESSAGE")
	for _, c := range cl.Status.Conditions {
		t.Row(c.Type, string(c.Status), c.Reason, cmdutil.Age(now, c.LastTransitionTime), cmdutil.OrNone(c.Message))
	}
	_ = t.Flush()

	p("\nMachines:\n")
	if len(machines) == 0 {
		p("  <none>\n")
	} else {
		sort.Slice(machines, func(i, j int) bool { return machines[i].Name < machines[j].Name })
		t = cmdutil.NewTable(indent(w), "NAME", "POOL", "PHASE", "HYPERVISOR", "ADDRESS", "MESSAGE")
		for _, m := range machines {
			msg := ""
			if c := meta.FindStatusCondition(m.Status.Conditions, kumov1.ReadyCondition); c != nil && c.Status != "True" {
				msg = c.Message
			}
			t.Row(m.Name, m.Spec.Pool, cmdutil.OrNone(string(m.Status.Phase)), cmdutil.OrNone(m.Status.Hypervisor), cmdutil.OrNone(m.Status.Address), cmdutil.OrNone(msg))
		}
		_ = t.Flush()
	}

	describeEvacuations(w, now, cl, machines)

	p("\nEvents:\n")
	mine := ownEvents(cl, machines, events)
	if len(mine) == 0 {
		p("  <none>\n")
		return nil
	}
	t = cmdutil.NewTable(indent(w), "AGE", "TYPE", "REASON", "OBJECT", "MESSAGE")
	for _, e := range mine {
		// An event of the cluster about one of its machines names the machine.
		about := e.Regarding
		if e.Related != nil {
			about = *e.Related
		}
		t.Row(cmdutil.Age(now, metav1Time(eventTime(e))), e.Type, e.Reason, strings.ToLower(about.Kind)+"/"+about.Name, e.Note)
	}
	return t.Flush()
}

// ownEvents picks, oldest first and at most the last 15, the events
// regarding the cluster or one of its current machines, by UID: a cluster
// or machine of the same name deleted before has another UID. The events
// of a machine's removal regard the cluster, so they stay after it is gone.
func ownEvents(cl *kumov1.Cluster, machines []kumov1.Machine, events []eventsv1.Event) []eventsv1.Event {
	uids := map[types.UID]bool{cl.UID: true}
	for _, m := range machines {
		uids[m.UID] = true
	}
	var mine []eventsv1.Event
	for _, e := range events {
		if e.Regarding.UID != "" && uids[e.Regarding.UID] {
			mine = append(mine, e)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return eventTime(mine[i]).Before(eventTime(mine[j])) })
	if len(mine) > 15 {
		mine = mine[len(mine)-15:]
	}
	return mine
}

// describeEvacuations lists the cluster's recent moves of nodes off noisy
// hypervisors, newest first; nothing if there were none.
func describeEvacuations(w io.Writer, now time.Time, cl *kumov1.Cluster, machines []kumov1.Machine) {
	recs := kumov1.EvacuationRecords(cl.Annotations)
	if len(recs) == 0 {
		return
	}
	live := map[string]bool{}
	for _, m := range machines {
		if m.DeletionTimestamp.IsZero() {
			live[m.Name] = true
		}
	}
	_, _ = fmt.Fprintf(w, "\nRecent evacuations (nodes moved off hypervisors whose other VMs took their CPU):\n")
	t := cmdutil.NewTable(indent(w), "AGE", "NODE", "HYPERVISOR", "STEAL", "REPLACEMENT", "STATE")
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		state := "done"
		if live[r.Machine] {
			state = "moving"
		}
		t.Row(cmdutil.Age(now, r.Started), r.Machine, r.Region+"/"+r.Hypervisor, fmt.Sprintf("%.0f%%", r.StealPercent), cmdutil.OrNone(r.Replacement), state)
	}
	_ = t.Flush()
}
