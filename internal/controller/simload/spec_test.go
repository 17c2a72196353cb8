package simload_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/controller/simload"
)

func TestSpecRoundTrip(t *testing.T) {
	g := NewWithT(t)
	var s simload.Spec
	s.SetMachine(simload.MachineLoad{Namespace: "b", Machine: "m", Region: "r", VM: "vm-1", CPU: 1})
	s.SetMachine(simload.MachineLoad{Namespace: "a", Machine: "m", Region: "r", VM: "vm-2", CPU: 2})
	// The same Machine with a new VM replaces its entry.
	s.SetMachine(simload.MachineLoad{Namespace: "b", Machine: "m", Region: "r", VM: "vm-3", CPU: 0.5})
	s.SetHypervisor(simload.HypervisorLoad{Region: "r", Hypervisor: "r-hv-002", CPU: 10})
	s.SetHypervisor(simload.HypervisorLoad{Region: "r", Hypervisor: "r-hv-002", CPU: 20})
	g.Expect(s.Machines).To(HaveLen(2))
	g.Expect(s.Machines[0].Namespace).To(Equal("a"))
	g.Expect(s.Hypervisors).To(HaveLen(1))

	cm := &corev1.ConfigMap{}
	g.Expect(s.Store(cm)).To(Succeed())
	got, err := simload.Parse(cm)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(s))
	g.Expect(got.Load()).To(Equal(sim.Load{
		VMs:      map[string]float64{"vm-2": 2, "vm-3": 0.5},
		External: map[sim.HypervisorRef]float64{{Region: "r", Name: "r-hv-002"}: 20},
	}))

	empty, err := simload.Parse(nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(empty.Load().VMs).To(BeEmpty())
}

func TestParseRefuses(t *testing.T) {
	for name, data := range map[string]string{
		"not JSON":       `{`,
		"negative cores": `{"hypervisors":[{"region":"r","hypervisor":"h","cpu":-1}]}`,
		"no VM":          `{"machines":[{"namespace":"a","machine":"m","cpu":1}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := simload.Parse(&corev1.ConfigMap{Data: map[string]string{simload.Key: data}})
			g.Expect(err).To(HaveOccurred())
		})
	}
}
