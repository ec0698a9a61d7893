package generation

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jobs/jobstest"
	"github.com/copydesk/copydesk/internal/openai"
	"github.com/copydesk/copydesk/internal/providertest"
)

// providerModels is a ModelService over one provider, without routing:
// enough to run the real adapter against the fake, under cache.Models.
type providerModels struct{ p copydesk.Provider }

func (m providerModels) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	req := call.Request
	req.Model = "sim-model"
	var resp *copydesk.ModelResponse
	var err error
	if onDelta == nil {
		resp, err = m.p.Complete(ctx, req)
	} else {
		resp, err = m.p.Stream(ctx, req, onDelta)
	}
	if err != nil {
		return nil, err
	}
	return &copydesk.ModelResult{
		Response: resp,
		Usage: copydesk.UsageRecord{
			Kind: call.Kind, Provider: m.p.Name(), Model: resp.Model,
			InputTokens: resp.Usage.InputTokens, OutputTokens: resp.Usage.OutputTokens,
			Cost: copydesk.Micros(resp.Usage.OutputTokens) * 3, Currency: "EUR",
		},
		Simulated: true,
	}, nil
}

// MustModels returns the cached model service the wiring builds (cache.Models
// over a provider), with the real OpenAI adapter talking to a fake that
// answers with responder.
func MustModels(tb testing.TB, responder func(providertest.Request) string) (copydesk.ModelService, *providertest.Server) {
	tb.Helper()
	fake := providertest.NewTestServer(tb, providertest.Options{Responder: responder})
	client, err := openai.New(openai.Config{Name: "fake", APIKey: "test-key", BaseURL: fake.URL + "/v1/"})
	if err != nil {
		tb.Fatal(err)
	}
	l1 := cache.NewMemoryStore(cache.MemoryOptions{MaxBytes: 8 << 20})
	tb.Cleanup(l1.Close)
	c, err := cache.New(cache.Config{L1: l1})
	if err != nil {
		tb.Fatal(err)
	}
	return &cache.Models{Next: providerModels{client}, Cache: c, ModelSet: "test"}, fake
}

// recorder collects emitted events as the job runner would store them.
type recorder struct{ jobstest.Recorder }

// schemaType is the block type a fake request asks for.
func schemaType(r providertest.Request) string { return strings.TrimPrefix(r.SchemaName, "block_") }

// MustJob returns a stored generation job for req.
func MustJob(tb testing.TB, req Request) *copydesk.Job {
	tb.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return &copydesk.Job{ID: "job1", Kind: JobKind, CustomerID: "c1", UserID: "u1", Priority: copydesk.PriorityHigh, Input: in}
}

var acme = Request{Business: Business{Name: "Acme Bakery", Industry: "bakery", Language: "en", Tone: "friendly"}}

const invalidFAQ = `{"title":"FAQ","items":[]}`

func TestRunJobPage(t *testing.T) {
	var mu sync.Mutex
	faqCalls := 0
	models, fake := MustModels(t, func(r providertest.Request) string {
		switch schemaType(r) {
		case "hero":
			return hostile["hero"]
		case "faq":
			mu.Lock()
			defer mu.Unlock()
			if faqCalls++; faqCalls == 1 {
				return invalidFAQ // the first answer is invalid; the retry is not
			}
		}
		return providertest.DefaultResponder(r)
	})
	h := &Handler{Models: models}
	rec := &recorder{}
	raw, status, err := h.RunJob(context.Background(), MustJob(t, acme), rec.Emit)
	if err != nil {
		t.Fatal(err)
	}
	if status != copydesk.JobSucceeded {
		t.Errorf("got status %s, want %s", status, copydesk.JobSucceeded)
	}
	if got := fake.Calls(); got != 6 {
		t.Errorf("got %d provider calls, want 6 (5 blocks, one retried)", got)
	}

	// Each task: started, then its deltas, then its result.
	wantTasks := []string{"block.1.hero", "block.2.features", "block.3.testimonials", "block.4.faq", "block.5.cta"}
	pos := map[string]int{}
	for i, e := range rec.Events() {
		task, _ := e.Data["task"].(string)
		switch e.Type {
		case copydesk.EventTaskStarted:
			pos[task+" started"] = i + 1
		case copydesk.EventDelta:
			if pos[task+" started"] == 0 || pos[task+" result"] != 0 {
				t.Errorf("delta of %s outside its task", task)
			}
			pos[task+" delta"]++
		case copydesk.EventTaskResult:
			pos[task+" result"] = i + 1
		}
	}
	for _, task := range wantTasks {
		if pos[task+" started"] == 0 || pos[task+" result"] == 0 || pos[task+" delta"] == 0 {
			t.Errorf("%s: got started at %d, %d deltas, result at %d; want all three", task, pos[task+" started"], pos[task+" delta"], pos[task+" result"])
		}
	}
	results := rec.Of(copydesk.EventTaskResult)
	if len(results) != 5 || len(rec.Of(copydesk.EventTaskFailed)) != 0 {
		t.Fatalf("got %d task.result and %d task.failed events, want 5 and 0", len(results), len(rec.Of(copydesk.EventTaskFailed)))
	}
	for _, e := range results {
		typ, _ := e.Data["type"].(string)
		idx, _ := e.Data["index"].(float64)
		if e.Data["task"] != TaskName(int(idx), typ) {
			t.Errorf("got task %v for index %v type %v", e.Data["task"], idx, typ)
		}
		b, _ := json.Marshal(e.Data["block"])
		if _, err := specs()[typ].decode(string(b), "check"); err != nil {
			t.Errorf("%s: the emitted block %s is not valid: %v", typ, b, err)
		}
		for _, k := range []string{"html", "markdown", "model", "provider", "cost_micros", "currency", "cached", "simulated"} {
			if _, ok := e.Data[k]; !ok {
				t.Errorf("%s: task.result lacks %s", typ, k)
			}
		}
		if e.Data["provider"] != "fake" || e.Data["simulated"] != true || e.Data["cached"] != false || e.Data["currency"] != "EUR" {
			t.Errorf("%s: got accounting %v", typ, e.Data)
		}
		checkNoDanger(t, typ+" html", e.Data["html"].(string))
		checkNoDanger(t, typ+" markdown", e.Data["markdown"].(string))
	}
	// The retried block's second answer is streamed as attempt 2.
	var retried int
	for _, e := range rec.Of(copydesk.EventDelta) {
		if e.Data["task"] == "block.4.faq" && e.Data["attempt"] == float64(2) {
			retried++
		}
	}
	if retried == 0 {
		t.Error("got no deltas of attempt 2 for block.4.faq")
	}

	var page PageResult
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Blocks) != 5 || !page.Simulated {
		t.Fatalf("got page %s", raw)
	}
	for i, b := range page.Blocks {
		if b.Index != i+1 || TaskName(b.Index, b.Type) != wantTasks[i] || b.Status != StatusSucceeded || len(b.Block) == 0 || b.HTML == "" || b.Markdown == "" || b.Error != nil {
			t.Errorf("block %d: got %+v", i, b)
		}
	}
	var hero map[string]string
	if err := json.Unmarshal(page.Blocks[0].Block, &hero); err != nil {
		t.Fatal(err)
	}
	if hero["headline"] != "Fresh bread" || hero["cta_url"] != "#" {
		t.Errorf("got hero %v, want the hostile answer sanitized", hero)
	}
	checkNoDanger(t, "page html", page.HTML)
	checkHTML(t, "page html", page.HTML)
	checkNoDanger(t, "page markdown", page.Markdown)
	if strings.Count(page.HTML, "<section") != 5 || strings.Count(page.HTML, "<h1>") != 1 {
		t.Errorf("got page HTML %s, want 5 sections and one h1", page.HTML)
	}
	if !strings.HasPrefix(page.Markdown, "# Fresh bread\n") {
		t.Errorf("got page Markdown %q, want it to open with the hero", page.Markdown)
	}

	// Run again (a retry of the job): every block comes from the cache.
	rec2 := &recorder{}
	raw2, _, err := h.RunJob(context.Background(), MustJob(t, acme), rec2.Emit)
	if err != nil {
		t.Fatal(err)
	}
	if got := fake.Calls(); got != 6 {
		t.Errorf("got %d provider calls after the rerun, want still 6", got)
	}
	for _, e := range rec2.Of(copydesk.EventTaskResult) {
		if e.Data["cached"] != true {
			t.Errorf("rerun %v: got cached %v, want true", e.Data["task"], e.Data["cached"])
		}
	}
	if len(rec2.Of(copydesk.EventDelta)) == 0 {
		t.Error("rerun: got no deltas, want the cached answers replayed")
	}
	var page2 PageResult
	if err := json.Unmarshal(raw2, &page2); err != nil {
		t.Fatal(err)
	}
	if page2.HTML != page.HTML {
		t.Errorf("rerun: got another page")
	}
}

func TestRunJobPartial(t *testing.T) {
	models, fake := MustModels(t, func(r providertest.Request) string {
		if schemaType(r) == "faq" {
			return invalidFAQ
		}
		return providertest.DefaultResponder(r)
	})
	h := &Handler{Models: models}
	rec := &recorder{}
	raw, status, err := h.RunJob(context.Background(), MustJob(t, acme), rec.Emit)
	if err != nil {
		t.Fatal(err)
	}
	if status != copydesk.JobPartial {
		t.Errorf("got status %s, want %s", status, copydesk.JobPartial)
	}
	faqPrompt := ""
	for _, r := range fake.Requests() {
		if schemaType(r) == "faq" {
			faqPrompt = r.Prompt
		}
	}
	if got := fake.PromptCalls(faqPrompt); got != 2 {
		t.Errorf("got %d calls for the faq block, want 2 (one identical retry)", got)
	}
	if got := fake.Calls(); got != 6 {
		t.Errorf("got %d provider calls, want 6", got)
	}
	failed := rec.Of(copydesk.EventTaskFailed)
	if len(failed) != 1 || len(rec.Of(copydesk.EventTaskResult)) != 4 {
		t.Fatalf("got %d task.failed and %d task.result, want 1 and 4", len(failed), len(rec.Of(copydesk.EventTaskResult)))
	}
	if f := failed[0].Data; f["task"] != "block.4.faq" || f["code"] != "provider_invalid" || !strings.Contains(f["message"].(string), "faq") {
		t.Errorf("got task.failed %v", f)
	}
	var page PageResult
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Blocks) != 5 {
		t.Fatalf("got %d blocks, want 5", len(page.Blocks))
	}
	b := page.Blocks[3]
	if b.Status != StatusFailed || b.Error == nil || b.Error.Code != "provider_invalid" || b.Block != nil || b.HTML != "" {
		t.Errorf("got failed block %+v", b)
	}
	if strings.Count(page.HTML, "<section") != 4 || strings.Contains(page.HTML, "cd-faq") {
		t.Errorf("got page HTML %s, want the 4 blocks that succeeded", page.HTML)
	}

	// The invalid answer was never cached: a rerun asks again.
	if _, _, err := h.RunJob(context.Background(), MustJob(t, acme), (&recorder{}).Emit); err != nil {
		t.Fatal(err)
	}
	if got := fake.PromptCalls(faqPrompt); got != 4 {
		t.Errorf("got %d calls for the faq block after a rerun, want 4", got)
	}
	if got := fake.Calls(); got != 8 {
		t.Errorf("got %d provider calls after a rerun, want 8 (only the faq block again)", got)
	}
}

func TestRunJobAllFailed(t *testing.T) {
	models, _ := MustModels(t, func(providertest.Request) string { return "not json" })
	h := &Handler{Models: models}
	rec := &recorder{}
	req := acme
	req.Blocks = []string{"hero", "cta"}
	raw, _, err := h.RunJob(context.Background(), MustJob(t, req), rec.Emit)
	if !isInvalid(err) || raw != nil {
		t.Errorf("got %s, %v; want no result and a ProviderInvalid error", raw, err)
	}
	if got := len(rec.Of(copydesk.EventTaskFailed)); got != 2 {
		t.Errorf("got %d task.failed, want 2", got)
	}
}

// blockingModels answers no call: each waits for its context to end.
type blockingModels struct{ started chan string }

func (m blockingModels) Stream(ctx context.Context, call copydesk.ModelCall, _ func(string) error) (*copydesk.ModelResult, error) {
	m.started <- call.Kind
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestRunJobInterrupted(t *testing.T) {
	m := blockingModels{started: make(chan string)}
	h := &Handler{Models: m}
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type ret struct {
		raw json.RawMessage
		err error
	}
	done := make(chan ret, 1)
	go func() {
		raw, _, err := h.RunJob(ctx, MustJob(t, acme), rec.Emit)
		done <- ret{raw, err}
	}()
	for range len(DefaultPage) {
		<-m.started
	}
	cancel()
	r := <-done
	if !errors.Is(r.err, context.Canceled) || r.raw != nil {
		t.Errorf("got %s, %v; want context.Canceled", r.raw, r.err)
	}
	if got := len(rec.Of(copydesk.EventTaskFailed)); got != 0 {
		t.Errorf("got %d task.failed events, want none: an interruption is not a failure", got)
	}
}

func TestRunJobBadInput(t *testing.T) {
	h := &Handler{Models: noModels{}}
	_, _, err := h.RunJob(context.Background(), &copydesk.Job{Input: json.RawMessage(`{`)}, (&recorder{}).Emit)
	if copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("got %v, want EINVALID", err)
	}
	_, _, err = (&Handler{}).RunJob(context.Background(), MustJob(t, acme), (&recorder{}).Emit)
	if copydesk.ErrorCode(err) != copydesk.ENOPROVIDER {
		t.Errorf("got %v, want ENOPROVIDER", err)
	}
}
