package cmdutil

import (
	"bufio"
	"fmt"
	"strings"
)

// Confirm guards a destructive command: with --yes it passes; without a
// terminal it refuses (scripts must say --yes); otherwise it shows warning
// and asks the user to type name.
func Confirm(io *IOStreams, yes bool, what, warning, name string) error {
	if yes {
		return nil
	}
	if !io.IsTerminal() {
		return UsageError("refusing to delete %s without confirmation: pass --yes", what)
	}
	_, _ = fmt.Fprintf(io.ErrOut, "%s\nType %q to confirm: ", warning, name)
	answer, _ := bufio.NewReader(io.In).ReadString('\n')
	if strings.TrimSpace(answer) != name {
		return Exit(ExitError, "not confirmed; nothing deleted")
	}
	return nil
}
