// Package manager wires Kumo's controllers into one controller-runtime
// manager. Both `kumo up` and the integration tests build it here, so they
// run the same code.
package manager
