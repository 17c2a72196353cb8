// Command kumo runs the Kumo platform: `kumo up` starts it locally.
package main

import (
	"os"

	"github.com/kumo-dev/kumo/internal/cli/kumo"
)

func main() {
	os.Exit(kumo.Execute())
}
