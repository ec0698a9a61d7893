package analysis

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// fakeModels answers every call with answer, streamed in two deltas, and
// counts the calls and the prompts it saw.
type fakeModels struct {
	mu      sync.Mutex
	answer  string
	calls   int
	prompts []string
}

func (f *fakeModels) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	f.mu.Lock()
	f.calls++
	f.prompts = append(f.prompts, call.Request.Messages[0].Content)
	f.mu.Unlock()
	if onDelta != nil {
		half := len(f.answer) / 2
		for _, d := range []string{f.answer[:half], f.answer[half:]} {
			if err := onDelta(d); err != nil {
				return nil, err
			}
		}
	}
	resp := &copydesk.ModelResponse{Text: f.answer}
	if call.Validate != nil {
		if err := call.Validate(resp); err != nil {
			return nil, err
		}
	}
	return &copydesk.ModelResult{Response: resp, Usage: copydesk.UsageRecord{Provider: "fake", Model: "fake-mini", Cost: 42}}, nil
}

// events records what a job emits.
type events struct {
	mu   sync.Mutex
	list []string
	data []map[string]any
}

func (e *events) emit(_ context.Context, typ string, data any) error {
	b, _ := json.Marshal(data)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, typ)
	e.data = append(e.data, m)
	return nil
}

func (e *events) of(typ string) []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []map[string]any
	for i, t := range e.list {
		if t == typ {
			out = append(out, e.data[i])
		}
	}
	return out
}

const dutch = "Hij vind het een mooie dag.\n\nDe zon schijnt en de vogels zingen in de tuin."

func deepJob(t *testing.T, req Request) *copydesk.Job {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return &copydesk.Job{ID: "job_1", CustomerID: "cus_1", UserID: "usr_1", Input: in, Priority: copydesk.PriorityHigh}
}

// TestDeepHandler runs a deep grammar analysis: the model's finding is
// located in the original text, streamed, merged into the report and
// cached per block, so a second run (a re-run after a crash) asks nothing.
func TestDeepHandler(t *testing.T) {
	t.Parallel()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	models := &fakeModels{answer: `{"findings":[{"block":1,"quote":"Hij vind","message":"d/t-fout","suggestion":"Hij vindt","severity":"problem"}]}`}
	h := &DeepHandler{Models: models, Cache: c, ModelSet: "test"}
	job := deepJob(t, Request{Content: dutch, Language: "nl", Deep: []analyze.Type{analyze.TypeGrammar}, Locale: "nl"})

	var ev events
	raw, status, err := h.RunJob(context.Background(), job, ev.emit)
	if err != nil || status != copydesk.JobSucceeded {
		t.Fatalf("RunJob: %s, %v; want succeeded", status, err)
	}
	if models.calls != 1 {
		t.Errorf("model calls %d, want 1 (every block in one call)", models.calls)
	}
	if len(ev.of(copydesk.EventTaskStarted)) != 1 || len(ev.of(copydesk.EventDelta)) == 0 {
		t.Errorf("events %v, want task.started and deltas", ev.list)
	}
	results := ev.of(copydesk.EventTaskResult)
	if len(results) != 1 || results[0]["model"] != "fake-mini" || results[0]["cached"] != false {
		t.Fatalf("task.result %+v, want one, by fake-mini, not cached", results)
	}
	var report analyze.Report
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatal(err)
	}
	var found *analyze.Finding
	for _, r := range report.Results {
		for i, f := range r.Findings {
			if strings.HasPrefix(f.Message, "d/t-fout") {
				found = &r.Findings[i]
			}
		}
	}
	if found == nil {
		t.Fatalf("merged report has no model finding: %s", raw)
	}
	if found.Message != "d/t-fout Suggestie: Hij vindt" {
		t.Errorf("message %q, want the suggestion introduced in Dutch (the report's locale)", found.Message)
	}
	if len(found.Spans) == 0 || dutch[found.Spans[0].Start:found.Spans[0].End] != "Hij vind" {
		t.Errorf("finding spans %+v, want the quote's place in the input", found.Spans)
	}

	// Again: every block is cached.
	var again events
	if _, status, err := h.RunJob(context.Background(), job, again.emit); err != nil || status != copydesk.JobSucceeded {
		t.Fatalf("second RunJob: %s, %v", status, err)
	}
	if models.calls != 1 {
		t.Errorf("model calls after a second run %d, want still 1", models.calls)
	}
	if r := again.of(copydesk.EventTaskResult); len(r) != 1 || r[0]["cached"] != true {
		t.Errorf("second task.result %+v, want cached", r)
	}
}

// TestDeepHandlerInvalidAnswer: an answer that is not the findings JSON
// fails the task (task.failed with a code) and is not cached.
func TestDeepHandlerInvalidAnswer(t *testing.T) {
	t.Parallel()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	models := &fakeModels{answer: "I found nothing worth mentioning."}
	h := &DeepHandler{Models: models, Cache: c, ModelSet: "test"}
	job := deepJob(t, Request{Content: dutch, Language: "nl", Deep: []analyze.Type{analyze.TypeTone}})
	var ev events
	_, _, err = h.RunJob(context.Background(), job, ev.emit)
	if err == nil {
		t.Fatal("RunJob succeeded on an answer that is not JSON")
	}
	failed := ev.of(copydesk.EventTaskFailed)
	if len(failed) != 1 || failed[0]["code"] == "" {
		t.Errorf("task.failed %+v, want one with a code", failed)
	}
	_, _, _ = h.RunJob(context.Background(), job, (&events{}).emit)
	if models.calls != 2 {
		t.Errorf("model calls %d, want 2: an invalid answer is never cached", models.calls)
	}
}

// TestDeepHandlerBadInput: a stored job without deep work or with a broken
// input fails as invalid, without a model call.
func TestDeepHandlerBadInput(t *testing.T) {
	t.Parallel()
	models := &fakeModels{answer: `{"findings":[]}`}
	h := &DeepHandler{Models: models}
	for name, job := range map[string]*copydesk.Job{
		"NoDeep":    deepJob(t, Request{Content: dutch, Language: "nl"}),
		"Malformed": {ID: "job_2", CustomerID: "cus_1", Input: json.RawMessage(`{"content":`)},
	} {
		if _, _, err := h.RunJob(context.Background(), job, (&events{}).emit); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
	if models.calls != 0 {
		t.Errorf("model calls %d, want 0", models.calls)
	}
}

// TestDecodeFindings accepts the JSON answer, also in a Markdown fence, and
// refuses anything else.
func TestDecodeFindings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		answer string
		n      int
		ok     bool
	}{
		{`{"findings":[]}`, 0, true},
		{"```json\n{\"findings\":[{\"quote\":\"a\",\"message\":\"b\",\"suggestion\":\"c\",\"severity\":\"info\"}]}\n```", 1, true},
		{"no findings", 0, false},
		{`{"other":1}`, 0, false},
	} {
		got, err := decodeFindings(tc.answer)
		if (err == nil) != tc.ok || len(got) != tc.n {
			t.Errorf("decodeFindings(%q) = %d findings, %v; want %d, ok %v", strings.ReplaceAll(tc.answer, "\n", " "), len(got), err, tc.n, tc.ok)
		}
	}
}
