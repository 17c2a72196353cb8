// Package machine is the Machine controller: it boots one VM per Machine
// through a cloud.Provider, registers the VM as a Node of the tenant cluster,
// and on deletion drains the Node (eviction API) before deleting the VM.
package machine
