package trace_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/trace"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func MustSetup(tb testing.TB, cfg trace.Config) *trace.Tracing {
	tb.Helper()
	tr, err := trace.Setup(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	return tr
}

// TestOneTrace follows a request through the queue into the worker, its
// cache lookup and its provider call: every span shares the trace the
// client started, and each is the child of the step before.
func TestOneTrace(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tr := MustSetup(t, trace.Config{Exporter: exp, Syncer: true, Getenv: env(nil)})

	queue := make(chan map[string]string, 1) // what the job row would carry
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/generations", func(w http.ResponseWriter, r *http.Request) {
		queue <- tr.Inject(r.Context())
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(tr.Middleware(mux))
	defer srv.Close()

	const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/generations", nil)
	req.Header.Set("traceparent", "00-"+clientTrace+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// The worker, later, elsewhere.
	carrier := <-queue
	if carrier["traceparent"] == "" {
		t.Fatalf("Inject: got %v, want a traceparent", carrier)
	}
	job := &copydesk.Job{ID: "job1", Kind: "generation", Priority: copydesk.PriorityHigh}
	ctx, endJob := tr.StartJob(context.Background(), job, 1, carrier)
	cctx, endCache := tr.StartCacheLookup(ctx, "generation", copydesk.TierStable)
	pctx, endCall := tr.StartProviderCall(cctx, "generation")
	_ = pctx
	endCall(copydesk.UsageRecord{Provider: "openai", Model: "gpt", InputTokens: 10, OutputTokens: 5, Attempts: 1}, nil)
	endCache("miss", nil)
	endJob(nil)

	spans := exp.GetSpans()
	if len(spans) != 4 {
		t.Fatalf("got %d spans, want 4 (request, job, cache, model)", len(spans))
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
		if got := s.SpanContext.TraceID().String(); got != clientTrace {
			t.Errorf("span %q: trace %s, want the client's %s", s.Name, got, clientTrace)
		}
	}
	httpSpan, ok := byName["POST /v1/generations"]
	if !ok {
		t.Fatalf("no span named after the route pattern; got %v", names(spans))
	}
	for _, link := range []struct{ child, parent string }{
		{"job generation", "POST /v1/generations"},
		{"cache generation", "job generation"},
		{"model generation", "cache generation"},
	} {
		c, p := byName[link.child], byName[link.parent]
		if c.Parent.SpanID() != p.SpanContext.SpanID() {
			t.Errorf("span %q: parent %s, want %q (%s)", link.child, c.Parent.SpanID(), link.parent, p.SpanContext.SpanID())
		}
	}
	if httpSpan.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("request span parent: got %s, want the client's span", httpSpan.Parent.SpanID())
	}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func TestErrorsRecordedSafely(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tr := MustSetup(t, trace.Config{Exporter: exp, Syncer: true})
	_, end := tr.StartProviderCall(context.Background(), "analysis")
	end(copydesk.UsageRecord{}, &copydesk.ProviderError{Provider: "openai", Kind: copydesk.ProviderTimeout, Message: "deadline", Err: errors.New("dial tcp 10.0.0.1: secret-host")})
	_, endJob := tr.StartJob(context.Background(), &copydesk.Job{Kind: "analysis"}, 1, nil)
	endJob(errors.New("pq: password authentication failed for user admin"))
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	if s := spans[0].Status; s.Code != codes.Error || s.Description != "provider_timeout: provider openai: timeout: deadline" {
		t.Errorf("provider span status: got %+v", s)
	}
	if s := spans[1].Status; s.Code != codes.Error || s.Description != "internal: internal error" {
		t.Errorf("job span status: got %+v, want the internal error hidden", s)
	}
}

func TestOffByDefault(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
		on   bool
	}{
		{"empty", nil, false},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{"exporter otlp", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"exporter none", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, false},
		{"sdk disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := MustSetup(t, trace.Config{Getenv: env(tt.env)})
			if tr.Enabled() != tt.on {
				t.Errorf("Enabled: got %v, want %v", tr.Enabled(), tt.on)
			}
		})
	}
	// Disabled tracing (and a nil *Tracing) is inert.
	for _, tr := range []*trace.Tracing{trace.Disabled(), nil} {
		if c := tr.Inject(context.Background()); c != nil {
			t.Errorf("Inject when off: got %v, want nil", c)
		}
		ctx, end := tr.StartJob(context.Background(), &copydesk.Job{}, 1, map[string]string{"traceparent": "x"})
		end(nil)
		if ctx == nil {
			t.Error("StartJob returned a nil context")
		}
		r := httptest.NewRequest("GET", "/", nil)
		if r2, end := tr.StartRequest(r); r2 != r {
			t.Error("StartRequest when off changed the request")
		} else {
			end(200)
		}
	}
}

func TestSetupErrors(t *testing.T) {
	t.Parallel()
	for _, e := range []map[string]string{
		{"OTEL_TRACES_EXPORTER": "zipkin"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
	} {
		_, err := trace.Setup(context.Background(), trace.Config{Getenv: env(e)})
		if copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("env %v: got %v, want %s", e, err, copydesk.EINVALID)
		}
	}
}
