package migrate

import (
	"testing"

	"github.com/kumo-dev/kumo/internal/cli/cmdutil/cmdtest"
)

// TestMain shares one real API server among the package's tests.
func TestMain(m *testing.M) { cmdtest.Main(m) }
