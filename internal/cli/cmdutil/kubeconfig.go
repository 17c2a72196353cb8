package cmdutil

import (
	"encoding/json"
	"sort"

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

// PreviousContextExtension keys the extension in the kubeconfig's
// preferences where kumoctl records the context that was current before
// it switched to another: `kumoctl use -` goes back to it, and so does
// deleting the cluster of the current context. It is kept in the file
// that holds current-context.
const PreviousContextExtension = "kumo.dev/previous-context"

// previousContext is what that extension records.
type previousContext struct {
	Context string `json:"context"`
}

// PreviousContext returns the context recorded as current before the last
// switch kumoctl made, "" if none.
func PreviousContext(cfg *clientcmdapi.Config) string {
	unk, ok := cfg.Preferences.Extensions[PreviousContextExtension].(*runtime.Unknown)
	var prev previousContext
	if !ok || json.Unmarshal(unk.Raw, &prev) != nil {
		return ""
	}
	return prev.Context
}

func setPreviousContext(cfg *clientcmdapi.Config, name string) {
	if name == "" {
		delete(cfg.Preferences.Extensions, PreviousContextExtension)
		return
	}
	raw, _ := json.Marshal(previousContext{Context: name}) // a struct of strings always marshals
	if cfg.Preferences.Extensions == nil {
		cfg.Preferences.Extensions = map[string]runtime.Object{}
	}
	cfg.Preferences.Extensions[PreviousContextExtension] = &runtime.Unknown{Raw: raw, ContentType: runtime.ContentTypeJSON}
}

// UseContext makes name the current context, recording the one it
// replaces as the previous context, and reports whether it switched. When
// name is current already and recorded as the previous context too
// (kubectl switched back to it), the record goes: no context before it is
// known.
func UseContext(cfg *clientcmdapi.Config, name string) bool {
	if cfg.CurrentContext == name {
		if PreviousContext(cfg) == name {
			setPreviousContext(cfg, "")
		}
		return false
	}
	setPreviousContext(cfg, cfg.CurrentContext)
	cfg.CurrentContext = name
	return true
}

// Removal is what RemoveTenantContexts did to a kubeconfig.
type Removal struct {
	// Contexts are the contexts removed, with the cluster and user
	// entries they use that no other context uses.
	Contexts []string
	// File is the file that held the (first) context.
	File string
	// WasCurrent says one of them was the current context; CurrentContext
	// is the current context now ("" when none was left to go back to).
	WasCurrent     bool
	CurrentContext string
}

// RemoveTenantContexts removes from cfg what kumoctl merged for a cluster:
// the contexts that record it, and the cluster and user entries they use
// (whatever the user renamed since) where no other context uses them. Where such a context was current, it switches back to the previous
// context, or else to the management context it records, if that is still
// there. It changes nothing when nothing was merged for the cluster.
func RemoveTenantContexts(cfg *clientcmdapi.Config, namespace, cluster string) Removal {
	var r Removal
	var mgmt string
	var clusters, users []string // the entries the removed contexts use
	for _, name := range sortedKeys(cfg.Contexts) {
		kctx := cfg.Contexts[name]
		tc, ok := GetTenantContext(kctx)
		if !ok || tc.Namespace != namespace || tc.Cluster != cluster {
			continue
		}
		if r.File == "" {
			r.File = kctx.LocationOfOrigin
		}
		if name == cfg.CurrentContext {
			r.WasCurrent, mgmt = true, tc.ManagementContext
		}
		r.Contexts = append(r.Contexts, name)
		clusters, users = append(clusters, kctx.Cluster), append(users, kctx.AuthInfo)
		delete(cfg.Contexts, name)
	}
	if len(r.Contexts) == 0 {
		return r
	}
	usedClusters, usedUsers := map[string]bool{}, map[string]bool{}
	for _, kctx := range cfg.Contexts {
		usedClusters[kctx.Cluster], usedUsers[kctx.AuthInfo] = true, true
	}
	for _, name := range clusters {
		if !usedClusters[name] {
			delete(cfg.Clusters, name)
		}
	}
	for _, name := range users {
		if !usedUsers[name] {
			delete(cfg.AuthInfos, name)
		}
	}
	prev := PreviousContext(cfg)
	if _, ok := cfg.Contexts[prev]; !ok {
		setPreviousContext(cfg, "") // it was removed, or is gone anyway
		prev = ""
	}
	if r.WasCurrent {
		cfg.CurrentContext = ""
		for _, candidate := range []string{prev, mgmt} {
			if _, ok := cfg.Contexts[candidate]; ok && candidate != "" {
				cfg.CurrentContext = candidate
				break
			}
		}
		if cfg.CurrentContext == prev {
			setPreviousContext(cfg, "") // gone back to it: nothing to go back to now
		}
		r.CurrentContext = cfg.CurrentContext
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
