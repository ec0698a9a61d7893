// Package copydesk is the domain of Copydesk: the entity types, the service
// interfaces the rest of the code talks through, and the error codes. It
// imports only the standard library.
package copydesk

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. The set is closed: every error that reaches a caller carries one
// of these, and the http package maps each to one status code.
const (
	EINVALID        = "invalid"            // the request is malformed or a field is wrong
	ETOOLARGE       = "too_large"          // the body or content exceeds a limit
	EUNSUPPORTED    = "unsupported_media"  // wrong content type
	EUNPROCESSABLE  = "unprocessable"      // well-formed but cannot be processed (e.g. invalid UTF-8)
	ENOTFOUND       = "not_found"          // the thing does not exist or is not visible to the caller
	ENOMODEL        = "model_not_found"    // the model name is not served here (OpenAI's code for it)
	EMETHOD         = "method_not_allowed" // the path exists, the method does not
	ECONFLICT       = "conflict"           // the state does not allow the operation
	EUNAUTHORIZED   = "unauthorized"       // missing or bad credentials
	EFORBIDDEN      = "forbidden"          // credentials fine, permission missing
	ERATELIMITED    = "rate_limited"       // a Copydesk limit was hit; retry later
	EBUDGETEXCEEDED = "budget_exceeded"    // the customer's hard budget would be crossed
	ENOPROVIDER     = "no_provider"        // model work asked for, no provider configured
	EUNAVAILABLE    = "unavailable"        // a dependency is down or the server is stopping
	ECANCELLED      = "cancelled"          // the work was cancelled
	EINTERNAL       = "internal"           // a bug or unexpected failure; details only in logs
)

// Error is the domain error: a stable code and a message a person can act on.
type Error struct {
	// Code is one of the E* constants.
	Code string
	// Message is safe to show to the caller.
	Message string
	// RetryAfter, when positive, tells the caller when to try again.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("copydesk error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the root *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	} else if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the *Error in err's chain, or
// "internal error" for any other non-nil error, so that internals never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	} else if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}

// NoProvider is the ENOPROVIDER error of a task that needs a model when
// none is configured; what names the task ("page generation"). The message
// names the settings that enable one.
func NoProvider(what string) error {
	return Errorf(ENOPROVIDER, "%s needs a model provider: set OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY (or providers in the config file), or start with --simulate for a simulated one", what)
}
