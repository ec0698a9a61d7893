// Package sentry reports recovered panics and internal errors to Sentry
// through its Go SDK, when SENTRY_DSN is set. It keeps its own client and
// hub (no global state) and never sends request headers or bodies, so API
// keys and content stay home: an event carries the error, its stack and a
// few tags (route, request id, job id).
package sentry

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	sentrygo "github.com/getsentry/sentry-go"
)

// Config configures Setup. Empty fields are read from the environment.
type Config struct {
	// DSN is the project's DSN. Default $SENTRY_DSN; empty turns
	// reporting off.
	DSN string
	// Environment names the deployment. Default $SENTRY_ENVIRONMENT.
	Environment string
	// Release names the version. Default $SENTRY_RELEASE.
	Release string
	// Getenv reads the environment. Default os.Getenv.
	Getenv func(string) string
}

// Reporter sends events. A nil or disabled *Reporter does nothing.
type Reporter struct {
	hub *sentrygo.Hub
}

// Setup returns a reporter, disabled when no DSN is configured. Returns
// EINVALID for a DSN the SDK cannot parse (without quoting it: it holds
// the project key).
func Setup(cfg Config) (*Reporter, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	dsn := cfg.DSN
	if dsn == "" {
		dsn = getenv("SENTRY_DSN")
	}
	if dsn == "" {
		return &Reporter{}, nil
	}
	opts := sentrygo.ClientOptions{
		Dsn:         dsn,
		Environment: or(cfg.Environment, getenv("SENTRY_ENVIRONMENT")),
		Release:     or(cfg.Release, getenv("SENTRY_RELEASE")),
		// Nothing about the person or the request: no user info, cookies,
		// headers, bodies or query parameters (API keys and content stay
		// home even if an integration attached a request).
		DataCollection: &sentrygo.DataCollection{
			UserInfo:    sentrygo.Set(false),
			Cookies:     &sentrygo.KeyValueCollectionBehavior{Mode: sentrygo.CollectionOff},
			HTTPHeaders: &sentrygo.HeaderCollectionConfig{Request: &sentrygo.KeyValueCollectionBehavior{Mode: sentrygo.CollectionOff}, Response: &sentrygo.KeyValueCollectionBehavior{Mode: sentrygo.CollectionOff}},
			HTTPBodies:  []sentrygo.BodyType{},
			QueryParams: &sentrygo.KeyValueCollectionBehavior{Mode: sentrygo.CollectionOff},
		},
		AttachStacktrace: true,
	}
	client, err := sentrygo.NewClient(opts)
	if err != nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "SENTRY_DSN is not a valid Sentry DSN; copy it from the project's Client Keys page")
	}
	return &Reporter{hub: sentrygo.NewHub(client, sentrygo.NewScope())}, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Enabled reports whether events are sent.
func (r *Reporter) Enabled() bool { return r != nil && r.hub != nil }

// CaptureError reports err with tags (e.g. "route", "request_id",
// "job_id"). Errors a caller caused are not worth an event: only errors
// whose code is EINTERNAL (copydesk.ErrorCode) are sent; it reports
// whether one was.
func (r *Reporter) CaptureError(ctx context.Context, err error, tags map[string]string) bool {
	if !r.Enabled() || err == nil || copydesk.ErrorCode(err) != copydesk.EINTERNAL {
		return false
	}
	var sent bool
	r.hub.WithScope(func(s *sentrygo.Scope) {
		s.SetTags(tags)
		sent = r.hub.CaptureException(err) != nil
	})
	return sent
}

// ReportPanic reports a value recovered from a panic, with the stack of
// the goroutine that panicked (call it in the deferred function that
// recovered) and tags.
func (r *Reporter) ReportPanic(ctx context.Context, p any, tags map[string]string) {
	if !r.Enabled() || p == nil {
		return
	}
	r.hub.WithScope(func(s *sentrygo.Scope) {
		s.SetTags(tags)
		s.SetLevel(sentrygo.LevelFatal)
		r.hub.RecoverWithContext(ctx, p)
	})
}

// Run calls fn, turning a panic into a reported event and an EINTERNAL
// error (so a job worker fails the job instead of crashing the process).
// The stack goes to Sentry only; the error says "internal error".
func (r *Reporter) Run(ctx context.Context, tags map[string]string, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.ReportPanic(ctx, p, tags)
			err = &panicError{value: fmt.Sprint(p), stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}

// panicError is a recovered panic. It unwraps to an EINTERNAL *copydesk.Error,
// so the API shows "internal error"; Error and Stack give the detail for logs.
type panicError struct {
	value string
	stack []byte
}

// Error implements error.
func (e *panicError) Error() string { return "panic: " + e.value }

// Unwrap returns the domain error shown to callers.
func (e *panicError) Unwrap() error { return copydesk.Errorf(copydesk.EINTERNAL, "internal error") }

// Stack returns the panicking goroutine's stack.
func (e *panicError) Stack() []byte { return e.stack }

// Flush waits up to timeout for queued events to be sent, at shutdown.
// It reports whether all were.
func (r *Reporter) Flush(timeout time.Duration) bool {
	if !r.Enabled() {
		return true
	}
	return r.hub.Flush(timeout)
}
