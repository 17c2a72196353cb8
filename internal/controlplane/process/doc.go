// Package process is the local control-plane runtime: each tenant cluster's
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok run as
// supervised child processes against a prefix of the shared etcd.
package process
