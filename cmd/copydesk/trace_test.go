package main

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/trace"
)

// TestTraceFromRequestThroughQueueToProvider: one request's spans, from
// HTTP through the queue and the worker to the provider call, share one
// trace.
func TestTraceFromRequestThroughQueueToProvider(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	tr, err := trace.Setup(context.Background(), trace.Config{Exporter: exp, Syncer: true, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	models, _ := MustFakeModels(t, providertest.Options{Responder: findingsResponder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models; m.Tracing = tr })
	r := postJSON(t, m.HTTP.URL()+"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}})
	var acc struct {
		StreamURL string `json:"stream_url"`
	}
	r.json(t, &acc)
	MustReadToDone(t, m.HTTP.URL()+acc.StreamURL, 0)

	byName := map[string][]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		byName[s.Name] = append(byName[s.Name], s)
	}
	var names []string
	for n := range byName {
		names = append(names, n)
	}
	find := func(prefix string) tracetest.SpanStub {
		t.Helper()
		for n, ss := range byName {
			if strings.HasPrefix(n, prefix) {
				return ss[0]
			}
		}
		t.Fatalf("no span %q among %v", prefix, names)
		return tracetest.SpanStub{}
	}
	req := find("POST /v1/analyses")
	job := find("job analysis.deep")
	model := find("model analysis.grammar")
	if job.SpanContext.TraceID() != req.SpanContext.TraceID() || model.SpanContext.TraceID() != req.SpanContext.TraceID() {
		t.Errorf("traces differ: request %s, job %s, model %s", req.SpanContext.TraceID(), job.SpanContext.TraceID(), model.SpanContext.TraceID())
	}
	if model.Parent.SpanID() != job.SpanContext.SpanID() {
		t.Errorf("the model call's parent is %s, want the job span %s", model.Parent.SpanID(), job.SpanContext.SpanID())
	}
}
