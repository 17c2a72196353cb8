// Package testenv starts a real management API server (envtest with the
// etcd and kube-apiserver built by the toolchain) with Kumo's CRDs installed,
// for integration tests.
package testenv
