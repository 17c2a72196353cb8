// Package tenant gives controllers clients for tenant clusters, built from
// each cluster's admin kubeconfig Secret and cached until the Secret changes.
package tenant
