package cmdutil

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/runtime"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// TenantContextName is the name kumoctl gives the kubeconfig cluster, user
// and context of a tenant cluster it merges, unique per team and cluster.
func TenantContextName(namespace, cluster string) string {
	return "kumo-" + namespace + "-" + cluster
}

// TenantContextExtension keys the extension kumoctl puts on the kubeconfig
// contexts it merges, so that it can tell them from the management context.
const TenantContextExtension = "kumo.dev/tenant-cluster"

// TenantContext is what that extension records.
type TenantContext struct {
	Cluster string `json:"cluster"`
	// ManagementContext is the context that reached the management API
	// when the tenant context was merged.
	ManagementContext string `json:"managementContext,omitempty"`
	Namespace         string `json:"namespace"`
}

// SetTenantContext records tc on a kubeconfig context.
func SetTenantContext(kc *clientcmdapi.Context, tc TenantContext) {
	raw, _ := json.Marshal(tc) // a struct of strings always marshals
	if kc.Extensions == nil {
		kc.Extensions = map[string]runtime.Object{}
	}
	kc.Extensions[TenantContextExtension] = &runtime.Unknown{Raw: raw, ContentType: runtime.ContentTypeJSON}
}

// GetTenantContext reads what SetTenantContext recorded; ok is false for
// contexts kumoctl did not merge.
func GetTenantContext(kc *clientcmdapi.Context) (tc TenantContext, ok bool) {
	if kc == nil {
		return tc, false
	}
	unk, isUnknown := kc.Extensions[TenantContextExtension].(*runtime.Unknown)
	if !isUnknown || json.Unmarshal(unk.Raw, &tc) != nil {
		return TenantContext{}, false
	}
	return tc, true
}

// ManagementContext returns the kubeconfig context that reaches the
// management API: explicit (--context) when given, else the current
// context, unless that is a tenant context kumoctl switched to; then the
// management context recorded on it.
func ManagementContext(cfg *clientcmdapi.Config, explicit string) string {
	if explicit != "" {
		return explicit
	}
	if tc, ok := GetTenantContext(cfg.Contexts[cfg.CurrentContext]); ok && tc.ManagementContext != "" {
		return tc.ManagementContext
	}
	return cfg.CurrentContext
}
