package cmdtest

import "testing"

// TestMain shares one real API server among the package's tests.
func TestMain(m *testing.M) { Main(m) }
