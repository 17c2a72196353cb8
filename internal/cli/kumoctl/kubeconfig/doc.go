// Package kubeconfig holds the commands that hand out access to tenant
// clusters: `kumoctl kubeconfig`, which prints, writes or merges a
// cluster's admin kubeconfig, and `kumoctl use`, which switches to it.
package kubeconfig
