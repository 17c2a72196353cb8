package platform

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kumo-dev/kumo/config/rbac"
)

// installAccess creates or updates who may do what on the management API,
// and how much of it: the tenant roles, the manager's roles (generated from
// its controllers' markers) and the flow control that keeps tenants from
// starving the manager and each other.
func installAccess(ctx context.Context, c client.Client) error {
	manager, err := rbac.Load(ManagerUser)
	if err != nil {
		return err
	}
	for _, set := range []struct {
		what string
		objs []client.Object
	}{
		{"tenant role", tenantRoles()},
		{"manager role", manager},
		{"flow control", flowControl()},
	} {
		if err := createOrUpdate(ctx, c, set.what, set.objs); err != nil {
			return err
		}
	}
	return nil
}

// createOrUpdate makes each object in objs as it is given; what names them
// in errors.
func createOrUpdate(ctx context.Context, c client.Client, what string, objs []client.Object) error {
	for _, obj := range objs {
		existing := obj.DeepCopyObject().(client.Object)
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), existing)
		switch {
		case apierrors.IsNotFound(err):
			err = c.Create(ctx, obj)
		case err == nil:
			obj.SetResourceVersion(existing.GetResourceVersion())
			err = c.Update(ctx, obj)
		}
		if err != nil {
			return fmt.Errorf("installing %s %s: %w", what, obj.GetName(), err)
		}
	}
	return nil
}
