package console

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/process"
)

// Console writes timestamped lines for people.
type Console struct {
	w   io.Writer
	now func() time.Time

	mu       sync.Mutex
	clusters map[types.NamespacedName]seen
}

// seen is what the console last knew of a cluster.
type seen struct {
	phase  kumov1.ClusterPhase
	reason string // of the Ready condition
	// wasReady and readyNodes: whether it was Ready since it was first seen,
	// and with how many nodes, to tell "Ready" from "scaled".
	wasReady   bool
	readyNodes int32
}

// New returns a console writing to w.
func New(w io.Writer) *Console {
	return &Console{w: w, now: time.Now, clusters: map[types.NamespacedName]seen{}}
}

// Printf writes one line, prefixed with the time of day.
func (c *Console) Printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = fmt.Fprintf(c.w, "%s %s\n", c.now().Format(time.TimeOnly), fmt.Sprintf(format, args...))
}

// Restarted is a process.Spec.OnRestart: it says which component exited,
// why, and where its log is.
func (c *Console) Restarted(spec process.Spec, exit error) {
	c.Printf("%s exited (%s), restarting it; log: %s", spec.Name, process.ExitReason(exit), spec.LogFile)
}

// ComponentEvent is a process.Spec.OnEvent for the platform's own
// components: a hung or crash-looping etcd or API server stops the whole
// platform, so the person who ran `kumo up` hears of it and of its
// recovery. Restarts are Restarted's.
func (c *Console) ComponentEvent(e process.Event) {
	if e.Reason == process.Restarted {
		return
	}
	c.Printf("%s; log: %s", e.Message, e.Spec.LogFile)
}

// Watch makes the console report Cluster changes from mgr's cache while mgr
// runs (as leader: only the leader's clusters change).
func (c *Console) Watch(mgr manager.Manager) error {
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		inf, err := mgr.GetCache().GetInformer(ctx, &kumov1.Cluster{})
		if err != nil {
			return fmt.Errorf("watching clusters: %w", err)
		}
		reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerDetailedFuncs{
			AddFunc: func(obj any, initial bool) {
				if cl, ok := obj.(*kumov1.Cluster); ok {
					c.ClusterChanged(cl, initial)
				}
			},
			UpdateFunc: func(_, obj any) {
				if cl, ok := obj.(*kumov1.Cluster); ok {
					c.ClusterChanged(cl, false)
				}
			},
			DeleteFunc: func(obj any) {
				if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
					obj = d.Obj
				}
				if cl, ok := obj.(*kumov1.Cluster); ok {
					c.ClusterDeleted(cl)
				}
			},
		})
		if err != nil {
			return fmt.Errorf("watching clusters: %w", err)
		}
		<-ctx.Done()
		_ = inf.RemoveEventHandler(reg)
		return nil
	}))
}

// ClusterChanged reports what changed since the console last saw cl, if a
// person cares: created, Ready, scaled, failed. initial marks the clusters
// that existed when the console started; they are noted, not reported.
func (c *Console) ClusterChanged(cl *kumov1.Cluster, initial bool) {
	key := types.NamespacedName{Namespace: cl.Namespace, Name: cl.Name}
	c.mu.Lock()
	prev, known := c.clusters[key]
	cur := prev
	cur.phase = cl.Status.Phase
	cur.reason, cur.wasReady = "", prev.wasReady
	ready := meta.FindStatusCondition(cl.Status.Conditions, kumov1.ReadyCondition)
	if ready != nil {
		cur.reason = ready.Reason
	}
	if cur.phase == kumov1.ClusterReady {
		cur.wasReady, cur.readyNodes = true, cl.Status.DesiredNodes
	}
	c.clusters[key] = cur
	c.mu.Unlock()

	switch {
	case initial:
	case !known:
		c.Printf("%s created: Kubernetes %s in %s, %d nodes", key, cl.Spec.Version, cl.EffectiveRegion(), cl.DesiredReplicas())
	case cur.phase == kumov1.ClusterReady && prev.wasReady && prev.readyNodes != cur.readyNodes:
		c.Printf("%s scaled from %d to %d nodes", key, prev.readyNodes, cur.readyNodes)
	case cur.phase == kumov1.ClusterReady && prev.phase != kumov1.ClusterReady:
		endpoint := ""
		if ep := cl.Spec.ControlPlane.Endpoint; ep != nil {
			endpoint = fmt.Sprintf(", API https://%s:%d", ep.Host, ep.Port)
		}
		c.Printf("%s is Ready: Kubernetes %s, %s nodes%s", key, cl.Status.Version, cl.Status.Nodes, endpoint)
	case cur.phase == kumov1.ClusterFailed && (prev.phase != kumov1.ClusterFailed || prev.reason != cur.reason):
		c.Printf("%s failed: %s: %s", key, cur.reason, message(ready))
	case cur.phase == kumov1.ClusterPending && (prev.phase != kumov1.ClusterPending || prev.reason != cur.reason):
		c.Printf("%s is Pending: %s: %s", key, cur.reason, message(ready))
	}
}

func message(c *metav1.Condition) string {
	if c == nil {
		return ""
	}
	return c.Message
}

// ClusterDeleted reports that cl is gone.
func (c *Console) ClusterDeleted(cl *kumov1.Cluster) {
	key := types.NamespacedName{Namespace: cl.Namespace, Name: cl.Name}
	c.mu.Lock()
	delete(c.clusters, key)
	c.mu.Unlock()
	c.Printf("%s deleted", key)
}
