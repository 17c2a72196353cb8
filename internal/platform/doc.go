// Package platform is `kumo up`: it runs the management plane (etcd,
// kube-apiserver, kube-controller-manager), installs Kumo's CRDs, seeds the
// simulated regions and runs the manager, all from one data directory.
package platform
