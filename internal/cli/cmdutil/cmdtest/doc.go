// Package cmdtest helps test kumoctl commands: a Factory over a fake
// management API with a pinned clock and buffered streams, a small World to
// run against, and golden files that `go test ./internal/cli/... -update`
// rewrites. Only tests import it.
package cmdtest
