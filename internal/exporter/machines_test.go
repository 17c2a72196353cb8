package exporter_test

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/exporter"
)

func machine(ns, name, cluster, hypervisor, address, providerID string) *kumov1.Machine {
	return &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       kumov1.MachineSpec{ClusterName: cluster, Pool: "default", Region: "tokyo-1", Flavor: "m1.medium", ProviderID: providerID},
		Status:     kumov1.MachineStatus{Hypervisor: hypervisor, Address: address, NodeName: name},
	}
}

func TestMachineInfo(t *testing.T) {
	g := NewWithT(t)
	c := exporter.NewCollector(nil, nil)
	h := c.Handler()
	pending := machine("team-a", "web-default-1", "web", "", "", "")
	h.OnAdd(machine("team-a", "web-default-0", "web", "tokyo-1-hv-003", "10.10.0.1", "sim://tokyo-1/vm-0"), false)
	h.OnAdd(pending, false)
	h.OnAdd(machine("team-b", "api-default-0", "api", "tokyo-1-hv-003", "10.10.0.2", "sim://tokyo-1/vm-1"), false)
	gone := machine("team-b", "api-default-1", "api", "tokyo-1-hv-004", "10.10.0.3", "sim://tokyo-1/vm-2")
	h.OnAdd(gone, false)
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "team-b/api-default-1", Obj: gone})

	const help = `# HELP kumo_machine_info A Machine of a Kumo cluster: its team (namespace), cluster, pool, node, VM and where the VM runs. Always 1.
# TYPE kumo_machine_info gauge
`
	g.Expect(testutil.CollectAndCompare(c, strings.NewReader(help+`
kumo_machine_info{cluster="api",hypervisor="tokyo-1-hv-003",instance="10.10.0.2:9100",machine="api-default-0",namespace="team-b",node="api-default-0",pool="default",region="tokyo-1",vm="vm-1"} 1
kumo_machine_info{cluster="web",hypervisor="tokyo-1-hv-003",instance="10.10.0.1:9100",machine="web-default-0",namespace="team-a",node="web-default-0",pool="default",region="tokyo-1",vm="vm-0"} 1
kumo_machine_info{cluster="web",hypervisor="",instance="",machine="web-default-1",namespace="team-a",node="web-default-1",pool="default",region="tokyo-1",vm=""} 1
`), "kumo_machine_info")).To(Succeed())

	// The VM of the pending Machine is placed; a Machine is deleted.
	placed := machine("team-a", "web-default-1", "web", "tokyo-1-hv-007", "10.10.0.9", "sim://tokyo-1/vm-9")
	h.OnUpdate(pending, placed)
	h.OnDelete(machine("team-a", "web-default-0", "web", "", "", ""))
	g.Expect(testutil.CollectAndCompare(c, strings.NewReader(help+`
kumo_machine_info{cluster="api",hypervisor="tokyo-1-hv-003",instance="10.10.0.2:9100",machine="api-default-0",namespace="team-b",node="api-default-0",pool="default",region="tokyo-1",vm="vm-1"} 1
kumo_machine_info{cluster="web",hypervisor="tokyo-1-hv-007",instance="10.10.0.9:9100",machine="web-default-1",namespace="team-a",node="web-default-1",pool="default",region="tokyo-1",vm="vm-9"} 1
`), "kumo_machine_info")).To(Succeed())
}

func TestHypervisorSeries(t *testing.T) {
	g := NewWithT(t)
	s, err := sim.New(sim.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.EnsureRegion("r", sim.RegionConfig{Hypervisors: 2, Cores: 4, MemoryGiB: 32})).To(Succeed())
	for _, f := range []string{"m1.large", "m1.small"} {
		_, err := s.CreateServer(context.Background(), "r", cloud.CreateRequest{Name: f, Flavor: f})
		g.Expect(err).NotTo(HaveOccurred())
	}
	c := exporter.NewCollector(func() []string { return []string{"r", "missing"} }, s)
	g.Expect(testutil.CollectAndCompare(c, strings.NewReader(`
# HELP kumo_hypervisor_cores Physical CPU cores of the hypervisor.
# TYPE kumo_hypervisor_cores gauge
kumo_hypervisor_cores{hypervisor="r-hv-001",region="r"} 4
kumo_hypervisor_cores{hypervisor="r-hv-002",region="r"} 4
# HELP kumo_hypervisor_vcpus vCPUs the hypervisor can sell: its cores times the region's overcommit ratio.
# TYPE kumo_hypervisor_vcpus gauge
kumo_hypervisor_vcpus{hypervisor="r-hv-001",region="r"} 16
kumo_hypervisor_vcpus{hypervisor="r-hv-002",region="r"} 16
# HELP kumo_hypervisor_vcpus_allocated vCPUs of the VMs placed on the hypervisor.
# TYPE kumo_hypervisor_vcpus_allocated gauge
kumo_hypervisor_vcpus_allocated{hypervisor="r-hv-001",region="r"} 4
kumo_hypervisor_vcpus_allocated{hypervisor="r-hv-002",region="r"} 1
# HELP kumo_hypervisor_memory_bytes Memory of the hypervisor (never overcommitted).
# TYPE kumo_hypervisor_memory_bytes gauge
kumo_hypervisor_memory_bytes{hypervisor="r-hv-001",region="r"} 3.4359738368e+10
kumo_hypervisor_memory_bytes{hypervisor="r-hv-002",region="r"} 3.4359738368e+10
# HELP kumo_hypervisor_memory_allocated_bytes Memory of the VMs placed on the hypervisor.
# TYPE kumo_hypervisor_memory_allocated_bytes gauge
kumo_hypervisor_memory_allocated_bytes{hypervisor="r-hv-001",region="r"} 8.589934592e+09
kumo_hypervisor_memory_allocated_bytes{hypervisor="r-hv-002",region="r"} 2.147483648e+09
# HELP kumo_hypervisor_vms VMs placed on the hypervisor, Kumo's and others'.
# TYPE kumo_hypervisor_vms gauge
kumo_hypervisor_vms{hypervisor="r-hv-001",region="r"} 1
kumo_hypervisor_vms{hypervisor="r-hv-002",region="r"} 1
# HELP kumo_exporter_hypervisors_up 1 if the hypervisors of the region were read in this scrape, 0 if the cloud failed.
# TYPE kumo_exporter_hypervisors_up gauge
kumo_exporter_hypervisors_up{region="missing"} 0
kumo_exporter_hypervisors_up{region="r"} 1
`))).To(Succeed())
	g.Expect(testutil.CollectAndLint(c)).To(BeEmpty())
}
