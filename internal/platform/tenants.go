package platform

import (
	"context"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kumo-dev/kumo/internal/pki"
)

// Tenant RBAC: a team is a namespace; its members get TenantRole there
// through a RoleBinding, and every tenant may read the platform catalog
// (regions, versions) through TenantsGroup.
const (
	TenantRole        = "kumo:tenant"
	TenantCatalogRole = "kumo:tenant-catalog"
	TenantsGroup      = "kumo:tenants"
)

func tenantRoles() []client.Object {
	read := []string{"get", "list", "watch"}
	return []client.Object{
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: TenantRole},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"kumo.dev"}, Resources: []string{"clusters"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
				{APIGroups: []string{"kumo.dev"}, Resources: []string{"clusters/status", "machines", "machines/status"}, Verbs: read},
				// The team's kubeconfig Secrets (`kumoctl kubeconfig`).
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
				{APIGroups: []string{"", "events.k8s.io"}, Resources: []string{"events"}, Verbs: read},
			},
		},
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: TenantCatalogRole},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"kumo.dev"}, Resources: []string{"regions", "kubernetesreleases"}, Verbs: read},
			},
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: TenantCatalogRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: TenantCatalogRole},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "Group", Name: TenantsGroup}},
		},
	}
}

// AddTenantOptions describe a team member to admit.
type AddTenantOptions struct {
	DataDir   string
	Namespace string
	User      string
	// Validity of the user's client certificate.
	Validity time.Duration
}

// AddTenant makes the team namespace, binds the user to TenantRole in it
// and returns a kubeconfig for the user whose context defaults to that
// namespace. It is idempotent. Local mode only: it signs the user's
// certificate with the management CA in the data directory.
func AddTenant(ctx context.Context, o AddTenantOptions) ([]byte, error) {
	c, cfg, err := adminClient(o.DataDir, 0)
	if err != nil {
		return nil, fmt.Errorf("reading the admin kubeconfig (is `kumo up` running with --data-dir %s?): %w", o.DataDir, err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.Namespace, Labels: map[string]string{"kumo.dev/team": o.Namespace}}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", o.Namespace, err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, Name: TenantRole + ":" + o.User},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: TenantRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: o.User}},
	}
	if err := c.Create(ctx, rb); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("binding %s to %s: %w", o.User, o.Namespace, err)
	}

	ca, err := mgmtPKI{dir: filepath.Join(o.DataDir, "pki")}.ca()
	if err != nil {
		return nil, err
	}
	validity := o.Validity
	if validity == 0 {
		validity = 365 * 24 * time.Hour
	}
	user, err := ca.Issue(pki.CertConfig{CommonName: o.User, Organization: []string{TenantsGroup},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, Validity: validity})
	if err != nil {
		return nil, err
	}
	kc, err := pki.Kubeconfig("kumo", cfg.Host, ca.CertPEM, o.User, user.CertPEM, user.KeyPEM)
	if err != nil {
		return nil, err
	}
	// The context's namespace is the team, so kumoctl needs no -n.
	parsed, err := clientcmd.Load(kc)
	if err != nil {
		return nil, err
	}
	for _, ctx := range parsed.Contexts {
		ctx.Namespace = o.Namespace
	}
	return clientcmd.Write(*parsed)
}
