package kwok

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodeheartbeat "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	"sigs.k8s.io/kwok/pkg/apis/internalversion"
	kwokv1alpha1 "sigs.k8s.io/kwok/pkg/apis/v1alpha1"
	"sigs.k8s.io/kwok/pkg/kwok/controllers"
	kwoklog "sigs.k8s.io/kwok/pkg/log"
	kwokclient "sigs.k8s.io/kwok/pkg/utils/client"
	"sigs.k8s.io/yaml"
)

// NodeAnnotation hands a Node to kwok: only annotated Nodes are played, so
// real kubelets can join the same cluster.
const NodeAnnotation = "kwok.x-k8s.io/node"

// NodeAnnotationValue is the value of NodeAnnotation on simulated Nodes.
const NodeAnnotationValue = "fake"

// Options configure the kubelet simulator of one cluster.
type Options struct {
	// Kubeconfig is the path of a kubeconfig with rights over Nodes, Pods,
	// Leases and Events of the tenant cluster.
	Kubeconfig string
	// Log receives kwok's log lines (JSON); nil discards them.
	Log io.Writer
	// NodeLeaseDurationSeconds is the Node lease kwok renews for each node.
	NodeLeaseDurationSeconds uint
	// CIDR is where pod IPs come from.
	CIDR string
}

// Run plays the kubelet of the cluster's simulated Nodes until ctx is done.
// It waits for the API server, and starts again (with backoff) if starting
// fails, so it can be started together with the control plane.
func Run(ctx context.Context, o Options) {
	logger := kwoklog.NewLogger(o.Log, kwoklog.LevelInfo)
	ctx = kwoklog.NewContext(ctx, logger)
	backoff := time.Second
	for ctx.Err() == nil {
		err := runOnce(ctx, o)
		if ctx.Err() != nil {
			return
		}
		logger.Error("Starting kwok failed, retrying", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// runOnce starts kwok's controllers and blocks while they run. On a start
// error it cancels what it started and returns.
func runOnce(parent context.Context, o Options) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	cs, err := kwokclient.NewClientset("", o.Kubeconfig)
	if err != nil {
		return fmt.Errorf("reading kubeconfig: %w", err)
	}
	restConfig, err := cs.ToRESTConfig()
	if err != nil {
		return err
	}
	// client-go's default (5 requests/s) would make a node's pods start one
	// by one; the tenant API server serves this cluster alone.
	restConfig.QPS, restConfig.Burst = 50, 100
	typed, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return err
	}
	if err := waitForAPI(ctx, typed); err != nil {
		return err
	}
	dynamicClient, err := cs.ToDynamicClient()
	if err != nil {
		return err
	}
	restMapper, err := cs.ToRESTMapper()
	if err != nil {
		return err
	}
	restClient, err := rest.RESTClientFor(restConfig)
	if err != nil {
		return err
	}
	stages, err := Stages()
	if err != nil {
		return err
	}
	id, err := controllers.Identity()
	if err != nil {
		return err
	}
	cidr := o.CIDR
	if cidr == "" {
		cidr = "10.244.0.1/16"
	}
	ctr, err := controllers.NewController(controllers.Config{
		Clock:                             clock.RealClock{},
		DynamicClient:                     dynamicClient,
		RESTClient:                        restClient,
		RESTMapper:                        restMapper,
		ImpersonatingDynamicClient:        cs.ToImpersonatingDynamicClient(),
		ImpersonatingTypedClient:          cs.ToImpersonatingTypedClient(),
		TypedClient:                       typed,
		ManageNodesWithAnnotationSelector: NodeAnnotation + "=" + NodeAnnotationValue,
		CIDR:                              cidr,
		LocalStages:                       stages,
		NodeLeaseDurationSeconds:          o.NodeLeaseDurationSeconds,
		NodeLeaseParallelism:              2,
		NodePlayStageParallelism:          2,
		PodPlayStageParallelism:           4,
		PodsOnNodeSyncParallelism:         2,
		ID:                                id,
	})
	if err != nil {
		return err
	}
	if err := ctr.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// waitForAPI polls until the API server lists Nodes, or ctx is done.
func waitForAPI(ctx context.Context, cs kubernetes.Interface) error {
	delay := 200 * time.Millisecond
	for {
		_, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// Stages are kwok's "fast" lifecycle: a Node is Ready at once and renews
// its lease; a Pod runs at once, completes when its containers would, and
// goes when deleted.
func Stages() (map[internalversion.StageResourceRef][]*internalversion.Stage, error) {
	out := map[internalversion.StageResourceRef][]*internalversion.Stage{}
	for _, raw := range []string{
		nodefast.DefaultNodeInit, nodeheartbeat.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady, podfast.DefaultPodComplete, podfast.DefaultPodDelete,
	} {
		var stage kwokv1alpha1.Stage
		if err := yaml.UnmarshalStrict([]byte(raw), &stage); err != nil {
			return nil, fmt.Errorf("reading kwok stage: %w", err)
		}
		s, err := internalversion.ConvertToInternalStage(&stage)
		if err != nil {
			return nil, fmt.Errorf("converting kwok stage %s: %w", stage.Name, err)
		}
		out[s.Spec.ResourceRef] = append(out[s.Spec.ResourceRef], s)
	}
	return out, nil
}

// Version is the kwok module linked into this binary, e.g. "v0.8.0".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "sigs.k8s.io/kwok" {
				return m.Version
			}
		}
	}
	return "unknown"
}

// NodeInfo is what a simulated Node reports of itself: the kubelet version
// of its cluster (upgrades and skew checks read it), and an OS image,
// kernel and container runtime that say the node is simulated.
func NodeInfo(kubeletVersion string) corev1.NodeSystemInfo {
	return corev1.NodeSystemInfo{
		Architecture:            "amd64",
		OperatingSystem:         "linux",
		KubeletVersion:          kubeletVersion,
		OSImage:                 "Kumo simulated node (kwok " + Version() + ")",
		KernelVersion:           "simulated",
		ContainerRuntimeVersion: "kwok://" + Version(),
	}
}
