package rbac

import (
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
)

// TestLoad: the generated roles come with bindings to the given user; the
// leader-election Role lives in kumo-system.
func TestLoad(t *testing.T) {
	g := NewWithT(t)
	objs, err := Load("kumo-manager")
	g.Expect(err).NotTo(HaveOccurred())
	var kinds []string
	for _, o := range objs {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			kinds = append(kinds, "ClusterRole")
			g.Expect(o.Rules).NotTo(BeEmpty())
		case *rbacv1.ClusterRoleBinding:
			kinds = append(kinds, "ClusterRoleBinding")
			g.Expect(o.Subjects).To(ConsistOf(rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: "User", Name: "kumo-manager"}))
		case *rbacv1.Role:
			kinds = append(kinds, "Role")
			g.Expect(o.Namespace).To(Equal("kumo-system"))
		case *rbacv1.RoleBinding:
			kinds = append(kinds, "RoleBinding")
			g.Expect(o.Namespace).To(Equal("kumo-system"))
			g.Expect(o.RoleRef.Kind).To(Equal("Role"))
		}
	}
	g.Expect(kinds).To(Equal([]string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}))
}
