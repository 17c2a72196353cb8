// Package kumo is the `kumo` operator command: `kumo up` runs the platform
// locally, `kumo toolchain` builds the Kubernetes binaries it runs.
package kumo
