package batch_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

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
	waiting bool // calls about "WAIT" wait for a provider batch
	calls   []string
	tiers   []string // the tier each call asked for
}

func (m *models) Stream(ctx context.Context, call copydesk.ModelCall, _ func(string) error) (*copydesk.ModelResult, error) {
	var prompt strings.Builder
	for _, msg := range call.Request.Messages {
		prompt.WriteString(msg.Content)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, prompt.String())
	tier, _ := copydesk.TierFrom(ctx)
	m.tiers = append(m.tiers, tier)
	switch {
	case m.waiting && strings.Contains(prompt.String(), "WAIT"):
		return nil, &copydesk.WaitError{After: time.Minute, Message: "in provider batch bsub_1"}
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

// TestBatchTierItemsWait runs a batch at the batch tier whose item 2
// waits for a provider batch: the run records the other items, emits
// nothing for the waiting one and returns a *WaitError (the job service
// snoozes the job without spending an attempt); the next run runs only
// the waiting item. Items cannot ask for a tier of their own.
func TestBatchTierItemsWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, log := &models{waiting: true}, &events{}
	svc, h, sub := fixture(m, log)
	items := []json.RawMessage{page("The first page is here."), page("WAIT for the second page."), page("A third page.")}
	req := &batch.Request{Kind: batch.KindAnalysis, Items: items, TierRequest: copydesk.TierRequest{ServiceTier: "batch"}}
	if _, err := svc.Submit(ctx, req, "cust_1", "user_1"); err != nil {
		t.Fatal(err)
	}
	var stored struct {
		ServiceTier string `json:"service_tier"`
	}
	if err := json.Unmarshal(sub.job.Input, &stored); err != nil || stored.ServiceTier != "batch" {
		t.Fatalf("stored input %s: want service_tier batch at its top level (the job service reads it there)", sub.job.Input)
	}
	job := sub.job
	job.Attempts = 1
	_, _, err := h.RunJob(copydesk.WithTier(ctx, copydesk.TierBatch, time.Time{}), job, log.emit)
	we, ok := copydesk.IsWait(err)
	if !ok || we.After != time.Minute || !strings.Contains(we.Message, "1 of 3 items") {
		t.Fatalf("first run: got %v, want a wait of a minute for 1 of 3 items", err)
	}
	for _, ev := range log.evs {
		if ev.Type == batch.EventItemFailed {
			t.Errorf("a waiting item was reported failed: %s", ev.Data)
		}
	}
	for i, tier := range m.tiers {
		if tier != copydesk.TierBatch {
			t.Errorf("call %d asked for tier %q, want batch", i, tier)
		}
	}
	m.mu.Lock()
	m.waiting = false
	m.mu.Unlock()
	raw, status, err := h.RunJob(ctx, job, log.emit)
	if err != nil || status != copydesk.JobSucceeded {
		t.Fatalf("second run: %s, %v; want succeeded", status, err)
	}
	var c batch.Counts
	if err := json.Unmarshal(raw, &c); err != nil || c.Done != 3 || m.count() != 4 {
		t.Errorf("got counts %+v after %d calls, want 3 done after 4 calls (the waiting item once more)", c, m.count())
	}

	for _, bad := range []struct {
		item json.RawMessage
		want string
	}{
		{json.RawMessage(`{"content":"x","deep":["grammar"],"service_tier":"batch"}`), "items[0]: service_tier: set the batch's service_tier"},
		{json.RawMessage(`{"content":"x","deep":["grammar"],"complete_by":"2030-01-01T00:00:00Z"}`), "items[0]: complete_by: set the batch's complete_by"},
	} {
		_, err := svc.Submit(ctx, &batch.Request{Kind: batch.KindAnalysis, Items: []json.RawMessage{bad.item}}, "cust_1", "user_1")
		if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.HasPrefix(copydesk.ErrorMessage(err), bad.want) {
			t.Errorf("item %s: got %v, want EINVALID %q", bad.item, err, bad.want)
		}
	}
	_, err = svc.Submit(ctx, &batch.Request{Kind: batch.KindAnalysis, Items: items, TierRequest: copydesk.TierRequest{ServiceTier: "cheap"}}, "cust_1", "user_1")
	if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(copydesk.ErrorMessage(err), "service_tier") {
		t.Errorf("tier cheap: got %v, want EINVALID naming service_tier", err)
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
