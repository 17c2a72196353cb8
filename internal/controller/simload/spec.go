package simload

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kumo-dev/kumo/internal/cloud/sim"
)

// Where `kumo sim load` records the load: one ConfigMap, one JSON document,
// so that a change is one write that succeeds or not as a whole.
const (
	Namespace     = "kumo-system"
	ConfigMapName = "kumo-sim-load"
	Key           = "load.json"
)

// Spec is the load of the sim cloud beyond its default CPU profile.
type Spec struct {
	// Machines are Kumo VMs made busy, each named by its Machine and by its
	// VM: the load belongs to the VM, a replacement Machine does not inherit it.
	Machines []MachineLoad `json:"machines,omitempty"`
	// Hypervisors carry load from the cloud's other tenants.
	Hypervisors []HypervisorLoad `json:"hypervisors,omitempty"`
}

// MachineLoad is the demand of one Kumo VM, in cores.
type MachineLoad struct {
	Namespace string  `json:"namespace"`
	Machine   string  `json:"machine"`
	Region    string  `json:"region"`
	VM        string  `json:"vm"`
	CPU       float64 `json:"cpu"`
}

// HypervisorLoad is the demand of other tenants on a hypervisor, in cores.
type HypervisorLoad struct {
	Region     string  `json:"region"`
	Hypervisor string  `json:"hypervisor"`
	CPU        float64 `json:"cpu"`
}

// Parse reads the Spec of the ConfigMap; nil is no load.
func Parse(cm *corev1.ConfigMap) (Spec, error) {
	var s Spec
	if cm == nil || cm.Data[Key] == "" {
		return s, nil
	}
	if err := json.Unmarshal([]byte(cm.Data[Key]), &s); err != nil {
		return s, fmt.Errorf("%s/%s key %s is not a load: %w", cm.Namespace, cm.Name, Key, err)
	}
	return s, s.Validate()
}

// Validate says what is wrong with s.
func (s Spec) Validate() error {
	for _, m := range s.Machines {
		if m.VM == "" || !validCores(m.CPU) {
			return fmt.Errorf("load of machine %s/%s: need a VM and a number of cores >= 0, got %q and %v", m.Namespace, m.Machine, m.VM, m.CPU)
		}
	}
	for _, h := range s.Hypervisors {
		if h.Region == "" || h.Hypervisor == "" || !validCores(h.CPU) {
			return fmt.Errorf("load of hypervisor %s/%s: need a region, a hypervisor and a number of cores >= 0, got %v", h.Region, h.Hypervisor, h.CPU)
		}
	}
	return nil
}

func validCores(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }

// Load is the sim's form of s.
func (s Spec) Load() sim.Load {
	l := sim.Load{VMs: map[string]float64{}, External: map[sim.HypervisorRef]float64{}}
	for _, m := range s.Machines {
		l.VMs[m.VM] = m.CPU
	}
	for _, h := range s.Hypervisors {
		l.External[sim.HypervisorRef{Region: h.Region, Name: h.Hypervisor}] = h.CPU
	}
	return l
}

// SetMachine replaces the load of the Machine's VM (and any earlier VM of
// the same Machine).
func (s *Spec) SetMachine(m MachineLoad) {
	s.Machines = slices.DeleteFunc(s.Machines, func(o MachineLoad) bool {
		return o.VM == m.VM || (o.Namespace == m.Namespace && o.Machine == m.Machine)
	})
	s.Machines = append(s.Machines, m)
	slices.SortFunc(s.Machines, func(a, b MachineLoad) int {
		return strings.Compare(a.Namespace+"/"+a.Machine, b.Namespace+"/"+b.Machine)
	})
}

// SetHypervisor replaces the external load of a hypervisor.
func (s *Spec) SetHypervisor(h HypervisorLoad) {
	s.Hypervisors = slices.DeleteFunc(s.Hypervisors, func(o HypervisorLoad) bool {
		return o.Region == h.Region && o.Hypervisor == h.Hypervisor
	})
	s.Hypervisors = append(s.Hypervisors, h)
	slices.SortFunc(s.Hypervisors, func(a, b HypervisorLoad) int {
		return strings.Compare(a.Region+"/"+a.Hypervisor, b.Region+"/"+b.Hypervisor)
	})
}

// Store writes s into cm.
func (s Spec) Store(cm *corev1.ConfigMap) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[Key] = string(data)
	return nil
}
