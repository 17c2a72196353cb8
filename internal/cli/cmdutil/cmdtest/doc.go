// Package cmdtest helps test kumoctl commands: a Factory over a real
// management API server (etcd and kube-apiserver with Kumo's CRDs, one per
// test binary, see Main) holding exactly the objects a test asks for, with
// a pinned clock and buffered streams; a small World to run against; and
// golden files that `go test ./internal/cli/... -update` rewrites. Only
// tests import it.
package cmdtest
