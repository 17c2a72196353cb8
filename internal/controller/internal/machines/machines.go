// Package machines holds what the controllers that replace a cluster's
// Machines (migration, evacuation) and the cluster controller share: how a
// new Machine of a pool is made, and which Machines count towards a pool.
package machines

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
)

// New is a Machine of the cluster's pool in region, owned by the cluster
// with the finalizer set, as the cluster controller makes them; labels are
// added to the cluster and pool labels.
func New(c *kumov1.Cluster, pool kumov1.NodePool, name, region string, labels map[string]string) *kumov1.Machine {
	m := &kumov1.Machine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:  c.Namespace,
			Name:       name,
			Labels:     map[string]string{kumov1.ClusterNameLabel: c.Name, kumov1.PoolNameLabel: pool.Name},
			Finalizers: []string{kumov1.MachineFinalizer},
		},
		Spec: kumov1.MachineSpec{ClusterName: c.Name, Pool: pool.Name, Region: region, Flavor: pool.Flavor},
	}
	for k, v := range labels {
		m.Labels[k] = v
	}
	return m
}

// Create creates m (from New), owned by c. It returns false, and no
// error, if a Machine of that name exists: the caller decides from it
// whether the name is its own (a repeat after a crash) or taken.
func Create(ctx context.Context, cl client.Client, c *kumov1.Cluster, m *kumov1.Machine) (bool, error) {
	if err := controllerutil.SetControllerReference(c, m, cl.Scheme()); err != nil {
		return false, err
	}
	err := cl.Create(ctx, m)
	if apierrors.IsAlreadyExists(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating machine %s: %w", m.Name, err)
	}
	return true, nil
}

// Ready reports the Machine's Ready condition.
func Ready(m *kumov1.Machine) bool {
	return meta.IsStatusConditionTrue(m.Status.Conditions, kumov1.ReadyCondition)
}

// ServerID takes the server ID from a providerID "<provider>://<region>/<id>".
func ServerID(providerID string) string {
	return providerID[strings.LastIndexByte(providerID, '/')+1:]
}

// Counted drops from live (a pool's Machines not being deleted) each
// evacuation's replacement whose old Machine is still among them: of the
// two, one node is wanted, and the cluster controller must neither create
// a third nor scale the pair back in.
func Counted(live []*kumov1.Machine) []*kumov1.Machine {
	names := make(map[string]bool, len(live))
	for _, m := range live {
		names[m.Name] = true
	}
	out := live[:0:0]
	for _, m := range live {
		if old, ok := m.Labels[kumov1.ReplacesLabel]; ok && names[old] {
			continue
		}
		out = append(out, m)
	}
	return out
}
