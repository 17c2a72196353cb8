package exporter

import (
	"context"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	toolscache "k8s.io/client-go/tools/cache"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud"
)

// MachineInfoLabels are the labels of kumo_machine_info, in order. instance
// is the node's node_exporter as Prometheus labels it ("<address>:9100"),
// so node_cpu_seconds_total joins it on(instance).
var MachineInfoLabels = []string{"namespace", "cluster", "pool", "machine", "node", "vm", "region", "hypervisor", "instance"}

var machineInfoDesc = prometheus.NewDesc("kumo_machine_info",
	"A Machine of a Kumo cluster: its team (namespace), cluster, pool, node, VM and where the VM runs. Always 1.",
	MachineInfoLabels, nil)

// machineIndex holds one ready-made kumo_machine_info series per Machine,
// kept up to date by the Machine informer's events, so that a scrape sends
// what it holds: it neither lists nor copies Machines, and builds no series.
type machineIndex struct {
	mu     sync.RWMutex
	series map[string]machineSeries // by namespace/name
}

type machineSeries struct {
	labels [9]string
	metric prometheus.Metric
}

func newMachineIndex() *machineIndex { return &machineIndex{series: map[string]machineSeries{}} }

// machineLabels are the values of MachineInfoLabels for m; those not known
// yet (no VM, no node) are empty, which Prometheus stores as absent.
func machineLabels(m *kumov1.Machine) [9]string {
	var vm, instance string
	if id := m.Spec.ProviderID; id != "" {
		vm = id[strings.LastIndexByte(id, '/')+1:]
	}
	if m.Status.Address != "" {
		instance = cloud.NodeExporterInstance(m.Status.Address)
	}
	return [9]string{m.Namespace, m.Spec.ClusterName, m.Spec.Pool, m.Name, m.Status.NodeName, vm,
		m.Spec.Region, m.Status.Hypervisor, instance}
}

func (x *machineIndex) set(m *kumov1.Machine) {
	key := m.Namespace + "/" + m.Name
	labels := machineLabels(m)
	x.mu.RLock()
	old, ok := x.series[key]
	x.mu.RUnlock()
	if ok && old.labels == labels { // most updates are status conditions
		return
	}
	s := machineSeries{labels: labels, metric: prometheus.MustNewConstMetric(machineInfoDesc, prometheus.GaugeValue, 1, labels[:]...)}
	x.mu.Lock()
	x.series[key] = s
	x.mu.Unlock()
}

func (x *machineIndex) delete(namespace, name string) {
	x.mu.Lock()
	delete(x.series, namespace+"/"+name)
	x.mu.Unlock()
}

func (x *machineIndex) collect(ch chan<- prometheus.Metric) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, s := range x.series {
		ch <- s.metric
	}
}

// handler feeds the index from a Machine informer.
func (x *machineIndex) handler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			if m, ok := obj.(*kumov1.Machine); ok {
				x.set(m)
			}
		},
		UpdateFunc: func(_, obj any) {
			if m, ok := obj.(*kumov1.Machine); ok {
				x.set(m)
			}
		},
		DeleteFunc: func(obj any) {
			if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if m, ok := obj.(*kumov1.Machine); ok {
				x.delete(m.Namespace, m.Name)
			}
		},
	}
}

// Hypervisor series, per region and hypervisor.
var (
	hvLabels         = []string{"region", "hypervisor"}
	hvCoresDesc      = prometheus.NewDesc("kumo_hypervisor_cores", "Physical CPU cores of the hypervisor.", hvLabels, nil)
	hvVCPUsDesc      = prometheus.NewDesc("kumo_hypervisor_vcpus", "vCPUs the hypervisor can sell: its cores times the region's overcommit ratio.", hvLabels, nil)
	hvVCPUsAllocDesc = prometheus.NewDesc("kumo_hypervisor_vcpus_allocated", "vCPUs of the VMs placed on the hypervisor.", hvLabels, nil)
	hvMemDesc        = prometheus.NewDesc("kumo_hypervisor_memory_bytes", "Memory of the hypervisor (never overcommitted).", hvLabels, nil)
	hvMemAllocDesc   = prometheus.NewDesc("kumo_hypervisor_memory_allocated_bytes", "Memory of the VMs placed on the hypervisor.", hvLabels, nil)
	hvVMsDesc        = prometheus.NewDesc("kumo_hypervisor_vms", "VMs placed on the hypervisor, Kumo's and others'.", hvLabels, nil)
	hvUpDesc         = prometheus.NewDesc("kumo_exporter_hypervisors_up", "1 if the hypervisors of the region were read in this scrape, 0 if the cloud failed.", []string{"region"}, nil)
)

// Collector is machine_exporter as a prometheus.Collector.
type Collector struct {
	machines *machineIndex
	// Regions names the regions whose hypervisors are listed.
	regions func() []string
	// hypervisors lists them; nil when the provider cannot.
	hypervisors cloud.HypervisorLister
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector with no Machines yet: feed it with
// Handler. regions names the regions to read hypervisors of from
// hypervisors (nil: none).
func NewCollector(regions func() []string, hypervisors cloud.HypervisorLister) *Collector {
	return &Collector{machines: newMachineIndex(), regions: regions, hypervisors: hypervisors}
}

// Handler keeps the Collector's Machines those of the informer it is added to.
func (c *Collector) Handler() toolscache.ResourceEventHandler { return c.machines.handler() }

// Describe sends the descriptions of every series.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{machineInfoDesc, hvCoresDesc, hvVCPUsDesc, hvVCPUsAllocDesc, hvMemDesc, hvMemAllocDesc, hvVMsDesc, hvUpDesc} {
		ch <- d
	}
}

// Collect sends kumo_machine_info of every Machine and the figures of
// every hypervisor.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.machines.collect(ch)
	if c.hypervisors == nil || c.regions == nil {
		return
	}
	ctx := context.Background()
	for _, region := range c.regions() {
		hvs, err := c.hypervisors.ListHypervisors(ctx, region)
		up := 1.0
		if err != nil {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(hvUpDesc, prometheus.GaugeValue, up, region)
		for _, hv := range hvs {
			gauge := func(d *prometheus.Desc, v float64) {
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, region, hv.Name)
			}
			gauge(hvCoresDesc, float64(hv.Cores))
			gauge(hvVCPUsDesc, float64(hv.VCPUs))
			gauge(hvVCPUsAllocDesc, float64(hv.AllocatedVCPUs))
			gauge(hvMemDesc, float64(hv.MemoryMiB)*(1<<20))
			gauge(hvMemAllocDesc, float64(hv.AllocatedMemoryMiB)*(1<<20))
			gauge(hvVMsDesc, float64(hv.Servers))
		}
	}
}
