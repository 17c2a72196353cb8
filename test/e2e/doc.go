// Package e2e drives the built `kumo` binary: `kumo up` in a temporary data
// directory, then the user's journey through kubectl against the management
// API and a tenant cluster, plus fault tests that kill the platform mid-way.
package e2e
