// Package trace is Copydesk's OpenTelemetry tracing: off by default, on
// with the standard OTEL_* environment variables, and carrying one trace
// from the HTTP request through the queue into the worker and its cache
// lookups and provider calls. Every method works on a nil or disabled
// *Tracing and then costs next to nothing.
package trace

import (
	"cmp"
	"context"
	"net/http"
	"os"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of Copydesk's spans.
const ScopeName = "github.com/copydesk/copydesk"

// Config configures Setup.
type Config struct {
	// ServiceName is the service.name resource attribute unless
	// OTEL_SERVICE_NAME is set. Default "copydesk".
	ServiceName string
	// Version is the service.version resource attribute.
	Version string
	// Getenv reads the environment. Default os.Getenv.
	Getenv func(string) string
	// Exporter, when set, receives the spans whatever the environment
	// says (tests use an in-memory exporter).
	Exporter sdktrace.SpanExporter
	// Syncer exports each span as it ends instead of in batches (tests).
	Syncer bool
}

// Tracing creates Copydesk's spans.
type Tracing struct {
	tp     *sdktrace.TracerProvider // nil when disabled
	tracer oteltrace.Tracer
	prop   propagation.TextMapPropagator
}

// Enabled reports whether spans are recorded and exported.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))) {
	case "otlp":
		return true
	case "none":
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup returns tracing configured from the environment: on when
// OTEL_TRACES_EXPORTER is "otlp" or an OTLP endpoint is set
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), off
// otherwise and whenever OTEL_SDK_DISABLED is true. Spans go over OTLP
// HTTP/protobuf, configured by the usual OTEL_EXPORTER_OTLP_* variables;
// OTEL_TRACES_SAMPLER, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are
// honoured. Returns EINVALID for an unsupported exporter or protocol.
func Setup(ctx context.Context, cfg Config) (*Tracing, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	exp := cfg.Exporter
	if exp == nil {
		if e := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); e != "" && e != "otlp" && e != "none" {
			return nil, copydesk.Errorf(copydesk.EINVALID, "OTEL_TRACES_EXPORTER %q is not supported; use otlp or none", e)
		}
		if !Enabled(getenv) {
			return Disabled(), nil
		}
		proto := cmp.Or(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf")
		if proto != "http/protobuf" {
			return nil, copydesk.Errorf(copydesk.EINVALID, "OTLP protocol %q is not supported; set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (port 4318)", proto)
		}
		var err error
		if exp, err = otlptracehttp.New(ctx); err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "OTLP trace exporter: %v", err)
		}
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", cmp.Or(cfg.ServiceName, "copydesk")), attribute.String("service.version", cfg.Version)),
		resource.WithFromEnv(),
	)
	if err != nil {
		res = resource.Default()
	}
	opt := sdktrace.WithBatcher(exp)
	if cfg.Syncer {
		opt = sdktrace.WithSyncer(exp)
	}
	tp := sdktrace.NewTracerProvider(opt, sdktrace.WithResource(res))
	return &Tracing{
		tp:     tp,
		tracer: tp.Tracer(ScopeName),
		prop:   propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}, nil
}

// Disabled returns tracing that records nothing.
func Disabled() *Tracing {
	return &Tracing{tracer: noop.NewTracerProvider().Tracer(ScopeName), prop: propagation.TraceContext{}}
}

// Enabled reports whether spans are recorded.
func (t *Tracing) Enabled() bool { return t != nil && t.tp != nil }

// Shutdown flushes the spans not yet exported and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// ForceFlush exports the spans ended so far.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.tp.ForceFlush(ctx)
}

func (t *Tracing) tr() oteltrace.Tracer {
	if t == nil {
		return noop.NewTracerProvider().Tracer(ScopeName)
	}
	return t.tracer
}

// Start starts a span named name as a child of ctx's span. End it.
func (t *Tracing) Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, oteltrace.Span) {
	return t.tr().Start(ctx, name, oteltrace.WithAttributes(attrs...))
}

// StartRequest starts the server span of an HTTP request, continuing a
// trace the client sent (traceparent). Call end with the status written,
// after the mux ran (the span is named after r.Pattern then).
func (t *Tracing) StartRequest(r *http.Request) (*http.Request, func(status int)) {
	if !t.Enabled() {
		return r, func(int) {}
	}
	ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.tracer.Start(ctx, r.Method, oteltrace.WithSpanKind(oteltrace.SpanKindServer),
		oteltrace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
	r2 := r.WithContext(ctx)
	return r2, func(status int) {
		if r2.Pattern != "" {
			span.SetName(r2.Pattern)
			span.SetAttributes(attribute.String("http.route", r2.Pattern))
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 || status == 0 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
	}
}

// Middleware wraps next in StartRequest; status 200 is assumed when the
// handler writes no header.
func (t *Tracing) Middleware(next http.Handler) http.Handler {
	if !t.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, end := t.StartRequest(r)
		sw := &statusWriter{ResponseWriter: w}
		defer func() { end(cmp.Or(sw.status, http.StatusOK)) }()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Inject returns the trace context of ctx as a small string map to store
// with a job (W3C traceparent and baggage); nil when tracing is off or ctx
// has no span.
func (t *Tracing) Inject(ctx context.Context) map[string]string {
	if !t.Enabled() || !oteltrace.SpanContextFromContext(ctx).IsValid() {
		return nil
	}
	c := propagation.MapCarrier{}
	t.prop.Inject(ctx, c)
	return c
}

// Extract returns ctx carrying the trace context Inject stored.
func (t *Tracing) Extract(ctx context.Context, carrier map[string]string) context.Context {
	if !t.Enabled() || len(carrier) == 0 {
		return ctx
	}
	return t.prop.Extract(ctx, propagation.MapCarrier(carrier))
}

// StartJob starts the span of one attempt of a job in the worker, as a
// child of the request that enqueued it (carrier from Inject). End it with
// the attempt's error.
func (t *Tracing) StartJob(ctx context.Context, job *copydesk.Job, attempt int, carrier map[string]string) (context.Context, func(err error)) {
	if !t.Enabled() {
		return ctx, func(error) {}
	}
	ctx = t.Extract(ctx, carrier)
	ctx, span := t.tracer.Start(ctx, "job "+job.Kind, oteltrace.WithSpanKind(oteltrace.SpanKindConsumer), oteltrace.WithAttributes(
		attribute.String("copydesk.job.id", job.ID), attribute.String("copydesk.job.kind", job.Kind),
		attribute.String("copydesk.job.priority", job.Priority.String()), attribute.Int("copydesk.job.attempt", attempt)))
	return ctx, func(err error) { end(span, err) }
}

// StartCacheLookup starts the span of a cache lookup for a task kind in a
// tier. End it with the answer's source (l1, l2, shared, miss) and error.
func (t *Tracing) StartCacheLookup(ctx context.Context, kind string, tier copydesk.Tier) (context.Context, func(source string, err error)) {
	if !t.Enabled() {
		return ctx, func(string, error) {}
	}
	ctx, span := t.tracer.Start(ctx, "cache "+kind, oteltrace.WithAttributes(attribute.String("copydesk.task.kind", kind), attribute.String("copydesk.cache.tier", string(tier))))
	return ctx, func(source string, err error) {
		span.SetAttributes(attribute.String("copydesk.cache.source", source))
		end(span, err)
	}
}

// StartProviderCall starts the span of a routed model call. End it with
// the usage record (provider, model, tokens, attempts; zero on failure)
// and the error.
func (t *Tracing) StartProviderCall(ctx context.Context, kind string) (context.Context, func(rec copydesk.UsageRecord, err error)) {
	if !t.Enabled() {
		return ctx, func(copydesk.UsageRecord, error) {}
	}
	ctx, span := t.tracer.Start(ctx, "model "+kind, oteltrace.WithSpanKind(oteltrace.SpanKindClient), oteltrace.WithAttributes(attribute.String("copydesk.task.kind", kind)))
	return ctx, func(rec copydesk.UsageRecord, err error) {
		span.SetAttributes(
			attribute.String("gen_ai.system", rec.Provider), attribute.String("gen_ai.request.model", rec.Model),
			attribute.Int("gen_ai.usage.input_tokens", rec.InputTokens), attribute.Int("gen_ai.usage.output_tokens", rec.OutputTokens),
			attribute.Int("copydesk.attempts", rec.Attempts), attribute.Int64("copydesk.cost_micros", int64(rec.Cost)))
		if err != nil {
			span.SetAttributes(attribute.String("error.type", copydesk.FailureCode(err)))
		}
		end(span, err)
	}
}

// end records err (by its stable code and safe message, never internals)
// and ends span.
func end(span oteltrace.Span, err error) {
	if err != nil {
		span.SetStatus(codes.Error, copydesk.FailureCode(err)+": "+copydesk.FailureMessage(err))
	}
	span.End()
}
