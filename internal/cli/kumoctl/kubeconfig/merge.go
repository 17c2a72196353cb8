package kubeconfig

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
	"github.com/kumo-dev/kumo/internal/cli/cmdutil"
)

// fetchKubeconfig reads the admin kubeconfig the platform issued for a
// cluster of the current namespace.
func fetchKubeconfig(ctx context.Context, f *cmdutil.Factory, name string) (namespace string, data []byte, err error) {
	c, err := f.Client()
	if err != nil {
		return "", nil, err
	}
	ns, err := f.Namespace()
	if err != nil {
		return "", nil, err
	}
	cl, err := cmdutil.GetCluster(ctx, c, ns, name)
	if err != nil {
		return "", nil, err
	}
	secretName := cl.Status.KubeconfigSecret
	if secretName == "" {
		secretName = kumov1.KubeconfigSecretName(name)
	}
	var secret corev1.Secret
	err = c.Get(ctx, client.ObjectKey{Namespace: ns, Name: secretName}, &secret)
	if err != nil && !apierrors.IsNotFound(err) {
		return "", nil, cmdutil.APIError(err, "read the kubeconfig of cluster "+name, ns)
	}
	data = secret.Data[kumov1.KubeconfigSecretKey]
	if len(data) == 0 {
		phase := string(cl.Status.Phase)
		if phase == "" {
			phase = "Pending"
		}
		return "", nil, cmdutil.Exit(cmdutil.ExitError, "cluster %s in %s is not ready yet (%s): its kubeconfig has not been issued; follow it with `kumoctl cluster describe %s`",
			name, ns, phase, name)
	}
	return ns, data, nil
}

// merge copies the current context of the tenant kubeconfig data, with
// its cluster and user, into the kubeconfig files of access, all three
// named name, replacing earlier entries of that name. With use, name
// becomes the current context (and the one it replaces the previous
// context). It returns the file that holds the context.
func merge(access clientcmd.ConfigAccess, data []byte, name string, rec cmdutil.TenantContext, use bool) (string, error) {
	tenantCfg, err := clientcmd.Load(data)
	if err != nil {
		return "", fmt.Errorf("reading the kubeconfig of cluster %s: %w", rec.Cluster, err)
	}
	cfg, err := access.GetStartingConfig()
	if err != nil {
		return "", fmt.Errorf("reading your kubeconfig: %w", err)
	}
	if err := mergeInto(cfg, tenantCfg, name, rec); err != nil {
		return "", err
	}
	if use {
		cmdutil.UseContext(cfg, name)
	}
	file := cfg.Contexts[name].LocationOfOrigin
	if file == "" {
		file = access.GetDefaultFilename()
	}
	if err := clientcmd.ModifyConfig(access, *cfg, true); err != nil {
		return "", fmt.Errorf("writing your kubeconfig: %w", err)
	}
	return file, nil
}

// mergeInto puts the current context of src, with its cluster and user,
// into dst under name. Entries of dst with that name are replaced but keep
// the file they came from, and the context keeps a namespace set on it.
func mergeInto(dst, src *clientcmdapi.Config, name string, rec cmdutil.TenantContext) error {
	srcCtx := src.Contexts[src.CurrentContext]
	if srcCtx == nil && len(src.Contexts) == 1 {
		for _, c := range src.Contexts {
			srcCtx = c
		}
	}
	if srcCtx == nil {
		return fmt.Errorf("the kubeconfig of cluster %s has no current context", rec.Cluster)
	}
	srcCluster, srcUser := src.Clusters[srcCtx.Cluster], src.AuthInfos[srcCtx.AuthInfo]
	if srcCluster == nil || srcUser == nil {
		return fmt.Errorf("the kubeconfig of cluster %s lacks the cluster or user of its context", rec.Cluster)
	}

	cluster := srcCluster.DeepCopy()
	if old := dst.Clusters[name]; old != nil {
		cluster.LocationOfOrigin = old.LocationOfOrigin
	}
	dst.Clusters[name] = cluster

	user := srcUser.DeepCopy()
	if old := dst.AuthInfos[name]; old != nil {
		user.LocationOfOrigin = old.LocationOfOrigin
	}
	dst.AuthInfos[name] = user

	kctx := srcCtx.DeepCopy()
	kctx.Cluster, kctx.AuthInfo = name, name
	if old := dst.Contexts[name]; old != nil {
		kctx.LocationOfOrigin = old.LocationOfOrigin
		kctx.Namespace = old.Namespace
	}
	cmdutil.SetTenantContext(kctx, rec)
	dst.Contexts[name] = kctx
	return nil
}

// explicitContext is the value of kumoctl's --context flag, if any.
func explicitContext(cmd *cobra.Command) string {
	if fl := cmd.Flag("context"); fl != nil {
		return fl.Value.String()
	}
	return ""
}

// tenantRecord is what a merged context records: which cluster it is,
// and which context reaches the management API (--context, else the
// current one, unless that is itself a tenant context).
func tenantRecord(f *cmdutil.Factory, namespace, name, explicit string) cmdutil.TenantContext {
	rec := cmdutil.TenantContext{Namespace: namespace, Cluster: name, ManagementContext: explicit}
	if cfg, err := f.KubeconfigAccess().GetStartingConfig(); err == nil {
		rec.ManagementContext = cmdutil.ManagementContext(cfg, explicit)
	}
	return rec
}
