// Package controlplane defines how Kumo runs a tenant cluster's hosted
// control plane (kube-apiserver, kube-controller-manager, kube-scheduler on
// its own etcd prefix). Runtimes: process/ (local processes); pods later.
package controlplane
