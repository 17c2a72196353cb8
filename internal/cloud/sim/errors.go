package sim

import "fmt"

// simError carries a full message of its own while still matching one of the
// cloud package's sentinels, so errors read `region "x" not found` rather than
// `region "x": not found`.
type simError struct {
	msg      string
	sentinel error
}

func (e *simError) Error() string { return e.msg }
func (e *simError) Unwrap() error { return e.sentinel }

func errorf(sentinel error, format string, args ...any) error {
	return &simError{msg: fmt.Sprintf(format, args...), sentinel: sentinel}
}
