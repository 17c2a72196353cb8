package platform

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cloud/sim"
	"github.com/kumo-dev/kumo/internal/controller/simload"
)

// SimLoadOptions change the sim cloud's CPU load: one of Machine,
// Hypervisor or Clear; none only reads it.
type SimLoadOptions struct {
	DataDir string
	// Machine is NAMESPACE/MACHINE: its VM demands CPU cores.
	Machine string
	// Hypervisor is REGION/HYPERVISOR: other tenants demand CPU cores there.
	Hypervisor string
	CPU        float64
	// Clear removes every load: back to the default profile.
	Clear bool
}

// SetSimLoad records the change in the ConfigMap the manager applies to its
// sim cloud (package simload) and returns the load as it now stands. The
// API is the record: the write is atomic (an update at the resourceVersion
// read, retried on conflict, so two changes at once both land), it outlives
// a restart or crash of the manager, which applies it again when it starts,
// and it is made while the manager is down as well.
func SetSimLoad(ctx context.Context, o SimLoadOptions) (simload.Spec, error) {
	var spec simload.Spec
	if !(o.CPU >= 0) || math.IsInf(o.CPU, 0) {
		return spec, fmt.Errorf("--cpu %v: need a number of cores, 0 or more", o.CPU)
	}
	c, _, err := adminClient(o.DataDir, 0)
	if err != nil {
		return spec, fmt.Errorf("reading the admin kubeconfig (is `kumo up` running with --data-dir %s?): %w", o.DataDir, err)
	}
	key := client.ObjectKey{Namespace: simload.Namespace, Name: simload.ConfigMapName}
	if o.Clear {
		err := c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}})
		return spec, client.IgnoreNotFound(err)
	}
	var change func(*simload.Spec)
	switch {
	case o.Machine != "":
		m, err := machineLoad(ctx, c, o.Machine, o.CPU)
		if err != nil {
			return spec, err
		}
		change = func(s *simload.Spec) { s.SetMachine(m) }
	case o.Hypervisor != "":
		h, err := hypervisorLoad(ctx, c, o.Hypervisor, o.CPU)
		if err != nil {
			return spec, err
		}
		change = func(s *simload.Spec) { s.SetHypervisor(h) }
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm := &corev1.ConfigMap{}
		err := c.Get(ctx, key, cm)
		exists := err == nil
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		if spec, err = simload.Parse(cm); err != nil {
			return err
		}
		if change == nil {
			return nil
		}
		change(&spec)
		if !exists {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		}
		if err := spec.Store(cm); err != nil {
			return err
		}
		if exists {
			return c.Update(ctx, cm)
		}
		err = c.Create(ctx, cm)
		if apierrors.IsAlreadyExists(err) { // another change created it: read it again
			return apierrors.NewConflict(corev1.Resource("configmaps"), key.Name, err)
		}
		return err
	})
	if err != nil {
		return spec, fmt.Errorf("recording the sim load in %s: %w", key, err)
	}
	return spec, nil
}

// machineLoad resolves NAMESPACE/MACHINE to its VM and checks that the VM
// has the cores asked for.
func machineLoad(ctx context.Context, c client.Client, ref string, cpu float64) (simload.MachineLoad, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return simload.MachineLoad{}, fmt.Errorf("--machine %q: want NAMESPACE/MACHINE, e.g. team-a/web-default-0 (kubectl get machines -A)", ref)
	}
	m := &kumov1.Machine{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, m); err != nil {
		if apierrors.IsNotFound(err) {
			return simload.MachineLoad{}, fmt.Errorf("machine %s not found (kubectl get machines -A lists them)", ref)
		}
		return simload.MachineLoad{}, err
	}
	if m.Spec.ProviderID == "" {
		return simload.MachineLoad{}, fmt.Errorf("machine %s has no VM yet (phase %s); try again once it is Running", ref, m.Status.Phase)
	}
	region := &kumov1.Region{}
	if err := c.Get(ctx, client.ObjectKey{Name: m.Spec.Region}, region); err != nil {
		return simload.MachineLoad{}, fmt.Errorf("reading region %s of machine %s: %w", m.Spec.Region, ref, err)
	}
	if region.Spec.Provider != kumov1.ProviderSim {
		return simload.MachineLoad{}, fmt.Errorf("machine %s runs in region %s, which is not simulated: its load is real", ref, region.Name)
	}
	for _, f := range region.Status.Flavors {
		if f.Name == m.Spec.Flavor && cpu > float64(f.VCPUs) {
			return simload.MachineLoad{}, fmt.Errorf("--cpu %g: machine %s is a %s of %d vCPUs, it cannot ask for more cores than that", cpu, ref, f.Name, f.VCPUs)
		}
	}
	id := m.Spec.ProviderID
	return simload.MachineLoad{Namespace: ns, Machine: name, Region: m.Spec.Region, VM: id[strings.LastIndexByte(id, '/')+1:], CPU: cpu}, nil
}

// hypervisorLoad checks that REGION/HYPERVISOR is a hypervisor of a sim region.
func hypervisorLoad(ctx context.Context, c client.Client, ref string, cpu float64) (simload.HypervisorLoad, error) {
	name, hv, ok := strings.Cut(ref, "/")
	if !ok || name == "" || hv == "" {
		return simload.HypervisorLoad{}, fmt.Errorf("--hypervisor %q: want REGION/HYPERVISOR, e.g. tokyo-1/tokyo-1-hv-003 (kubectl get machines -A shows where VMs run)", ref)
	}
	region := &kumov1.Region{}
	if err := c.Get(ctx, client.ObjectKey{Name: name}, region); err != nil {
		if apierrors.IsNotFound(err) {
			return simload.HypervisorLoad{}, fmt.Errorf("region %s not found (kubectl get regions lists them)", name)
		}
		return simload.HypervisorLoad{}, err
	}
	if region.Spec.Provider != kumov1.ProviderSim || region.Spec.Hypervisors == nil {
		return simload.HypervisorLoad{}, fmt.Errorf("region %s is not simulated: its load is real", name)
	}
	n := int(region.Spec.Hypervisors.Count)
	for i := range n {
		if sim.HypervisorName(name, i) == hv {
			return simload.HypervisorLoad{Region: name, Hypervisor: hv, CPU: cpu}, nil
		}
	}
	if n == 0 {
		return simload.HypervisorLoad{}, errors.New("region " + name + " has no hypervisors")
	}
	return simload.HypervisorLoad{}, fmt.Errorf("region %s has no hypervisor %q: its hypervisors are %s to %s",
		name, hv, sim.HypervisorName(name, 0), sim.HypervisorName(name, n-1))
}
