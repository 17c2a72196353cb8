// Package ctrltest runs Kumo's controllers against a real management API
// server for the integration tests under internal/controller: envtest's etcd
// and kube-apiserver, and manager.New with the sim cloud and local control planes.
package ctrltest
