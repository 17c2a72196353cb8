package machine

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

func TestNotProviderIDRecorded(t *testing.T) {
	g := NewWithT(t)
	old := &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{Name: "m", Generation: 1, Finalizers: []string{Finalizer}},
		Spec:       kumov1.MachineSpec{ClusterName: "c", Pool: "p", Region: "r", Flavor: "m1.small"},
	}
	passes := func(change func(*kumov1.Machine)) bool {
		n := old.DeepCopy()
		change(n)
		return notProviderIDRecorded().Update(event.UpdateEvent{ObjectOld: old, ObjectNew: n})
	}
	recorded := func(m *kumov1.Machine) { m.Spec.ProviderID = "sim://r/vm-1"; m.Generation = 2 }

	g.Expect(passes(recorded)).To(BeFalse(), "the controller's own write of the VM")
	g.Expect(passes(func(m *kumov1.Machine) { recorded(m); m.Spec.Flavor = "m1.large" })).To(BeTrue())
	g.Expect(passes(func(m *kumov1.Machine) { recorded(m); m.Labels = map[string]string{"a": "b"} })).To(BeTrue())
	g.Expect(passes(func(m *kumov1.Machine) { recorded(m); m.DeletionTimestamp = &metav1.Time{} })).To(BeTrue())
	g.Expect(passes(func(m *kumov1.Machine) { m.Spec.Flavor = "m1.large" })).To(BeTrue())
}
