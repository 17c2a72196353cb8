package v1alpha1_test

// These tests prove that the real kube-apiserver, with the generated CRDs
// installed, refuses bad Kumo objects with clear messages: the OpenAPI
// markers (pattern, minimum, maxLength, listMapKey, default) and the CEL
// rules (x-kubernetes-validations) of api/v1alpha1 actually take effect.
// Every refusal asserts that the error is Invalid (422) and names the field
// or carries the rule's message, so removing a marker fails a test.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/testenv"
)

// validationNamespace holds the namespaced objects these tests create.
const validationNamespace = "api-validation"

// startEnv starts the API server and creates the test namespace.
func startEnv(t *testing.T) (context.Context, client.Client) {
	t.Helper()
	env := testenv.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: validationNamespace}}
	if err := env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace: %v", err)
	}
	return ctx, env.Client
}

// expectInvalid asserts that err is an Invalid (422) API error whose message
// contains every one of want.
func expectInvalid(g *WithT, err error, want []string) {
	g.Expect(err).To(HaveOccurred(), "the API server accepted an object it should refuse")
	g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %T: %v", err, err)
	for _, w := range want {
		g.Expect(err.Error()).To(ContainSubstring(w))
	}
}

// expectOutcome asserts that the API server accepted a write when want is
// empty, else that it refused it as expectInvalid says.
func expectOutcome(g *WithT, err error, want []string) {
	if len(want) == 0 {
		g.Expect(err).NotTo(HaveOccurred())
		return
	}
	expectInvalid(g, err, want)
}

// toUnstructured turns a typed object into its JSON form, so a test can add
// or remove fields the way a kubectl user would.
func toUnstructured(g *WithT, obj runtime.Object, gvkKind string) *unstructured.Unstructured {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	g.Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(kumov1.GroupVersion.String())
	u.SetKind(gvkKind)
	return u
}

// validCluster is the smallest Cluster the API server accepts.
func validCluster() *kumov1.Cluster {
	return &kumov1.Cluster{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "c-", Namespace: validationNamespace},
		Spec: kumov1.ClusterSpec{
			Version:   "1.36",
			Region:    "tokyo",
			NodePools: []kumov1.NodePool{{Name: "default", Replicas: 3}},
		},
	}
}

func TestClusterValidation(t *testing.T) {
	ctx, c := startEnv(t)

	t.Run("valid minimal cluster is accepted and defaulted", func(t *testing.T) {
		g := NewWithT(t)
		cl := validCluster()
		g.Expect(c.Create(ctx, cl)).To(Succeed())
		g.Expect(cl.Spec.NodePools).To(HaveLen(1))
		g.Expect(cl.Spec.NodePools[0].Flavor).To(Equal("m1.medium"), "flavor default")

		// Read it back too: the default is stored, not only echoed.
		got := &kumov1.Cluster{}
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(cl), got)).To(Succeed())
		g.Expect(got.Spec.NodePools[0].Flavor).To(Equal("m1.medium"))
	})

	t.Run("valid full cluster is accepted", func(t *testing.T) {
		g := NewWithT(t)
		cl := validCluster()
		cl.Spec.Version = "1.36.3"
		cl.Spec.NodePools = []kumov1.NodePool{
			{Name: "default", Replicas: 0, Flavor: "m1.large"},
			{Name: "gpu-a100", Replicas: 1000, Flavor: "g2-gpu.xlarge"},
		}
		g.Expect(c.Create(ctx, cl)).To(Succeed())
		g.Expect(cl.Spec.NodePools[0].Flavor).To(Equal("m1.large"), "an explicit flavor is kept")
	})

	createCases := map[string]struct {
		// mutate turns validCluster() into the object under test.
		mutate func(*kumov1.Cluster)
		// wantErr are substrings the Invalid error must contain.
		wantErr []string
	}{
		"negative replicas": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Replicas = -1 },
			wantErr: []string{"spec.nodePools[0].replicas", "greater than or equal to 0"},
		},
		"replicas above 1000": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Replicas = 1001 },
			wantErr: []string{"spec.nodePools[0].replicas", "less than or equal to 1000"},
		},
		"empty region": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.Region = "" },
			wantErr: []string{"spec.region", "at least 1 chars long"},
		},
		"region too long": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.Region = strings.Repeat("a", 64) },
			wantErr: []string{"spec.region", "may not be more than 63 bytes"},
		},
		"version latest": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.Version = "latest" },
			wantErr: []string{"spec.version", "should match"},
		},
		"version 1.x": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.Version = "1.x" },
			wantErr: []string{"spec.version", "should match"},
		},
		"version with v prefix": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.Version = "v1.36" },
			wantErr: []string{"spec.version", "should match"},
		},
		"empty version": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.Version = "" },
			wantErr: []string{"spec.version", "should match"},
		},
		"flavor upper case": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Flavor = "M1.LARGE" },
			wantErr: []string{"spec.nodePools[0].flavor", "should match"},
		},
		"flavor without family": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Flavor = "large" },
			wantErr: []string{"spec.nodePools[0].flavor", "should match"},
		},
		"flavor without size": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Flavor = "m1." },
			wantErr: []string{"spec.nodePools[0].flavor", "should match"},
		},
		"empty pool name": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Name = "" },
			wantErr: []string{"spec.nodePools[0].name", "at least 1 chars long"},
		},
		"pool name with upper case": {
			mutate:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Name = "GPU" },
			wantErr: []string{"spec.nodePools[0].name", "should match"},
		},
		"pool name too long": {
			mutate: func(cl *kumov1.Cluster) {
				cl.Spec.NodePools[0].Name = "a23456789-123456789-123456789-123456789-1"
			},
			wantErr: []string{"spec.nodePools[0].name", "may not be more than 40 bytes"},
		},
		"duplicate pool names": {
			mutate: func(cl *kumov1.Cluster) {
				cl.Spec.NodePools = []kumov1.NodePool{
					{Name: "default", Replicas: 1},
					{Name: "default", Replicas: 2},
				}
			},
			wantErr: []string{"spec.nodePools[1]", "Duplicate value"},
		},
		"more than 32 pools": {
			mutate: func(cl *kumov1.Cluster) {
				cl.Spec.NodePools = nil
				for i := range 33 {
					cl.Spec.NodePools = append(cl.Spec.NodePools,
						kumov1.NodePool{Name: "p" + string(rune('a'+i/26)) + string(rune('a'+i%26)), Replicas: 1})
				}
			},
			wantErr: []string{"spec.nodePools", "must have at most 32 items"},
		},
		"endpoint port 0": {
			mutate: func(cl *kumov1.Cluster) {
				cl.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.0.0.1", Port: 0}
			},
			wantErr: []string{"spec.controlPlane.endpoint.port", "greater than or equal to 1"},
		},
	}
	for name, tc := range createCases {
		t.Run("create/"+name, func(t *testing.T) {
			g := NewWithT(t)
			cl := validCluster()
			tc.mutate(cl)
			expectInvalid(g, c.Create(ctx, cl), tc.wantErr)
		})
	}

	t.Run("create/cluster without spec", func(t *testing.T) {
		g := NewWithT(t)
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetAPIVersion(kumov1.GroupVersion.String())
		u.SetKind("Cluster")
		u.SetNamespace(validationNamespace)
		u.SetGenerateName("c-")
		expectInvalid(g, c.Create(ctx, u), []string{"spec", "Required value"})
	})

	t.Run("create/unknown field refused by strict field validation", func(t *testing.T) {
		g := NewWithT(t)
		u := toUnstructured(g, validCluster(), "Cluster")
		g.Expect(unstructured.SetNestedField(u.Object, int64(3), "spec", "replicas")).To(Succeed())
		err := c.Create(ctx, u, client.FieldValidation(metav1.FieldValidationStrict))
		g.Expect(err).To(HaveOccurred(), "the API server accepted an unknown field")
		// Strict field validation answers 400 BadRequest, not 422 Invalid.
		g.Expect(apierrors.IsBadRequest(err)).To(BeTrue(), "want BadRequest, got %v", err)
		g.Expect(err.Error()).To(ContainSubstring(`unknown field "spec.replicas"`))
	})

	updateCases := map[string]struct {
		// initial edits validCluster() before it is created.
		initial func(*kumov1.Cluster)
		// update edits the stored cluster before it is updated.
		update func(*kumov1.Cluster)
		// wantErr are substrings the Invalid error must contain; none means
		// the update is accepted.
		wantErr []string
	}{
		"scaling a pool is allowed": {
			update: func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Replicas = 5 },
		},
		"upgrading the version is allowed": {
			update: func(cl *kumov1.Cluster) { cl.Spec.Version = "1.37" },
		},
		"region change": {
			update:  func(cl *kumov1.Cluster) { cl.Spec.Region = "osaka" },
			wantErr: []string{"spec.region", "region is immutable"},
		},
		"endpoint set once": {
			update: func(cl *kumov1.Cluster) {
				cl.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
			},
		},
		"endpoint unchanged on another update": {
			initial: func(cl *kumov1.Cluster) {
				cl.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
			},
			update: func(cl *kumov1.Cluster) { cl.Spec.Paused = true },
		},
		"endpoint host change": {
			initial: func(cl *kumov1.Cluster) {
				cl.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
			},
			update:  func(cl *kumov1.Cluster) { cl.Spec.ControlPlane.Endpoint.Host = "10.0.0.2" },
			wantErr: []string{"spec.controlPlane.endpoint", "controlPlane.endpoint is set by Kumo and cannot change"},
		},
		"endpoint port change": {
			initial: func(cl *kumov1.Cluster) {
				cl.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
			},
			update:  func(cl *kumov1.Cluster) { cl.Spec.ControlPlane.Endpoint.Port = 443 },
			wantErr: []string{"spec.controlPlane.endpoint", "controlPlane.endpoint is set by Kumo and cannot change"},
		},
		"endpoint removal": {
			initial: func(cl *kumov1.Cluster) {
				cl.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
			},
			update:  func(cl *kumov1.Cluster) { cl.Spec.ControlPlane.Endpoint = nil },
			wantErr: []string{"spec.controlPlane.endpoint", "controlPlane.endpoint is set by Kumo and cannot be removed"},
		},
	}
	for name, tc := range updateCases {
		t.Run("update/"+name, func(t *testing.T) {
			g := NewWithT(t)
			cl := validCluster()
			if tc.initial != nil {
				tc.initial(cl)
			}
			g.Expect(c.Create(ctx, cl)).To(Succeed())
			tc.update(cl)
			err := c.Update(ctx, cl)
			expectOutcome(g, err, tc.wantErr)
		})
	}

	t.Run("update/endpoint removal by dropping controlPlane", func(t *testing.T) {
		g := NewWithT(t)
		cl := validCluster()
		cl.Spec.ControlPlane.Endpoint = &kumov1.APIEndpoint{Host: "10.0.0.1", Port: 6443}
		g.Expect(c.Create(ctx, cl)).To(Succeed())
		// A kubectl user can drop the whole controlPlane object, which the
		// typed client cannot express.
		u := toUnstructured(g, cl, "Cluster")
		unstructured.RemoveNestedField(u.Object, "spec", "controlPlane")
		expectInvalid(g, c.Update(ctx, u), []string{"controlPlane.endpoint is set by Kumo and cannot be removed"})
	})
}

// validRegion is a sim Region the API server accepts.
func validRegion() *kumov1.Region {
	return &kumov1.Region{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "r-"},
		Spec: kumov1.RegionSpec{
			Provider:    kumov1.ProviderSim,
			Hypervisors: &kumov1.HypervisorFleet{Count: 10, Cores: 64, MemoryGiB: 512},
		},
	}
}

func TestRegionValidation(t *testing.T) {
	ctx, c := startEnv(t)

	t.Run("typed zero values are defaulted", func(t *testing.T) {
		g := NewWithT(t)
		r := validRegion()
		r.Spec.Provider = ""
		r.Spec.CPUOvercommitRatio = 0
		g.Expect(c.Create(ctx, r)).To(Succeed())
		g.Expect(r.Spec.Provider).To(Equal(kumov1.ProviderSim), "provider default")
		g.Expect(r.Spec.CPUOvercommitRatio).To(Equal(int32(4)), "cpuOvercommitRatio default")
	})

	cases := map[string]struct {
		// spec is the JSON spec as a kubectl user writes it; nil means the
		// Region has no spec at all.
		spec map[string]any
		// wantErr are substrings the Invalid error must contain; none means
		// the Region is accepted.
		wantErr []string
		// wantProvider and wantOvercommit are the stored values when accepted.
		wantProvider   kumov1.ProviderType
		wantOvercommit int32
	}{
		"defaults applied": {
			spec:           map[string]any{"hypervisors": fleet()},
			wantProvider:   kumov1.ProviderSim,
			wantOvercommit: 4,
		},
		"explicit values kept": {
			spec:           map[string]any{"provider": "sim", "cpuOvercommitRatio": int64(16), "hypervisors": fleet()},
			wantProvider:   kumov1.ProviderSim,
			wantOvercommit: 16,
		},
		"openstack needs no hypervisors": {
			spec:           map[string]any{"provider": "openstack", "cpuOvercommitRatio": int64(1)},
			wantProvider:   kumov1.ProviderOpenStack,
			wantOvercommit: 1,
		},
		"sim without hypervisors": {
			spec:    map[string]any{"provider": "sim"},
			wantErr: []string{"spec", "a sim region needs spec.hypervisors"},
		},
		"defaulted sim without hypervisors": {
			spec:    map[string]any{"displayName": "Tokyo (DC1)"},
			wantErr: []string{"spec", "a sim region needs spec.hypervisors"},
		},
		"empty spec": {
			spec:    map[string]any{},
			wantErr: []string{"spec", "a sim region needs spec.hypervisors"},
		},
		"no spec": {
			spec:    nil,
			wantErr: []string{"spec", "Required value"},
		},
		"overcommit 0": {
			spec:    map[string]any{"cpuOvercommitRatio": int64(0), "hypervisors": fleet()},
			wantErr: []string{"spec.cpuOvercommitRatio", "greater than or equal to 1"},
		},
		"overcommit 17": {
			spec:    map[string]any{"cpuOvercommitRatio": int64(17), "hypervisors": fleet()},
			wantErr: []string{"spec.cpuOvercommitRatio", "less than or equal to 16"},
		},
		"unknown provider": {
			spec:    map[string]any{"provider": "aws"},
			wantErr: []string{"spec.provider", "Unsupported value", `"sim"`, `"openstack"`},
		},
		"hypervisor count 0": {
			spec:    map[string]any{"hypervisors": map[string]any{"count": int64(0), "cores": int64(64), "memoryGiB": int64(512)}},
			wantErr: []string{"spec.hypervisors.count", "greater than or equal to 1"},
		},
		"hypervisor fleet without cores": {
			spec:    map[string]any{"hypervisors": map[string]any{"count": int64(3), "memoryGiB": int64(512)}},
			wantErr: []string{"spec.hypervisors.cores", "Required value"},
		},
		"display name too long": {
			spec:    map[string]any{"displayName": strings.Repeat("a", 65), "hypervisors": fleet()},
			wantErr: []string{"spec.displayName", "may not be more than 64 bytes"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			u := &unstructured.Unstructured{Object: map[string]any{}}
			u.SetAPIVersion(kumov1.GroupVersion.String())
			u.SetKind("Region")
			u.SetGenerateName("r-")
			if tc.spec != nil {
				u.Object["spec"] = tc.spec
			}
			err := c.Create(ctx, u)
			if len(tc.wantErr) > 0 {
				expectInvalid(g, err, tc.wantErr)
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			got := &kumov1.Region{}
			g.Expect(c.Get(ctx, client.ObjectKey{Name: u.GetName()}, got)).To(Succeed())
			g.Expect(got.Spec.Provider).To(Equal(tc.wantProvider))
			g.Expect(got.Spec.CPUOvercommitRatio).To(Equal(tc.wantOvercommit))
		})
	}

	t.Run("removing the hypervisors of a sim region", func(t *testing.T) {
		g := NewWithT(t)
		r := validRegion()
		g.Expect(c.Create(ctx, r)).To(Succeed())
		r.Spec.Hypervisors = nil
		expectInvalid(g, c.Update(ctx, r), []string{"a sim region needs spec.hypervisors"})
	})
}

// fleet is a valid hypervisor fleet in JSON form.
func fleet() map[string]any {
	return map[string]any{"count": int64(3), "cores": int64(64), "memoryGiB": int64(512)}
}

// validMachine is a Machine whose VM does not exist yet.
func validMachine() *kumov1.Machine {
	return &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "m-", Namespace: validationNamespace},
		Spec: kumov1.MachineSpec{
			ClusterName: "demo",
			Pool:        "default",
			Region:      "tokyo",
			Flavor:      "m1.medium",
		},
	}
}

func TestMachineValidation(t *testing.T) {
	ctx, c := startEnv(t)

	// immutable is the CEL message of MachineSpec.
	const immutable = "a Machine's spec cannot change once its VM exists"

	createCases := map[string]struct {
		// mutate turns validMachine() into the object under test.
		mutate func(*kumov1.Machine)
		// wantErr are substrings the Invalid error must contain; none means
		// the Machine is accepted.
		wantErr []string
	}{
		"valid machine": {
			mutate: func(*kumov1.Machine) {},
		},
		"valid machine with providerID": {
			mutate: func(m *kumov1.Machine) { m.Spec.ProviderID = "sim://tokyo/vm-1" },
		},
		"empty clusterName": {
			mutate:  func(m *kumov1.Machine) { m.Spec.ClusterName = "" },
			wantErr: []string{"spec.clusterName", "at least 1 chars long"},
		},
		"empty pool": {
			mutate:  func(m *kumov1.Machine) { m.Spec.Pool = "" },
			wantErr: []string{"spec.pool", "at least 1 chars long"},
		},
		"empty region": {
			mutate:  func(m *kumov1.Machine) { m.Spec.Region = "" },
			wantErr: []string{"spec.region", "at least 1 chars long"},
		},
		"bad flavor": {
			mutate:  func(m *kumov1.Machine) { m.Spec.Flavor = "M1.LARGE" },
			wantErr: []string{"spec.flavor", "should match"},
		},
	}
	for name, tc := range createCases {
		t.Run("create/"+name, func(t *testing.T) {
			g := NewWithT(t)
			m := validMachine()
			tc.mutate(m)
			err := c.Create(ctx, m)
			expectOutcome(g, err, tc.wantErr)
		})
	}

	updateCases := map[string]struct {
		// providerID is set at creation; empty means the VM does not exist yet.
		providerID string
		// update edits the stored Machine before it is updated.
		update func(*kumov1.Machine)
		// wantErr are substrings the Invalid error must contain; none means
		// the update is accepted.
		wantErr []string
	}{
		"providerID set once from empty": {
			update: func(m *kumov1.Machine) { m.Spec.ProviderID = "sim://tokyo/vm-1" },
		},
		"metadata change after the VM exists": {
			providerID: "sim://tokyo/vm-1",
			update:     func(m *kumov1.Machine) { m.Labels = map[string]string{"kumo.dev/x": "y"} },
		},
		"providerID change": {
			providerID: "sim://tokyo/vm-1",
			update:     func(m *kumov1.Machine) { m.Spec.ProviderID = "sim://tokyo/vm-2" },
			wantErr:    []string{"spec", immutable},
		},
		"providerID removal": {
			providerID: "sim://tokyo/vm-1",
			update:     func(m *kumov1.Machine) { m.Spec.ProviderID = "" },
			wantErr:    []string{"spec", immutable},
		},
		"flavor change after the VM exists": {
			providerID: "sim://tokyo/vm-1",
			update:     func(m *kumov1.Machine) { m.Spec.Flavor = "m1.large" },
			wantErr:    []string{"spec", immutable},
		},
		"pool change after the VM exists": {
			providerID: "sim://tokyo/vm-1",
			update:     func(m *kumov1.Machine) { m.Spec.Pool = "gpu" },
			wantErr:    []string{"spec", immutable},
		},
		"region change after the VM exists": {
			providerID: "sim://tokyo/vm-1",
			update:     func(m *kumov1.Machine) { m.Spec.Region = "osaka" },
			wantErr:    []string{"spec", immutable},
		},
		"clusterName change after the VM exists": {
			providerID: "sim://tokyo/vm-1",
			update:     func(m *kumov1.Machine) { m.Spec.ClusterName = "other" },
			wantErr:    []string{"spec", immutable},
		},
		"flavor change together with setting providerID": {
			update: func(m *kumov1.Machine) {
				m.Spec.ProviderID = "sim://tokyo/vm-1"
				m.Spec.Flavor = "m1.large"
			},
			wantErr: []string{"spec", immutable},
		},
		"flavor change before the VM exists": {
			// Every field but providerID is fixed at creation.
			update:  func(m *kumov1.Machine) { m.Spec.Flavor = "m1.large" },
			wantErr: []string{"spec", immutable},
		},
	}
	for name, tc := range updateCases {
		t.Run("update/"+name, func(t *testing.T) {
			g := NewWithT(t)
			m := validMachine()
			m.Spec.ProviderID = tc.providerID
			g.Expect(c.Create(ctx, m)).To(Succeed())
			tc.update(m)
			err := c.Update(ctx, m)
			expectOutcome(g, err, tc.wantErr)
		})
	}

	t.Run("update/providerID set once, then changed", func(t *testing.T) {
		g := NewWithT(t)
		m := validMachine()
		g.Expect(c.Create(ctx, m)).To(Succeed())
		m.Spec.ProviderID = "sim://tokyo/vm-1"
		g.Expect(c.Update(ctx, m)).To(Succeed())
		m.Spec.ProviderID = "sim://tokyo/vm-2"
		expectInvalid(g, c.Update(ctx, m), []string{"spec", immutable})
	})

	t.Run("create/machine without spec", func(t *testing.T) {
		g := NewWithT(t)
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetAPIVersion(kumov1.GroupVersion.String())
		u.SetKind("Machine")
		u.SetNamespace(validationNamespace)
		u.SetGenerateName("m-")
		expectInvalid(g, c.Create(ctx, u), []string{"spec", "Required value"})
	})
}

func TestTeamQuotaValidation(t *testing.T) {
	ctx, c := startEnv(t)
	quota := func(spec kumov1.TeamQuotaSpec) *kumov1.TeamQuota {
		return &kumov1.TeamQuota{ObjectMeta: metav1.ObjectMeta{GenerateName: "q-", Namespace: validationNamespace}, Spec: spec}
	}

	t.Run("no limits, and zero limits, are accepted", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(c.Create(ctx, quota(kumov1.TeamQuotaSpec{}))).To(Succeed())
		zero := int64(0)
		g.Expect(c.Create(ctx, quota(kumov1.TeamQuotaSpec{MaxClusters: &zero, MaxNodes: &zero, MaxVCPUs: &zero}))).To(Succeed())
	})

	for _, field := range []string{"maxClusters", "maxNodes", "maxVCPUs"} {
		t.Run("create/negative "+field, func(t *testing.T) {
			g := NewWithT(t)
			u := toUnstructured(g, quota(kumov1.TeamQuotaSpec{}), "TeamQuota")
			g.Expect(unstructured.SetNestedField(u.Object, int64(-1), "spec", field)).To(Succeed())
			expectInvalid(g, c.Create(ctx, u), []string{"spec." + field, "greater than or equal to 0"})
		})
		t.Run("create/malformed "+field, func(t *testing.T) {
			g := NewWithT(t)
			u := toUnstructured(g, quota(kumov1.TeamQuotaSpec{}), "TeamQuota")
			g.Expect(unstructured.SetNestedField(u.Object, "ten", "spec", field)).To(Succeed())
			expectInvalid(g, c.Create(ctx, u), []string{"spec." + field, "must be of type integer"})
		})
	}
}

func TestKubernetesReleaseValidation(t *testing.T) {
	ctx, c := startEnv(t)
	release := func(version string, spec kumov1.KubernetesReleaseSpec) *kumov1.KubernetesRelease {
		spec.Version = version
		return &kumov1.KubernetesRelease{ObjectMeta: metav1.ObjectMeta{Name: "v" + version}, Spec: spec}
	}

	t.Run("every state, an end of support, and the state defaulted", func(t *testing.T) {
		g := NewWithT(t)
		eos := metav1.NewTime(time.Date(2027, 6, 28, 0, 0, 0, 0, time.UTC))
		for i, state := range []kumov1.ReleaseState{kumov1.ReleasePreview, kumov1.ReleaseSupported, kumov1.ReleaseDeprecated, kumov1.ReleaseRemoved} {
			g.Expect(c.Create(ctx, release(fmt.Sprintf("1.%d.0", 30+i), kumov1.KubernetesReleaseSpec{State: state, EndOfSupport: &eos}))).To(Succeed(), state)
		}
		r := release("1.29.0", kumov1.KubernetesReleaseSpec{})
		g.Expect(c.Create(ctx, r)).To(Succeed())
		g.Expect(r.Spec.State).To(Equal(kumov1.ReleaseSupported))
		got := &kumov1.KubernetesRelease{}
		g.Expect(c.Get(ctx, client.ObjectKey{Name: "v1.30.0"}, got)).To(Succeed())
		g.Expect(got.Spec.EndOfSupport.Time.Equal(eos.Time)).To(BeTrue())
	})
	t.Run("create/unknown state", func(t *testing.T) {
		g := NewWithT(t)
		expectInvalid(g, c.Create(ctx, release("1.28.0", kumov1.KubernetesReleaseSpec{State: "Retired"})),
			[]string{"spec.state", `supported values: "Preview", "Supported", "Deprecated", "Removed"`})
	})
	t.Run("create/end of support not a time", func(t *testing.T) {
		g := NewWithT(t)
		u := toUnstructured(g, release("1.27.0", kumov1.KubernetesReleaseSpec{}), "KubernetesRelease")
		g.Expect(unstructured.SetNestedField(u.Object, "next summer", "spec", "endOfSupport")).To(Succeed())
		expectInvalid(g, c.Create(ctx, u), []string{"spec.endOfSupport", "date-time"})
	})
	for _, state := range []kumov1.ReleaseState{kumov1.ReleasePreview, kumov1.ReleaseDeprecated, kumov1.ReleaseRemoved} {
		t.Run("create/default on a "+string(state)+" release", func(t *testing.T) {
			g := NewWithT(t)
			expectInvalid(g, c.Create(ctx, release("1.26.0", kumov1.KubernetesReleaseSpec{State: state, Default: true})),
				[]string{"spec.default", "only a Supported release can be the default for new clusters"})
		})
	}
	t.Run("update/deprecating the default", func(t *testing.T) {
		g := NewWithT(t)
		r := release("1.25.0", kumov1.KubernetesReleaseSpec{State: kumov1.ReleaseSupported, Default: true})
		g.Expect(c.Create(ctx, r)).To(Succeed())
		r.Spec.State = kumov1.ReleaseDeprecated
		expectInvalid(g, c.Update(ctx, r), []string{"only a Supported release can be the default"})
	})
}

// validMigration is the smallest ClusterMigration the API server accepts:
// named after its cluster.
func validMigration(cluster string) *kumov1.ClusterMigration {
	return &kumov1.ClusterMigration{
		ObjectMeta: metav1.ObjectMeta{Name: cluster, Namespace: validationNamespace},
		Spec:       kumov1.ClusterMigrationSpec{ClusterName: cluster, TargetRegion: "osaka-1"},
	}
}

func TestClusterMigrationValidation(t *testing.T) {
	ctx, c := startEnv(t)
	n := 0
	// nextName gives each case a cluster of its own, since a migration is
	// named after its cluster.
	nextName := func() string { n++; return "mig-" + string(rune('a'+n/26)) + string(rune('a'+n%26)) }

	t.Run("defaults", func(t *testing.T) {
		g := NewWithT(t)
		m := validMigration(nextName())
		g.Expect(c.Create(ctx, m)).To(Succeed())
		got := &kumov1.ClusterMigration{}
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(m), got)).To(Succeed())
		g.Expect(got.Spec.Steps).To(Equal([]int32{25, 50, 100}))
		g.Expect(got.Spec.Approval).To(Equal(kumov1.ApprovalAutomatic))
		g.Expect(got.Spec.Soak).NotTo(BeNil())
		g.Expect(got.Spec.Soak.Duration).To(Equal(5 * time.Minute))
	})

	createCases := map[string]struct {
		// mutate turns validMigration() into the object under test.
		mutate func(*kumov1.ClusterMigration)
		// wantErr are substrings the Invalid error must contain; none means
		// the migration is accepted.
		wantErr []string
	}{
		"one step of 100": {
			mutate: func(m *kumov1.ClusterMigration) { m.Spec.Steps = []int32{100} },
		},
		"manual approval, no soak": {
			mutate: func(m *kumov1.ClusterMigration) {
				m.Spec.Approval = kumov1.ApprovalManual
				m.Spec.Soak = &metav1.Duration{}
			},
		},
		"name is not the cluster's": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Name = "other" },
			wantErr: []string{"a ClusterMigration is named after its cluster: metadata.name must be mig-"},
		},
		"empty target region": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.TargetRegion = "" },
			wantErr: []string{"spec.targetRegion", "at least 1 chars long"},
		},
		"steps not ending at 100": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.Steps = []int32{25, 50} },
			wantErr: []string{"spec.steps", "the last step must be 100"},
		},
		"steps decreasing": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.Steps = []int32{50, 25, 100} },
			wantErr: []string{"spec.steps", "steps must be strictly increasing"},
		},
		"steps repeating": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.Steps = []int32{50, 50, 100} },
			wantErr: []string{"spec.steps[1]", "Duplicate value"},
		},
		"step 0": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.Steps = []int32{0, 100} },
			wantErr: []string{"spec.steps[0]", "greater than or equal to 1"},
		},
		"step above 100": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.Steps = []int32{50, 150} },
			wantErr: []string{"spec.steps[1]", "less than or equal to 100"},
		},
		"unknown approval": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.Approval = "Sometimes" },
			wantErr: []string{"spec.approval", "Unsupported value"},
		},
		"negative soak": {
			mutate:  func(m *kumov1.ClusterMigration) { m.Spec.Soak = &metav1.Duration{Duration: -time.Minute} },
			wantErr: []string{"spec.soak", "soak must not be negative"},
		},
	}
	for name, tc := range createCases {
		t.Run("create/"+name, func(t *testing.T) {
			g := NewWithT(t)
			m := validMigration(nextName())
			tc.mutate(m)
			err := c.Create(ctx, m)
			expectOutcome(g, err, tc.wantErr)
		})
	}

	t.Run("create/a second migration of a cluster", func(t *testing.T) {
		g := NewWithT(t)
		name := nextName()
		g.Expect(c.Create(ctx, validMigration(name))).To(Succeed())
		err := c.Create(ctx, validMigration(name))
		g.Expect(apierrors.IsAlreadyExists(err)).To(BeTrue(), "want AlreadyExists, got %v", err)
	})

	updateCases := map[string]struct {
		// initial edits validMigration() before it is created.
		initial func(*kumov1.ClusterMigration)
		// update edits the stored migration before it is updated.
		update func(*kumov1.ClusterMigration)
		// wantErr are substrings the Invalid error must contain; none means
		// the update is accepted.
		wantErr []string
	}{
		"pause and resume": {
			update: func(m *kumov1.ClusterMigration) { m.Spec.Paused = true },
		},
		"rollback": {
			update: func(m *kumov1.ClusterMigration) { m.Spec.Rollback = true },
		},
		"finish the soak now": {
			update: func(m *kumov1.ClusterMigration) { m.Spec.Soak = &metav1.Duration{} },
		},
		"approve the next step": {
			update: func(m *kumov1.ClusterMigration) { m.Spec.ApprovedSteps = 2 },
		},
		"rollback undone": {
			initial: func(m *kumov1.ClusterMigration) { m.Spec.Rollback = true },
			update:  func(m *kumov1.ClusterMigration) { m.Spec.Rollback = false },
			wantErr: []string{"rollback cannot be set back to false"},
		},
		"approval withdrawn": {
			initial: func(m *kumov1.ClusterMigration) { m.Spec.ApprovedSteps = 2 },
			update:  func(m *kumov1.ClusterMigration) { m.Spec.ApprovedSteps = 1 },
			wantErr: []string{"approvedSteps cannot decrease"},
		},
		"approval removed": {
			initial: func(m *kumov1.ClusterMigration) { m.Spec.ApprovedSteps = 2 },
			update:  func(m *kumov1.ClusterMigration) { m.Spec.ApprovedSteps = 0 },
			wantErr: []string{"approvedSteps cannot decrease"},
		},
		"target region change": {
			update:  func(m *kumov1.ClusterMigration) { m.Spec.TargetRegion = "tokyo-1" },
			wantErr: []string{"spec.targetRegion", "targetRegion is immutable"},
		},
		"steps change": {
			update:  func(m *kumov1.ClusterMigration) { m.Spec.Steps = []int32{50, 100} },
			wantErr: []string{"spec.steps", "steps are immutable"},
		},
	}
	for name, tc := range updateCases {
		t.Run("update/"+name, func(t *testing.T) {
			g := NewWithT(t)
			m := validMigration(nextName())
			if tc.initial != nil {
				tc.initial(m)
			}
			g.Expect(c.Create(ctx, m)).To(Succeed())
			tc.update(m)
			err := c.Update(ctx, m)
			expectOutcome(g, err, tc.wantErr)
		})
	}

	t.Run("update/clusterName change", func(t *testing.T) {
		g := NewWithT(t)
		m := validMigration(nextName())
		g.Expect(c.Create(ctx, m)).To(Succeed())
		m.Spec.ClusterName = "other"
		expectInvalid(g, c.Update(ctx, m), []string{"spec.clusterName", "clusterName is immutable"})
	})
}

// TestClusterMigratingValidation: while a cluster migrates (its
// status.migratingTo is set, which only the migration controller writes),
// its node pools cannot change; everything else can.
func TestClusterMigratingValidation(t *testing.T) {
	ctx, c := startEnv(t)
	g := NewWithT(t)
	cl := validCluster()
	g.Expect(c.Create(ctx, cl)).To(Succeed())

	// Before a migration, pools change freely.
	cl.Spec.NodePools[0].Replicas = 4
	g.Expect(c.Update(ctx, cl)).To(Succeed())

	cl.Status.MigratingTo = "osaka"
	cl.Status.Region = "tokyo"
	g.Expect(c.Status().Update(ctx, cl)).To(Succeed())

	cases := map[string]struct {
		// update edits the stored cluster before it is updated.
		update func(*kumov1.Cluster)
		// wantErr are substrings the Invalid error must contain; none means
		// the update is accepted.
		wantErr []string
	}{
		"scale a pool": {
			update:  func(cl *kumov1.Cluster) { cl.Spec.NodePools[0].Replicas = 5 },
			wantErr: []string{"node pools cannot change while the cluster migrates to osaka", "kumoctl migrate status " + cl.Name},
		},
		"add a pool": {
			update: func(cl *kumov1.Cluster) {
				cl.Spec.NodePools = append(cl.Spec.NodePools, kumov1.NodePool{Name: "gpu", Replicas: 1, Flavor: "m1.large"})
			},
			wantErr: []string{"node pools cannot change while the cluster migrates"},
		},
		"remove every pool": {
			update:  func(cl *kumov1.Cluster) { cl.Spec.NodePools = nil },
			wantErr: []string{"node pools cannot change while the cluster migrates"},
		},
		"pause": {
			update: func(cl *kumov1.Cluster) { cl.Spec.Paused = true },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			got := &kumov1.Cluster{}
			g.Expect(c.Get(ctx, client.ObjectKeyFromObject(cl), got)).To(Succeed())
			tc.update(got)
			err := c.Update(ctx, got)
			expectOutcome(g, err, tc.wantErr)
		})
	}

	// Once the migration ends, pools change again.
	got := &kumov1.Cluster{}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(cl), got)).To(Succeed())
	got.Status.MigratingTo = ""
	g.Expect(c.Status().Update(ctx, got)).To(Succeed())
	got.Spec.NodePools[0].Replicas = 6
	g.Expect(c.Update(ctx, got)).To(Succeed())
}
