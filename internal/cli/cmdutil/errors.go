package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Exit codes, documented in `kumoctl --help`.
const (
	ExitOK        = 0
	ExitError     = 1 // anything not below
	ExitUsage     = 2 // bad flags or arguments
	ExitNotFound  = 3 // the named cluster (or pool, region, version) does not exist
	ExitForbidden = 4 // RBAC refused the request
	ExitFailed    = 5 // the operation ran and failed (a --wait saw a failure)
	ExitTimeout   = 6 // --wait ran out of time; the operation goes on
	ExitInterrupt = 130
)

// CodedError carries an exit code with a message meant for people.
type CodedError struct {
	Code int
	Err  error
}

func (e *CodedError) Error() string { return e.Err.Error() }
func (e *CodedError) Unwrap() error { return e.Err }

// Exit wraps err with a code.
func Exit(code int, format string, args ...any) error {
	return &CodedError{Code: code, Err: fmt.Errorf(format, args...)}
}

// UsageError is a bad flag or argument.
func UsageError(format string, args ...any) error { return Exit(ExitUsage, format, args...) }

// CodeOf returns the exit code for err.
func CodeOf(err error) int {
	var ee *CodedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, context.Canceled):
		return ExitInterrupt
	case apierrors.IsNotFound(err):
		return ExitNotFound
	case apierrors.IsForbidden(err):
		return ExitForbidden
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return ExitUsage
	}
	return ExitError
}

// APIError turns an API error into one that says what to do. what names
// the request, e.g. "create cluster demo".
func APIError(err error, what, namespace string) error {
	if err == nil {
		return nil
	}
	switch {
	case apierrors.IsForbidden(err):
		verb, resource := forbiddenDetail(err)
		where := fmt.Sprintf("in namespace %q", namespace)
		if namespace == "" {
			where = "across all namespaces"
		}
		return Exit(ExitForbidden, "you may not %s %s: your account lacks %q on %q.\nAsk the platform team for access to this team's namespace, or pick your own with -n",
			what, where, verb, resource)
	case apierrors.IsUnauthorized(err):
		return Exit(ExitForbidden, "the management API does not accept your credentials (%v); refresh your kubeconfig", err)
	case apierrors.IsInvalid(err):
		return Exit(ExitUsage, "the platform refused to %s: %s", what, invalidDetail(err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// forbiddenDetail pulls verb and resource out of a Forbidden status
// message: `... cannot list resource "clusters" in API group ...`.
func forbiddenDetail(err error) (verb, resource string) {
	msg := err.Error()
	if i := strings.Index(msg, "cannot "); i >= 0 {
		rest := msg[i+len("cannot "):]
		verb, rest, _ = strings.Cut(rest, " ")
		if j := strings.Index(rest, `resource "`); j >= 0 {
			resource, _, _ = strings.Cut(rest[j+len(`resource "`):], `"`)
		}
	}
	var se apierrors.APIStatus
	if resource == "" && errors.As(err, &se) && se.Status().Details != nil {
		resource = se.Status().Details.Kind
	}
	return verb, resource
}

func invalidDetail(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) && se.Status().Details != nil && len(se.Status().Details.Causes) > 0 {
		var parts []string
		for _, c := range se.Status().Details.Causes {
			parts = append(parts, strings.TrimSpace(c.Field+": "+c.Message))
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}
