// Package cluster is the Cluster controller: it issues a cluster's CA, runs
// its hosted control plane through a controlplane.Runtime, publishes the
// admin kubeconfig, and keeps one Machine per desired node of each pool.
package cluster
