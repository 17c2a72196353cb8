package cmdutil

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// terminal reports whether Out is an interactive terminal: progress is
	// redrawn in place there and printed as plain lines otherwise.
	terminal bool
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, terminal: term.IsTerminal(int(os.Stdout.Fd()))}
}

// Test returns streams backed by buffers, for tests.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsTerminal reports whether output goes to a terminal.
func (s *IOStreams) IsTerminal() bool { return s.terminal }

// SetTerminal overrides terminal detection (tests).
func (s *IOStreams) SetTerminal(t bool) { s.terminal = t }
