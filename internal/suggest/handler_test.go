package suggest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jobs/jobstest"
	"github.com/copydesk/copydesk/internal/openai"
	"github.com/copydesk/copydesk/internal/providertest"
)

// providerModels is the smallest copydesk.ModelService: one provider, no
// routing; it records the calls it was given.
type providerModels struct {
	p     copydesk.Provider
	mu    sync.Mutex
	calls []copydesk.ModelCall
}

func (m *providerModels) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	m.mu.Lock()
	m.calls = append(m.calls, call)
	m.mu.Unlock()
	call.Request.Model = "gpt-4o-mini" // the router's choice
	resp, err := m.p.Stream(ctx, call.Request, onDelta)
	if err != nil {
		return nil, err
	}
	return &copydesk.ModelResult{
		Response:  resp,
		Usage:     copydesk.UsageRecord{Provider: m.p.Name(), Model: resp.Model, Cost: 42, Currency: "EUR"},
		Simulated: true,
	}, nil
}

// MustModels returns a model service as the wiring builds it in spirit: a
// fake OpenAI server, the real adapter, and the model cache in front
// (which runs the call's Validate).
func MustModels(tb testing.TB, opts providertest.Options) (copydesk.ModelService, *providerModels, *providertest.Server) {
	tb.Helper()
	fake := providertest.NewTestServer(tb, opts)
	client, err := openai.New(openai.Config{Name: "fake", APIKey: "test-key", BaseURL: fake.URL + "/v1/"})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := cache.New(cache.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	pm := &providerModels{p: client}
	return &cache.Models{Next: pm, Cache: c, ModelSet: "test"}, pm, fake
}

type event = jobstest.Event

// recorder collects emitted events (jobstest.Recorder).
type recorder struct{ jobstest.Recorder }

func (r *recorder) types() string {
	evs := r.Events()
	var out []string
	for i, ev := range evs {
		if ev.Type == copydesk.EventDelta && i > 0 && evs[i-1].Type == copydesk.EventDelta {
			continue
		}
		out = append(out, ev.Type)
	}
	return strings.Join(out, ",")
}

func (r *recorder) find(typ string) (event, bool) {
	for _, ev := range r.Events() {
		if ev.Type == typ {
			return ev, true
		}
	}
	return event{}, false
}

// deltas joins the text of the delta events of one attempt.
func (r *recorder) deltas(attempt int) string {
	var b strings.Builder
	for _, ev := range r.Events() {
		if ev.Type != copydesk.EventDelta {
			continue
		}
		a, _ := ev.Data["attempt"].(float64)
		if max(int(a), 1) == attempt {
			if ev.Data["task"] != JobKind {
				panic("delta without task")
			}
			b.WriteString(ev.Data["text"].(string))
		}
	}
	return b.String()
}

// MustJob returns a stored-looking job for req.
func MustJob(tb testing.TB, req Request) *copydesk.Job {
	tb.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return &copydesk.Job{ID: "job-1", Kind: JobKind, CustomerID: "c1", UserID: "u1", Priority: copydesk.PriorityHigh, Input: in}
}

var pageRequest = Request{Content: pageContent, Format: analyze.FormatMarkdown, Language: "en", Keyphrase: "cold brew", Count: 3}

func TestRunJobValidAnswer(t *testing.T) {
	t.Parallel()
	models, pm, fake := MustModels(t, providertest.Options{})
	fake.Enqueue(providertest.Behaviour{Text: validAnswer})
	h := &Handler{Models: models}
	var rec recorder
	raw, status, err := h.RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
	if err != nil {
		t.Fatal(err)
	}
	if status != copydesk.JobSucceeded {
		t.Errorf("status: got %s, want %s", status, copydesk.JobSucceeded)
	}
	if got, want := rec.types(), "task.started,delta,task.result"; got != want {
		t.Errorf("events: got %s, want %s", got, want)
	}
	if got := rec.deltas(1); got != validAnswer {
		t.Errorf("deltas: got %q, want the answer %q", got, validAnswer)
	}
	var res Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Titles) != 2 || res.Titles[0].Text != "Cold brew coffee: a complete guide to brewing at home" || res.Titles[0].Score != 100 || !res.Titles[0].Fits {
		t.Errorf("titles: got %+v, want the fitting one with the keyphrase first, score 100", res.Titles)
	}
	if res.Titles[1].Fits || res.Titles[1].Score >= res.Titles[0].Score {
		t.Errorf("second title: got %+v, want a lower score and not fitting", res.Titles[1])
	}
	if len(res.MetaDescriptions) != 1 || res.MetaDescriptions[0].Fits || len(res.MetaDescriptions[0].Findings) != 2 {
		t.Errorf("meta descriptions: got %+v, want one, too short, two findings", res.MetaDescriptions)
	}
	if len(res.Headings) != 1 || !res.Headings[0].Keyphrase || len(res.Keyphrases) != 1 {
		t.Errorf("headings, keyphrases: got %+v, %+v", res.Headings, res.Keyphrases)
	}
	if res.Provider != "fake" || res.Model == "" || res.CostMicros != 42 || res.Currency != "EUR" || !res.Simulated || res.Cached {
		t.Errorf("accounting: got %+v", res)
	}

	// task.result is the job result plus the task.
	ev, _ := rec.find(copydesk.EventTaskResult)
	if ev.Data["task"] != JobKind {
		t.Errorf("task.result task: got %v, want %s", ev.Data["task"], JobKind)
	}
	delete(ev.Data, "task")
	var fromJob map[string]any
	if err := json.Unmarshal(raw, &fromJob); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(ev.Data)
	b, _ := json.Marshal(fromJob)
	if string(a) != string(b) {
		t.Errorf("task.result minus task:\n got %s\nwant %s", a, b)
	}
	for _, k := range []string{"titles", "meta_descriptions", "headings", "keyphrases", "model", "provider", "cost_micros", "currency", "cached", "simulated"} {
		if _, ok := fromJob[k]; !ok {
			t.Errorf("result lacks %q", k)
		}
	}

	// The call: kind, version, schema, and a compact prompt with the bands.
	if len(pm.calls) != 1 {
		t.Fatalf("calls: got %d, want 1", len(pm.calls))
	}
	call := pm.calls[0]
	if call.Kind != "seo" || call.Version != "seo-v1" || call.JobID != "job-1" || call.CustomerID != "c1" || call.Validate == nil {
		t.Errorf("call: got kind %q version %q job %q customer %q", call.Kind, call.Version, call.JobID, call.CustomerID)
	}
	req, _ := fake.LastRequest()
	if !req.Stream || len(req.Schema) == 0 {
		t.Errorf("request: got stream %v, schema %s, want a stream with the schema", req.Stream, req.Schema)
	}
	for _, want := range []string{"Language: en", `"cold brew"`, "400-600 px", "120-156 characters", "Give 3 of each", "H2: What you need", "A jar, coarse coffee"} {
		if !strings.Contains(req.Prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, req.Prompt)
		}
	}
}

func TestRunJobHostileAnswer(t *testing.T) {
	t.Parallel()
	models, _, fake := MustModels(t, providertest.Options{})
	fake.Enqueue(providertest.Behaviour{Text: `{"titles":["<script>alert(1)</script>Cold brew guide","<img src=x onerror=alert(1)>","&lt;script&gt;alert(2)&lt;/script&gt;Iced"],
"meta_descriptions":["<a href=\"javascript:alert(1)\">Cold brew</a> at home"],
"headings":[{"level":2,"text":"<h2 onclick=x>Steep</h2> it"}],
"keyphrases":["<b>cold</b> water"]}`})
	var rec recorder
	raw, _, err := (&Handler{Models: models}).RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, x := range res.Titles {
		texts = append(texts, x.Text)
	}
	for _, x := range res.MetaDescriptions {
		texts = append(texts, x.Text)
	}
	for _, x := range res.Headings {
		texts = append(texts, x.Text)
	}
	for _, x := range res.Keyphrases {
		texts = append(texts, x.Text)
	}
	want := "Cold brew guide|Iced|Cold brew at home|Steep it|cold water"
	if got := strings.Join(texts, "|"); got != want {
		t.Errorf("texts: got %q, want %q", got, want)
	}
	for _, s := range []string{"<", "\\u003c", "alert", "onerror", "javascript"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("result holds %q: %s", s, raw)
		}
	}
}

func TestRunJobInvalidAnswer(t *testing.T) {
	t.Parallel()
	t.Run("retried once, then failed", func(t *testing.T) {
		t.Parallel()
		models, _, fake := MustModels(t, providertest.Options{})
		fake.Enqueue(providertest.Behaviour{Text: "Here are some titles."}, providertest.Behaviour{Text: `{"titles":"x"}`})
		var rec recorder
		raw, _, err := (&Handler{Models: models}).RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
		var pe *copydesk.ProviderError
		if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid {
			t.Fatalf("got error %v, want a ProviderError of kind invalid", err)
		}
		if copydesk.Retryable(err) {
			t.Errorf("invalid answer: copydesk.Retryable is true, want the queue not to run the job again")
		}
		if raw != nil {
			t.Errorf("result: got %s, want none", raw)
		}
		if got := fake.Calls(); got != 2 {
			t.Errorf("provider calls: got %d, want 2", got)
		}
		if got, want := rec.types(), "task.started,delta,task.failed"; got != want {
			t.Errorf("events: got %s, want %s", got, want)
		}
		ev, _ := rec.find(copydesk.EventTaskFailed)
		if ev.Data["task"] != JobKind || ev.Data["code"] != "provider_invalid" || ev.Data["message"] == "" {
			t.Errorf("task.failed: got %v", ev.Data)
		}
		if got := rec.deltas(2); got != `{"titles":"x"}` {
			t.Errorf("second attempt's deltas: got %q", got)
		}
	})
	t.Run("retried once, then valid", func(t *testing.T) {
		t.Parallel()
		models, _, fake := MustModels(t, providertest.Options{})
		fake.Enqueue(providertest.Behaviour{Text: "{not json"}, providertest.Behaviour{Text: validAnswer})
		var rec recorder
		_, status, err := (&Handler{Models: models}).RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
		if err != nil || status != copydesk.JobSucceeded {
			t.Fatalf("got %s, %v, want succeeded", status, err)
		}
		if got := fake.Calls(); got != 2 {
			t.Errorf("provider calls: got %d, want 2", got)
		}
		if got := rec.deltas(2); got != validAnswer {
			t.Errorf("second attempt's deltas: got %q, want the valid answer", got)
		}
	})
	t.Run("asked once on a re-run", func(t *testing.T) {
		t.Parallel()
		models, _, fake := MustModels(t, providertest.Options{})
		fake.Enqueue(providertest.Behaviour{Text: "{not json"}, providertest.Behaviour{Text: validAnswer})
		job := MustJob(t, pageRequest)
		job.Attempts = 2 // the queue runs it again after a transient failure
		var rec recorder
		raw, _, err := (&Handler{Models: models}).RunJob(context.Background(), job, rec.Emit)
		var pe *copydesk.ProviderError
		if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid || copydesk.Retryable(err) {
			t.Fatalf("got error %v, want a ProviderError of kind invalid, not retryable", err)
		}
		if raw != nil {
			t.Errorf("result: got %s, want none", raw)
		}
		if got := fake.Calls(); got != 1 {
			t.Errorf("provider calls: got %d, want 1 (an invalid answer is not asked for again on a re-run)", got)
		}
		if _, ok := rec.find(copydesk.EventTaskFailed); !ok {
			t.Errorf("events %s: want task.failed", rec.types())
		}
	})
	t.Run("first attempt of the job asks twice", func(t *testing.T) {
		t.Parallel()
		models, _, fake := MustModels(t, providertest.Options{})
		fake.Enqueue(providertest.Behaviour{Text: "{not json"}, providertest.Behaviour{Text: validAnswer})
		job := MustJob(t, pageRequest)
		job.Attempts = 1 // as the queue sets it on the first run
		_, status, err := (&Handler{Models: models}).RunJob(context.Background(), job, (&recorder{}).Emit)
		if err != nil || status != copydesk.JobSucceeded || fake.Calls() != 2 {
			t.Fatalf("got %s, %v after %d calls, want succeeded after 2", status, err, fake.Calls())
		}
	})
	t.Run("validated without a cache in front", func(t *testing.T) {
		t.Parallel()
		_, pm, fake := MustModels(t, providertest.Options{})
		fake.Enqueue(providertest.Behaviour{Text: "[]"}, providertest.Behaviour{Text: "[]"})
		var rec recorder
		_, _, err := (&Handler{Models: pm}).RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
		var pe *copydesk.ProviderError
		if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid || fake.Calls() != 2 {
			t.Fatalf("got error %v after %d calls, want invalid after 2", err, fake.Calls())
		}
	})
}

func TestRunJobOtherFailure(t *testing.T) {
	t.Parallel()
	models, _, fake := MustModels(t, providertest.Options{})
	fake.Enqueue(providertest.Behaviour{Kind: providertest.BadRequest})
	var rec recorder
	_, _, err := (&Handler{Models: models}).RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
	var pe *copydesk.ProviderError
	if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderBadRequest {
		t.Fatalf("got error %v, want a bad_request ProviderError", err)
	}
	if got := fake.Calls(); got != 1 {
		t.Errorf("provider calls: got %d, want 1 (only invalid answers are asked for again)", got)
	}
	if _, ok := rec.find(copydesk.EventTaskFailed); !ok {
		t.Errorf("events %s: want task.failed", rec.types())
	}
}

func TestRunJobRetryableFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		behaviour []providertest.Behaviour
		wantKind  copydesk.ProviderErrorKind
		wantCalls int
	}{
		{"server error", []providertest.Behaviour{{Kind: providertest.ServerError}}, copydesk.ProviderServer, 1},
		{"rate limited", []providertest.Behaviour{{Kind: providertest.RateLimited}}, copydesk.ProviderRateLimited, 1},
		{"server error after an invalid answer", []providertest.Behaviour{{Text: "{not json"}, {Kind: providertest.ServerError}}, copydesk.ProviderServer, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			models, _, fake := MustModels(t, providertest.Options{})
			fake.Enqueue(tt.behaviour...)
			var rec recorder
			raw, status, err := (&Handler{Models: models}).RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
			var pe *copydesk.ProviderError
			if !errors.As(err, &pe) || pe.Kind != tt.wantKind {
				t.Fatalf("got error %v, want a ProviderError of kind %s", err, tt.wantKind)
			}
			if !copydesk.Retryable(err) {
				t.Errorf("copydesk.Retryable(%v) is false, want the queue to run the job again", err)
			}
			if raw != nil || status != "" {
				t.Errorf("got result %s, status %q, want none", raw, status)
			}
			if got := fake.Calls(); got != tt.wantCalls {
				t.Errorf("provider calls: got %d, want %d (the queue retries, not the handler)", got, tt.wantCalls)
			}
		})
	}
}

// blockingModels is a model service whose call streams one delta and then
// blocks until the caller's context (or, behind the cache, which runs the
// call detached, the test's context) is cancelled.
type blockingModels struct {
	done <-chan struct{}
}

func (m *blockingModels) Stream(ctx context.Context, _ copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	if onDelta != nil {
		_ = onDelta("{")
	}
	select {
	case <-ctx.Done():
	case <-m.done:
	}
	return nil, context.Canceled
}

func TestRunJobInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	models := &cache.Models{Next: &blockingModels{done: ctx.Done()}, Cache: c, ModelSet: "test"}
	var rec recorder
	emit := func(ctx context.Context, typ string, data any) error {
		if typ == copydesk.EventDelta {
			cancel() // shutdown while the answer streams
			return ctx.Err()
		}
		return rec.Emit(ctx, typ, data)
	}
	raw, _, err := (&Handler{Models: models}).RunJob(ctx, MustJob(t, pageRequest), emit)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want the interruption (context.Canceled)", err)
	}
	if raw != nil {
		t.Errorf("result: got %s, want none", raw)
	}
	if got, want := rec.types(), "task.started"; got != want {
		t.Errorf("events: got %s, want %s (interrupted is not failed)", got, want)
	}
}

func TestRunJobSimulatedProvider(t *testing.T) {
	t.Parallel()
	models, _, _ := MustModels(t, providertest.Options{}) // DefaultResponder: SchemaExample of the schema
	var rec recorder
	raw, status, err := (&Handler{Models: models}).RunJob(context.Background(), MustJob(t, pageRequest), rec.Emit)
	if err != nil || status != copydesk.JobSucceeded {
		t.Fatalf("got %s, %v, want succeeded", status, err)
	}
	var res Result
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Titles) == 0 || !strings.HasPrefix(res.Titles[0].Text, "[simulated]") || !res.Simulated {
		t.Errorf("got %s, want simulated suggestions", raw)
	}
}

func TestRunJobBadInput(t *testing.T) {
	t.Parallel()
	h := &Handler{Models: &providerModels{}}
	var rec recorder
	for _, in := range []string{`{`, `{"content":"x","count":99}`, `{"content":"x","format":"pdf"}`} {
		_, _, err := h.RunJob(context.Background(), &copydesk.Job{Input: json.RawMessage(in)}, rec.Emit)
		if code := copydesk.ErrorCode(err); code != copydesk.EINVALID {
			t.Errorf("input %s: got %v, want %s", in, err, copydesk.EINVALID)
		}
	}
	if len(rec.Events()) != 0 {
		t.Errorf("events: got %s, want none", rec.types())
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("# Title\n\n")
	for i := range 30 {
		b.WriteString("## Section " + itoa(i) + "\n\n" + strings.Repeat("Lorem ipsum dolor sit amet. ", 40) + "\n\n```\ncode()\n```\n\n")
	}
	doc, err := analyze.Parse(analyze.Input{Content: b.String(), Format: analyze.FormatMarkdown, Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	ex := excerpt(doc)
	if len(ex) > excerptMaxChars {
		t.Errorf("excerpt: got %d bytes, want at most %d", len(ex), excerptMaxChars)
	}
	if !strings.HasPrefix(ex, "H1: Title\nH2: Section 0\nLorem ipsum") || strings.Contains(ex, "code()") {
		t.Errorf("excerpt starts %q, want headings and text without code", ex[:min(80, len(ex))])
	}
	if got := strings.Count(ex, "\nLorem"); got < 1 || got > excerptMaxBodies {
		t.Errorf("excerpt holds %d paragraphs, want 1 to %d", got, excerptMaxBodies)
	}
	if !strings.Contains(ex, "H2: Section 12") {
		t.Errorf("excerpt lacks later headings:\n%s", ex)
	}
}

func TestShorten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"cold brew coffee", 12, "cold brew…"},
		{"ééééé", 7, "éé…"},
		{"abc", 2, ""},
	}
	for _, tt := range tests {
		if got := shorten(tt.in, tt.n); got != tt.want || len(got) > tt.n && len(tt.in) > tt.n {
			t.Errorf("shorten(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestLoadPrompts(t *testing.T) {
	t.Parallel()
	set, err := LoadPrompts("")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := set.Get(promptName)
	if err != nil || tmpl.Version != "seo-v1" {
		t.Fatalf("built-in: got %v, %v, want version seo-v1", tmpl, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "seo.tmpl"), []byte("Suggest for {{.Language}}: {{.Excerpt}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err = LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ = set.Get(promptName)
	if !tmpl.Overridden || !strings.HasPrefix(tmpl.Version, "seo-v1+override-") {
		t.Errorf("override: got version %q, overridden %v", tmpl.Version, tmpl.Overridden)
	}
	if err := os.WriteFile(filepath.Join(dir, "seo.tmpl"), []byte("{{.Broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrompts(dir); err == nil || !strings.Contains(err.Error(), "seo.tmpl") {
		t.Errorf("broken override: got %v, want an error naming the file", err)
	}
}
