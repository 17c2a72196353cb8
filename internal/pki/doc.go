// Package pki issues the certificates and keys a tenant control plane runs
// on: an ECDSA CA and the leaf certificates it signs, the service-account
// signing key, kubeconfigs for clients, and atomic 0600 files to hold them.
package pki
