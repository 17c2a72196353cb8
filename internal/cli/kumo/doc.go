// Package kumo is the `kumo` operator command: `kumo up` runs the platform
// locally and `status`, `logs`, `down` and `kubectl` work with a running one;
// `kumo toolchain` builds the Kubernetes binaries it runs.
package kumo
