// Package toolchain builds the real Kubernetes binaries Kumo runs (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok; Prometheus and promtool for monitoring)
// from the Go module proxy and caches them by version, so several versions
// can live side by side and each is built only once.
package toolchain
