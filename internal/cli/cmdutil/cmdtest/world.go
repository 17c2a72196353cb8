package cmdtest

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/pki"
)

// World is a small platform for tests: three regions, a version catalog,
// and clusters of two teams.
//
//	team-a/demo   Ready, tokyo-1, pools default (3 x m1.medium) and gpu (1 x g1.large), kubeconfig issued,
//	              scaled in from 4 nodes 5h ago; events also of an earlier demo (another UID), deleted 73h ago
//	team-a/batch  Provisioning, osaka-1, pool default (5 x m1.xlarge), no kubeconfig yet
//	team-b/web    Ready, tokyo-1, pool default (2 x m1.small)
//
// team-a's quota allows 3 clusters and 64 vCPUs, and the platform default
// of 10 nodes; it uses 2 clusters, 9 nodes and 50 vCPUs. team-b has none.
//
// tokyo-1 has 32 vCPUs free, osaka-1 none; nagoya-1 has not reported yet.
func World() []client.Object {
	objs := []client.Object{
		region("tokyo-1", kumov1.ProviderSim, 0, fleet(4, 32), kumov1.RegionStatus{Hypervisors: 4, VCPUs: 512, UsedVCPUs: 480, Servers: 96, Flavors: []kumov1.FlavorInfo{
			{Name: "m1.small", VCPUs: 1, MemoryMiB: 2048},
			{Name: "m1.medium", VCPUs: 2, MemoryMiB: 4096},
			{Name: "m1.xlarge", VCPUs: 8, MemoryMiB: 32768},
			{Name: "g1.large", VCPUs: 4, MemoryMiB: 16384},
		}}),
		region("osaka-1", kumov1.ProviderOpenStack, 2, nil, kumov1.RegionStatus{Hypervisors: 12, VCPUs: 1536, UsedVCPUs: 1536, Servers: 301, Flavors: []kumov1.FlavorInfo{
			{Name: "m1.medium", VCPUs: 2, MemoryMiB: 4096},
			{Name: "m1.xlarge", VCPUs: 8, MemoryMiB: 32768},
			{Name: "t1.nano", VCPUs: 1, MemoryMiB: 512},
		}}),
		region("nagoya-1", "", 0, fleet(2, 16), kumov1.RegionStatus{}),
		release("1.34.8", kumov1.ReleaseDeprecated),
		release("1.35.5", kumov1.ReleaseSupported),
		release("1.36.2", kumov1.ReleaseSupported),
		release("1.36.3", kumov1.ReleaseSupported),
	}

	demo := cluster(Namespace, "demo", "tokyo-1", 72*time.Hour,
		kumov1.NodePool{Name: "default", Replicas: 3, Flavor: "m1.medium"},
		kumov1.NodePool{Name: "gpu", Replicas: 1, Flavor: "g1.large"})
	demo.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.20.0.7", Port: 6443}
	demo.Status = kumov1.ClusterStatus{
		Phase: kumov1.ClusterReady, Version: "1.36.3", Nodes: "4/4", ReadyNodes: 4, DesiredNodes: 4,
		NodePools:          []kumov1.NodePoolStatus{{Name: "default", Replicas: 3, ReadyReplicas: 3}, {Name: "gpu", Replicas: 1, ReadyReplicas: 1}},
		KubeconfigSecret:   "demo-kubeconfig",
		ObservedGeneration: 1,
		Conditions: []metav1.Condition{
			readyCondition(kumov1.ReadyCondition, "", 70*time.Hour),
			readyCondition(kumov1.ControlPlaneReadyCondition, "control plane runs Kubernetes 1.36.3", 71*time.Hour),
			readyCondition(kumov1.NodesReadyCondition, "4/4 nodes ready", 70*time.Hour),
		},
	}
	objs = append(objs, demo,
		machine(demo, "default", "demo-default-7xk2p", "hv-03", "10.20.1.11"),
		machine(demo, "default", "demo-default-9qz4m", "hv-01", "10.20.1.12"),
		machine(demo, "default", "demo-default-b5n8c", "hv-04", "10.20.1.13"),
		machine(demo, "gpu", "demo-gpu-4hj6t", "hv-02", "10.20.1.14"),
		event(demo, "Cluster", "demo", "Provisioning", "creating control plane", 72*time.Hour),
		event(demo, "Cluster", "demo", "Ready", "cluster is ready", 70*time.Hour),
		event(demo, "Machine", "demo-gpu-4hj6t", "Created", "created server on hv-02", 70*time.Hour+time.Minute),
		event(demo, "Cluster", "demo", "ScalingDown", "Pool default: 4 -> 3 nodes (draining demo-default-q8w2z)", 5*time.Hour+time.Minute),
		removalEvent(demo, "demo-default-q8w2z", "Cordoned", "Cordoned node demo-default-q8w2z to drain it", 5*time.Hour),
		removalEvent(demo, "demo-default-q8w2z", "Drained", "Drained and removed node demo-default-q8w2z", 5*time.Hour-time.Minute),
		removalEvent(demo, "demo-default-q8w2z", "VMDeleted", "Deleted VM 3c1d of machine demo-default-q8w2z on hypervisor hv-04", 5*time.Hour-time.Minute),
		earlierEvent(demo, "Cluster", "demo", "VMDeleted", "Deleted VM 9a1f of machine demo-default-0 on hypervisor hv-09", 73*time.Hour),
		earlierEvent(demo, "Machine", "demo-default-7xk2p", "VMCreated", "Created VM 77e0 on hv-09", 74*time.Hour),
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: "demo-kubeconfig", Labels: map[string]string{kumov1.ClusterNameLabel: "demo"}},
			Data:       map[string][]byte{"value": TenantKubeconfig("demo", "https://10.20.0.7:6443")},
		},
	)

	batch := cluster(Namespace, "batch", "osaka-1", 2*time.Minute, kumov1.NodePool{Name: "default", Replicas: 5, Flavor: "m1.xlarge"})
	batch.Status = kumov1.ClusterStatus{Phase: kumov1.ClusterProvisioning, DesiredNodes: 5, ObservedGeneration: 1, Conditions: []metav1.Condition{
		{Type: kumov1.ReadyCondition, Status: metav1.ConditionFalse, Reason: kumov1.ProvisioningReason, Message: "control plane starting", LastTransitionTime: ago(2 * time.Minute)},
	}}

	web := cluster("team-b", "web", "tokyo-1", 30*24*time.Hour, kumov1.NodePool{Name: "default", Replicas: 2, Flavor: "m1.small"})
	web.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.20.0.9", Port: 6443}
	web.Status = kumov1.ClusterStatus{Phase: kumov1.ClusterReady, Version: "1.35.5", Nodes: "2/2", ReadyNodes: 2, DesiredNodes: 2, ObservedGeneration: 1,
		NodePools: []kumov1.NodePoolStatus{{Name: "default", Replicas: 2, ReadyReplicas: 2}}}
	quota := &kumov1.TeamQuota{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: kumov1.TeamQuotaName, Generation: 1, CreationTimestamp: ago(400 * 24 * time.Hour)},
		Spec:       kumov1.TeamQuotaSpec{MaxClusters: ptr.To[int64](3), MaxVCPUs: ptr.To[int64](64)},
		Status: kumov1.TeamQuotaStatus{
			Limits:   kumov1.QuotaLimits{Clusters: ptr.To[int64](3), Nodes: ptr.To[int64](10), VCPUs: ptr.To[int64](64)},
			Used:     &kumov1.QuotaUsage{Clusters: 2, Nodes: 9, VCPUs: 50},
			Clusters: "2/3", Nodes: "9/10", VCPUs: "50/64", ObservedGeneration: 1,
			Conditions: []metav1.Condition{{Type: kumov1.WithinQuotaCondition, Status: metav1.ConditionTrue,
				Reason: kumov1.WithinLimitsReason, Message: "within limits", ObservedGeneration: 1, LastTransitionTime: ago(time.Hour)}},
		},
	}
	return append(objs, batch, web, quota)
}

// TenantKubeconfig is a kubeconfig as the platform issues it: cluster
// named after the cluster, user "admin", context "admin@<cluster>".
func TenantKubeconfig(cluster, server string) []byte {
	data, err := pki.Kubeconfig(cluster, server, []byte("ca of "+cluster), "admin", []byte("cert of "+cluster), []byte("key of "+cluster))
	if err != nil {
		panic(err)
	}
	return data
}

func ago(d time.Duration) metav1.Time { return metav1.NewTime(Now.Add(-d)) }

// region is a region whose cloud answers, unless its status is empty. An
// empty provider or overcommit is left to the API's defaults (sim, 4).
func region(name string, provider kumov1.ProviderType, overcommit int32, hypervisors *kumov1.HypervisorFleet, status kumov1.RegionStatus) *kumov1.Region {
	if status.VCPUs > 0 {
		status.ObservedGeneration = 1
		status.Conditions = []metav1.Condition{readyCondition(kumov1.ReadyCondition, "cloud API answers", time.Hour)}
	}
	return &kumov1.Region{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: ago(400 * 24 * time.Hour)},
		Spec:       kumov1.RegionSpec{Provider: provider, CPUOvercommitRatio: overcommit, Hypervisors: hypervisors},
		Status:     status,
	}
}

// fleet is the hypervisors of a sim region, which the API requires.
func fleet(count, cores int32) *kumov1.HypervisorFleet {
	return &kumov1.HypervisorFleet{Count: count, Cores: cores, MemoryGiB: 8 * cores}
}

func release(version string, state kumov1.ReleaseState) *kumov1.KubernetesRelease {
	return &kumov1.KubernetesRelease{
		ObjectMeta: metav1.ObjectMeta{Name: "v" + version},
		Spec:       kumov1.KubernetesReleaseSpec{Version: version, State: state},
	}
}

func cluster(namespace, name, region string, age time.Duration, pools ...kumov1.NodePool) *kumov1.Cluster {
	return &kumov1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Generation: 1, CreationTimestamp: ago(age)},
		Spec:       kumov1.ClusterSpec{Version: "1.36", Region: region, NodePools: pools},
	}
}

// readyCondition is a True condition that became so age ago.
func readyCondition(typ, message string, age time.Duration) metav1.Condition {
	return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: kumov1.ReadyReason, Message: message, LastTransitionTime: ago(age)}
}

func machine(cl *kumov1.Cluster, pool, name, hypervisor, address string) *kumov1.Machine {
	flavor := ""
	for _, p := range cl.Spec.NodePools {
		if p.Name == pool {
			flavor = p.Flavor
		}
	}
	return &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: cl.Namespace, Name: name, Labels: map[string]string{kumov1.ClusterNameLabel: cl.Name, kumov1.PoolNameLabel: pool}},
		Spec:       kumov1.MachineSpec{ClusterName: cl.Name, Pool: pool, Region: cl.Spec.Region, Flavor: flavor},
		Status: kumov1.MachineStatus{Phase: kumov1.MachineRunning, Hypervisor: hypervisor, Address: address, Conditions: []metav1.Condition{
			readyCondition(kumov1.ReadyCondition, "", 70*time.Hour),
		}},
	}
}

// event is an event regarding an object of World, whose UID cmdtest fills
// in when it creates the event.
func event(cl *kumov1.Cluster, kind, name, reason, note string, age time.Duration) *eventsv1.Event {
	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: cl.Namespace, Name: name + "." + strings.ToLower(reason)},
		EventTime:  metav1.NewMicroTime(Now.Add(-age)),
		Regarding:  corev1.ObjectReference{APIVersion: kumov1.GroupVersion.String(), Kind: kind, Namespace: cl.Namespace, Name: name},
		Type:       corev1.EventTypeNormal, Reason: reason, Note: note,
		ReportingController: "kumo.dev/cluster-controller", ReportingInstance: "kumo", Action: reason,
	}
}

// removalEvent is an event of the removal of a Machine that is gone:
// regarding its cluster, related to the Machine.
func removalEvent(cl *kumov1.Cluster, machine, reason, note string, age time.Duration) *eventsv1.Event {
	e := event(cl, "Cluster", cl.Name, reason, note, age)
	e.Name = machine + "." + strings.ToLower(reason)
	e.Related = &corev1.ObjectReference{APIVersion: kumov1.GroupVersion.String(), Kind: "Machine", Namespace: cl.Namespace, Name: machine, UID: "8d2f6a51-0000-4000-8000-00000000q8w2"}
	return e
}

// earlierEvent is an event regarding an earlier object of the same kind
// and name, since deleted: another UID.
func earlierEvent(cl *kumov1.Cluster, kind, name, reason, note string, age time.Duration) *eventsv1.Event {
	e := event(cl, kind, name, reason, note, age)
	e.Name = "earlier-" + e.Name
	e.Regarding.UID = "0e4b7f3c-0000-4000-8000-0000000dead0"
	return e
}
