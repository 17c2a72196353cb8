package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	kumov1 "github.com/kumo-dev/kumo/api/v1alpha1"
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
	if msg, ok := quotaExceeded(err); ok {
		return Exit(ExitUsage, "the platform refused to %s: %s", what, msg)
	}
	switch {
	case apierrors.IsInternalError(err) && strings.Contains(err.Error(), fmt.Sprintf("failed calling webhook %q", kumov1.QuotaWebhookName)):
		return Exit(ExitError, "could not %s: the platform checks every cluster change against your team's quota, "+
			"and its checker (the Kumo manager) does not answer, so nothing was changed. Try again in a moment; "+
			"if it lasts, tell the platform team.\nThe API server said: %v", what, err)
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

// quotaExceeded is admission's message when err is its refusal of a write
// that would pass the team's quota (Forbidden too, like RBAC's, but with a
// cause of its own).
func quotaExceeded(err error) (string, bool) {
	var se apierrors.APIStatus
	if !errors.As(err, &se) || se.Status().Details == nil {
		return "", false
	}
	for _, c := range se.Status().Details.Causes {
		if c.Type == kumov1.QuotaExceededCause {
			return c.Message, true
		}
	}
	return "", false
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
