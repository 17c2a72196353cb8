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
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
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
				// Moving the team's clusters (`kumoctl migrate`); the status is the controller's.
				{APIGroups: []string{"kumo.dev"}, Resources: []string{"clustermigrations"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
				{APIGroups: []string{"kumo.dev"}, Resources: []string{"clustermigrations/status"}, Verbs: read},
				// The team's quota (`kumoctl quota`); operators set it.
				{APIGroups: []string{"kumo.dev"}, Resources: []string{"teamquotas"}, Verbs: read},
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

// createOrReplace makes obj, Kumo's own, what the API holds.
func createOrReplace(ctx context.Context, c client.Client, obj client.Object) error {
	existing := obj.DeepCopyObject().(client.Object)
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), existing)
	switch {
	case apierrors.IsNotFound(err):
		return c.Create(ctx, obj)
	case err != nil:
		return err
	}
	obj.SetResourceVersion(existing.GetResourceVersion())
	return c.Update(ctx, obj)
}

// AddTenantOptions describe a team, and a member to admit.
type AddTenantOptions struct {
	DataDir   string
	Namespace string
	// User, if set, is bound to TenantRole in the team and gets a
	// kubeconfig.
	User string
	// Validity of the user's client certificate.
	Validity time.Duration
	// Quota changes the team's limits.
	Quota QuotaChange
}

// LimitChange is what `kumo tenant add --max-...` does to one limit of a
// team: nothing unless Set; with a nil Value it removes the team's own
// limit, so that the platform default applies again.
type LimitChange struct {
	Set   bool
	Value *int64
}

// QuotaChange changes a team's TeamQuota.
type QuotaChange struct {
	Clusters, Nodes, VCPUs LimitChange
}

// Any reports whether q changes anything.
func (q QuotaChange) Any() bool { return q.Clusters.Set || q.Nodes.Set || q.VCPUs.Set }

func (q QuotaChange) apply(spec *kumov1.TeamQuotaSpec) {
	for _, l := range []struct {
		change LimitChange
		limit  **int64
	}{{q.Clusters, &spec.MaxClusters}, {q.Nodes, &spec.MaxNodes}, {q.VCPUs, &spec.MaxVCPUs}} {
		if l.change.Set {
			*l.limit = l.change.Value
		}
	}
}

// Tenant is what AddTenant made.
type Tenant struct {
	// Kubeconfig is the user's; nil without a user.
	Kubeconfig []byte
	// Quota is the team's quota as it is now.
	Quota *kumov1.TeamQuota
}

// AddTenant makes the team namespace and its TeamQuota, applies the quota
// change, and with a user binds them to TenantRole in it and returns a
// kubeconfig for them whose context defaults to that namespace. It is
// idempotent. Local mode only: it signs the user's certificate with the
// management CA in the data directory.
func AddTenant(ctx context.Context, o AddTenantOptions) (*Tenant, error) {
	c, cfg, err := adminClient(o.DataDir, 0)
	if err != nil {
		return nil, fmt.Errorf("reading the admin kubeconfig (is `kumo up` running with --data-dir %s?): %w", o.DataDir, err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.Namespace, Labels: map[string]string{"kumo.dev/team": o.Namespace}}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", o.Namespace, err)
	}
	quota, err := setQuota(ctx, c, o.Namespace, o.Quota)
	if err != nil {
		return nil, err
	}
	t := &Tenant{Quota: quota}
	if o.User == "" {
		return t, nil
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.Namespace, Name: TenantRole + ":" + o.User},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: TenantRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: o.User}},
	}
	if err := c.Create(ctx, rb); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("binding %s to %s: %w", o.User, o.Namespace, err)
	}
	t.Kubeconfig, err = userKubeconfig(o, cfg.Host)
	return t, err
}

// setQuota creates the team's TeamQuota or changes its limits; limits not
// in change stay as they are.
func setQuota(ctx context.Context, c client.Client, namespace string, change QuotaChange) (*kumov1.TeamQuota, error) {
	q := &kumov1.TeamQuota{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: kumov1.TeamQuotaName}}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		_, err := controllerutil.CreateOrUpdate(ctx, c, q, func() error {
			change.apply(&q.Spec)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("setting the quota of team %s: %w", namespace, err)
	}
	return q, nil
}

// userKubeconfig issues o.User a client certificate of the management CA
// and a kubeconfig for server whose context is the team's namespace.
func userKubeconfig(o AddTenantOptions, server string) ([]byte, error) {
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
	kc, err := pki.Kubeconfig("kumo", server, ca.CertPEM, o.User, user.CertPEM, user.KeyPEM)
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
