// Command kumoctl is the tenant CLI of Kumo.
package main

import (
	"os"

	"github.com/kumo-dev/kumo/internal/cli/kumoctl"
)

func main() {
	os.Exit(kumoctl.Execute())
}
