package batch_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/analysis"
	"github.com/copydesk/copydesk/internal/batch"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/translation"
)

// models answers deep analyses with no findings, failing calls about
// content with "FAIL" (retryably, while failing is set) or "BAD" (for
// good). Each answered call costs 10 and is added to the context's meter,
// as the model-call chain does.
type models struct {
	mu      sync.Mutex
	failing bool
	calls   []string
}

func (m *models) Stream(ctx context.Context, call copydesk.ModelCall, _ func(string) error) (*copydesk.ModelResult, error) {
	var prompt strings.Builder
	for _, msg := range call.Request.Messages {
		prompt.WriteString(msg.Content)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, prompt.String())
	switch {
	case strings.Contains(prompt.String(), "BAD"):
		return nil, &copydesk.ProviderError{Kind: copydesk.ProviderBadRequest, Provider: "fake", Message: "bad request"}
	case m.failing && strings.Contains(prompt.String(), "FAIL"):
		return nil, &copydesk.ProviderError{Kind: copydesk.ProviderServer, Provider: "fake", Message: "server error"}
	}
	res := &copydesk.ModelResult{Response: &copydesk.ModelResponse{Text: `{"findings":[]}`, FinishReason: "stop"},
		Usage: copydesk.UsageRecord{Provider: "fake", Model: "m", Cost: 10}}
	copydesk.MeterFrom(ctx).Add(res)
	return res, nil
}

func (m *models) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

// events is a job's event log in memory: the emit of its runs and the
// EventReader of the batch.
type events struct {
	mu  sync.Mutex
	evs []*copydesk.Event
}

func (e *events) emit(_ context.Context, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, &copydesk.Event{Seq: int64(len(e.evs) + 1), Type: typ, Data: raw})
	return nil
}

func (e *events) Events(_ context.Context, _ string, after int64, limit int) ([]*copydesk.Event, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*copydesk.Event
	for _, ev := range e.evs {
		if ev.Seq > after && (limit == 0 || len(out) < limit) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// submitter keeps the submitted job.
type submitter struct{ job *copydesk.Job }

func (s *submitter) Submit(_ context.Context, job *copydesk.Job) error {
	job.ID, job.Status = "job_1", copydesk.JobQueued
	s.job = job
	return nil
}

func fixture(m *models, log *events) (*batch.Service, *batch.Handler, *submitter) {
	deep := &analysis.DeepHandler{Models: m}
	svcs := batch.Services{Analysis: &analysis.Service{Models: m, Deep: deep}}
	sub := &submitter{}
	handlers := func(kind string) copydesk.JobHandler {
		if kind == analysis.JobKind {
			return deep
		}
		return nil
	}
	return &batch.Service{Jobs: sub, Events: log, Services: svcs},
		&batch.Handler{Services: svcs, Handlers: handlers, Events: log, Concurrency: 2}, sub
}

func page(text string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"content": text, "language": "en", "deep": []string{"grammar"}})
	return b
}

// TestRerunSkipsFinishedItems runs a batch whose items 2 and 4 fail
// retryably and item 5 for good: the run asks to be retried, and the
// retry runs only items 2 and 4.
func TestRerunSkipsFinishedItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, log := &models{failing: true}, &events{}
	svc, h, sub := fixture(m, log)
	texts := []string{"The first page is here.", "A second page follows.", "FAIL this third page.",
		"A fourth page is fine.", "FAIL the fifth page too.", "BAD is the sixth page."}
	items := make([]json.RawMessage, len(texts))
	for i, text := range texts {
		items[i] = page(text)
	}
	acc, err := svc.Submit(ctx, &batch.Request{Kind: batch.KindAnalysis, Items: items}, "cust_1", "user_1")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Total != 6 || sub.job.Priority != copydesk.PriorityLow {
		t.Fatalf("accepted %d items at %s, want 6 at LOW", acc.Total, sub.job.Priority)
	}
	job := sub.job
	job.Attempts = 1

	_, status, err := h.RunJob(ctx, job, log.emit)
	if status != copydesk.JobPartial || !copydesk.Retryable(err) {
		t.Fatalf("first run: status %q, err %v; want partial with a retryable error", status, err)
	}
	if n := m.count(); n != 6 {
		t.Fatalf("first run made %d calls, want 6", n)
	}

	m.failing = false
	job.Attempts = 2
	raw, status, err := h.RunJob(ctx, job, log.emit)
	if status != copydesk.JobPartial || err != nil {
		t.Fatalf("second run: status %q, err %v; want partial without error (only a permanent failure is left)", status, err)
	}
	if n := m.count() - 6; n != 2 {
		t.Errorf("second run made %d calls, want 2 (items 2 and 4 only)", n)
	}
	var c batch.Counts
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	want := batch.Counts{Total: 6, Done: 5, Failed: 1, Cost: 50}
	if c != want {
		t.Errorf("got counts %+v, want %+v", c, want)
	}

	st, err := svc.Status(ctx, job, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts != want || len(st.Items) != 4 || st.Items[0].Index != 2 || st.Items[0].Status != "succeeded" || st.Items[3].Status != "failed" {
		t.Errorf("status %+v with items %+v, want items 2…5 with their last outcome", st.Counts, st.Items)
	}
	seen := map[int]string{}
	if err := svc.Results(ctx, job, func(it *batch.ItemResult) error {
		if _, dup := seen[it.Index]; dup {
			t.Errorf("item %d listed twice", it.Index)
		}
		seen[it.Index] = it.Status
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 6 || seen[2] != "succeeded" || seen[5] != "failed" {
		t.Errorf("results %v, want 6 items, 2 succeeded (its last outcome), 5 failed", seen)
	}

	// A third run (the job delivered once more) runs nothing.
	job.Attempts = 3
	if _, _, err := h.RunJob(ctx, job, log.emit); err != nil {
		t.Fatal(err)
	}
	if n := m.count() - 8; n != 0 {
		t.Errorf("third run made %d calls, want none", n)
	}
}

// TestSubmitChecksEveryItem refuses a batch for its first bad item,
// naming its index and keeping the check's code.
func TestSubmitChecksEveryItem(t *testing.T) {
	t.Parallel()
	svc, _, sub := fixture(&models{}, &events{})
	tests := []struct {
		name  string
		req   batch.Request
		code  string
		where string
	}{
		{"unknown kind", batch.Request{Kind: "poem", Items: []json.RawMessage{page("x")}}, copydesk.EINVALID, "kind"},
		{"no items", batch.Request{Kind: batch.KindAnalysis}, copydesk.EINVALID, "items:"},
		{"not an object", batch.Request{Kind: batch.KindAnalysis, Items: []json.RawMessage{page("x"), json.RawMessage(`[1]`)}}, copydesk.EINVALID, "items[1]: an item must be a JSON object"},
		{"unknown field", batch.Request{Kind: batch.KindAnalysis, Items: []json.RawMessage{json.RawMessage(`{"content":"x","colour":"red"}`)}}, copydesk.EINVALID, `items[0]: unknown field "colour"`},
		{"wrong type", batch.Request{Kind: batch.KindAnalysis, Items: []json.RawMessage{json.RawMessage(`{"content":5}`)}}, copydesk.EINVALID, "items[0]: content: must be string"},
		{"own priority", batch.Request{Kind: batch.KindAnalysis, Items: []json.RawMessage{json.RawMessage(`{"content":"x","priority":"high"}`)}}, copydesk.EINVALID, "items[0]: priority"},
		{"too large", batch.Request{Kind: batch.KindAnalysis, Items: []json.RawMessage{page("x"), page("x"), page(strings.Repeat("a", analysis.MaxContentDefault+1))}}, copydesk.ETOOLARGE, "items[2]: content is"},
		{"no provider for the kind", batch.Request{Kind: batch.KindGeneration, Items: []json.RawMessage{json.RawMessage(`{"business":{"name":"X"}}`)}}, copydesk.ENOPROVIDER, "items[0]:"},
		{"bad batch priority", batch.Request{Kind: batch.KindAnalysis, Priority: "urgent", Items: []json.RawMessage{page("x")}}, copydesk.EINVALID, "priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Submit(context.Background(), &tt.req, "c", "u")
			if copydesk.ErrorCode(err) != tt.code || !strings.Contains(copydesk.ErrorMessage(err), tt.where) {
				t.Errorf("got %v, want code %s and a message with %q", err, tt.code, tt.where)
			}
		})
	}
	if sub.job != nil {
		t.Errorf("a refused batch submitted job %+v", sub.job)
	}
	svc.MaxItems = 2
	_, err := svc.Submit(context.Background(), &batch.Request{Kind: batch.KindAnalysis, Items: []json.RawMessage{page("a"), page("b"), page("c")}}, "c", "u")
	if copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("3 items over a limit of 2: got %v, want invalid", err)
	}
}

// FuzzHeader reads the header of arbitrary stored input without panicking.
func FuzzHeader(f *testing.F) {
	f.Add([]byte(`{"kind":"analysis","total":3,"priority":"low","items":[]}`))
	f.Add([]byte(`{"total":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		kind, total, err := batch.Header(&copydesk.Job{Kind: batch.JobKind, Input: in})
		if err == nil && (kind == "" || total == 0) {
			t.Errorf("no error but kind %q total %d", kind, total)
		}
	})
}

// TestSubmitChecksTranslationSegments refuses a translation item with a
// segment over translation.MaxSegment before anything is accepted.
func TestSubmitChecksTranslationSegments(t *testing.T) {
	t.Parallel()
	sub := &submitter{}
	svc := &batch.Service{Jobs: sub, Services: batch.Services{Translation: &translation.Service{}}}
	item := func(content string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"content": content, "source_language": "nl", "target_languages": []string{"en"}})
		return b
	}
	long := strings.Repeat("woord", translation.MaxSegment/5+1)
	_, err := svc.Submit(context.Background(), &batch.Request{Kind: batch.KindTranslation, Items: []json.RawMessage{item("Hallo."), item(long)}}, "c", "u")
	if copydesk.ErrorCode(err) != copydesk.ETOOLARGE || !strings.HasPrefix(copydesk.ErrorMessage(err), "items[1]: ") {
		t.Errorf("got %v, want too_large naming items[1]", err)
	}
	if _, err := svc.Submit(context.Background(), &batch.Request{Kind: batch.KindTranslation, Items: []json.RawMessage{item("Hallo.")}}, "c", "u"); err != nil || sub.job == nil {
		t.Errorf("a good translation batch: %v", err)
	}
}
