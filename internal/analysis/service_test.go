package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// fakeJobs is a Submitter that records the jobs it accepts, or refuses
// them with err.
type fakeJobs struct {
	mu   sync.Mutex
	jobs []*copydesk.Job
	err  error
}

func (f *fakeJobs) Submit(_ context.Context, job *copydesk.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	job.ID = "job_" + string(rune('a'+len(f.jobs)))
	f.jobs = append(f.jobs, job)
	return nil
}

func (f *fakeJobs) submitted() []*copydesk.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.jobs)
}

// MustCache returns an in-memory result cache.
func MustCache(tb testing.TB) *cache.Cache {
	tb.Helper()
	c, err := cache.New(cache.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

const english = "The quick brown fox jumps over the lazy dog. It was a sunny day and everyone was happy.\n\nThe dog did not mind."

// TestAnalyzeLocal runs local analyses inline: a complete report, cached by
// content, served again from the cache and by its key.
func TestAnalyzeLocal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := &Service{Jobs: &fakeJobs{}, Cache: MustCache(t)}
	req := &Request{Content: english, Types: []analyze.Type{analyze.TypeReadability}}
	resp, err := svc.Analyze(ctx, req, "cus_1", "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "complete" || resp.Cached || resp.JobID != "" || len(resp.Pending) != 0 {
		t.Fatalf("first response %+v, want complete, not cached, no job", resp)
	}
	if resp.ResultKey == "" {
		t.Errorf("no result key: the report cannot be fetched again")
	}
	var report analyze.Report
	if err := json.Unmarshal(resp.Report, &report); err != nil {
		t.Fatal(err)
	}
	if report.Language != "en" || len(report.Results) != 1 || report.Results[0].Type != analyze.TypeReadability {
		t.Errorf("report language %q with %d results, want en with the readability result alone", report.Language, len(report.Results))
	}
	if req.Format != analyze.FormatText {
		t.Errorf("format after Analyze %q, want the default %q", req.Format, analyze.FormatText)
	}

	again, err := svc.Analyze(ctx, &Request{Content: english, Types: []analyze.Type{analyze.TypeReadability}}, "cus_1", "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cached || again.ResultKey != resp.ResultKey || string(again.Report) != string(resp.Report) {
		t.Errorf("second response cached %v key %q, want cached under %q with the same report", again.Cached, again.ResultKey, resp.ResultKey)
	}
	other, err := svc.Analyze(ctx, &Request{Content: english, Types: []analyze.Type{analyze.TypeReadability}}, "cus_1", "usr_2")
	if err != nil {
		t.Fatal(err)
	}
	if other.Cached || other.ResultKey == resp.ResultKey {
		t.Errorf("another user's request: cached %v key %q, want a key of its own", other.Cached, other.ResultKey)
	}

	raw, expires, err := svc.Result(ctx, resp.ResultKey)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != string(resp.Report) || expires.IsZero() {
		t.Errorf("Result: expires %v, report equal %v; want the cached report with its expiry", expires, string(raw) == string(resp.Report))
	}
	if _, _, err := svc.Result(ctx, "nosuchkey"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		t.Errorf("Result of an unknown key: got %v, want ENOTFOUND", err)
	}
}

// TestAnalyzeWithoutCache answers without a result key, and Result finds
// nothing.
func TestAnalyzeWithoutCache(t *testing.T) {
	t.Parallel()
	svc := &Service{Jobs: &fakeJobs{}}
	resp, err := svc.Analyze(context.Background(), &Request{Content: english}, "cus_1", "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "complete" || resp.ResultKey != "" || resp.Cached {
		t.Errorf("response %+v, want complete without a result key", resp)
	}
	var report analyze.Report
	if err := json.Unmarshal(resp.Report, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Results) != len(analyze.AllTypes) {
		t.Errorf("%d results, want all %d analyses when no type is named", len(report.Results), len(analyze.AllTypes))
	}
	if _, _, err := svc.Result(context.Background(), "any"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		t.Errorf("Result without a cache: got %v, want ENOTFOUND", err)
	}
}

// TestAnalyzeDeep submits a job for model-backed analysis and answers
// pending with its task names; the job carries the detected language.
func TestAnalyzeDeep(t *testing.T) {
	t.Parallel()
	jobs := &fakeJobs{}
	svc := &Service{Jobs: jobs, Models: &fakeModels{answer: `{"findings":[]}`}, Cache: MustCache(t)}
	req := &Request{Content: dutch, Types: []analyze.Type{analyze.TypeReadability}, Deep: []analyze.Type{analyze.TypeGrammar, analyze.TypeGrammar}, Priority: "low"}
	resp, err := svc.Analyze(context.Background(), req, "cus_1", "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "pending" || !slices.Equal(resp.Pending, []string{"grammar.model"}) {
		t.Fatalf("response status %q pending %v, want pending [grammar.model]", resp.Status, resp.Pending)
	}
	list := jobs.submitted()
	if len(list) != 1 {
		t.Fatalf("%d jobs submitted, want 1", len(list))
	}
	job := list[0]
	if resp.JobID != job.ID {
		t.Errorf("job id %q, want job %q", resp.JobID, job.ID)
	}
	if job.Kind != JobKind || job.CustomerID != "cus_1" || job.UserID != "usr_1" || job.Priority != copydesk.PriorityLow {
		t.Errorf("job %+v, want kind %s of cus_1/usr_1 at low priority", job, JobKind)
	}
	var in Request
	if err := json.Unmarshal(job.Input, &in); err != nil {
		t.Fatal(err)
	}
	if in.Language != "nl" {
		t.Errorf("job language %q, want the detected nl", in.Language)
	}
	if !slices.Equal(in.Types, []analyze.Type{analyze.TypeReadability, analyze.TypeGrammar}) || !slices.Equal(in.Deep, []analyze.Type{analyze.TypeGrammar}) {
		t.Errorf("job types %v deep %v, want the deep type added to the types once", in.Types, in.Deep)
	}
}

// TestAnalyzeDeepFromCache answers a deep request inline once its job has
// cached the findings of every block, without a second job or model call.
func TestAnalyzeDeepFromCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := MustCache(t)
	models := &fakeModels{answer: `{"findings":[{"block":1,"quote":"Hij vind","message":"d/t-fout","suggestion":"Hij vindt","severity":"problem"}]}`}
	jobs := &fakeJobs{}
	deep := &DeepHandler{Models: models, Cache: c, ModelSet: "test"}
	svc := &Service{Jobs: jobs, Models: models, Cache: c, Deep: deep}
	newReq := func() *Request {
		return &Request{Content: dutch, Deep: []analyze.Type{analyze.TypeGrammar}, Locale: "nl"}
	}
	first, err := svc.Analyze(ctx, newReq(), "cus_1", "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != "pending" || len(jobs.submitted()) != 1 {
		t.Fatalf("first response %q with %d jobs, want pending with one job", first.Status, len(jobs.submitted()))
	}
	if _, status, err := deep.RunJob(ctx, jobs.submitted()[0], (&events{}).emit); err != nil || status != copydesk.JobSucceeded {
		t.Fatalf("RunJob: %s, %v", status, err)
	}
	second, err := svc.Analyze(ctx, newReq(), "cus_1", "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != "complete" || !second.DeepCached || second.JobID != "" {
		t.Fatalf("second response %+v, want complete from the cached findings", second)
	}
	if n := len(jobs.submitted()); n != 1 {
		t.Errorf("%d jobs submitted, want still 1", n)
	}
	if models.calls != 1 {
		t.Errorf("model calls %d, want still 1", models.calls)
	}
	if !strings.Contains(string(second.Report), "d/t-fout Suggestie: Hij vindt") {
		t.Errorf("report lacks the cached model finding: %s", second.Report)
	}
	// Another customer's cache entries are not this one's.
	third, err := svc.Analyze(ctx, newReq(), "cus_2", "usr_9")
	if err != nil {
		t.Fatal(err)
	}
	if third.Status != "pending" {
		t.Errorf("another customer's response %q, want pending (a job of its own)", third.Status)
	}
}

// TestAnalyzeSubmitFails passes the queue's error on.
func TestAnalyzeSubmitFails(t *testing.T) {
	t.Parallel()
	refused := copydesk.Errorf(copydesk.EUNAVAILABLE, "queue down")
	svc := &Service{Jobs: &fakeJobs{err: refused}, Models: &fakeModels{}}
	_, err := svc.Analyze(context.Background(), &Request{Content: english, Deep: []analyze.Type{analyze.TypeTone}}, "cus_1", "usr_1")
	if !errors.Is(err, refused) {
		t.Errorf("got %v, want the queue's error", err)
	}
}

// TestAnalyzeRefuses checks each bad request's error code, from Analyze and
// from Validate alike, without submitting a job.
func TestAnalyzeRefuses(t *testing.T) {
	t.Parallel()
	many := make([]analyze.Type, MaxTypeEntries+1)
	for i := range many {
		many[i] = analyze.TypeSEO
	}
	tests := []struct {
		name     string
		req      Request
		noModels bool
		code     string
		mention  string
	}{
		{"empty content", Request{Content: " \n\t"}, false, copydesk.EINVALID, "content"},
		{"too large", Request{Content: strings.Repeat("a", 201)}, false, copydesk.ETOOLARGE, "201 bytes"},
		{"bad priority", Request{Content: english, Priority: "urgent"}, false, copydesk.EINVALID, "urgent"},
		{"unknown deep type", Request{Content: english, Deep: []analyze.Type{"astrology"}}, false, copydesk.EINVALID, "astrology"},
		{"too many types", Request{Content: english, Types: many}, false, copydesk.EINVALID, "types has 33 entries"},
		{"too many deep", Request{Content: english, Deep: many}, false, copydesk.EINVALID, "deep has 33 entries"},
		{"deep without a provider", Request{Content: english, Deep: []analyze.Type{analyze.TypeTone}}, true, copydesk.ENOPROVIDER, "model provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jobs := &fakeJobs{}
			svc := &Service{Jobs: jobs, MaxContent: 200}
			if !tt.noModels {
				svc.Models = &fakeModels{}
			}
			req := tt.req
			_, err := svc.Analyze(context.Background(), &req, "cus_1", "usr_1")
			if copydesk.ErrorCode(err) != tt.code || !strings.Contains(copydesk.ErrorMessage(err), tt.mention) {
				t.Errorf("Analyze: got %v (%s), want %s mentioning %q", err, copydesk.ErrorCode(err), tt.code, tt.mention)
			}
			req = tt.req
			if err := svc.Validate(&req); copydesk.ErrorCode(err) != tt.code {
				t.Errorf("Validate: got %v, want %s", err, tt.code)
			}
			if n := len(jobs.submitted()); n != 0 {
				t.Errorf("%d jobs submitted, want none", n)
			}
		})
	}
}

// TestValidateNormalizes fills the defaults as Analyze does.
func TestValidateNormalizes(t *testing.T) {
	t.Parallel()
	svc := &Service{Models: &fakeModels{}}
	req := &Request{Content: english, Locale: "nl-BE", Types: []analyze.Type{analyze.TypeSEO, analyze.TypeSEO}, Deep: []analyze.Type{analyze.TypeTone}}
	if err := svc.Validate(req); err != nil {
		t.Fatal(err)
	}
	if req.Format != analyze.FormatText || req.Locale != "nl" {
		t.Errorf("format %q locale %q, want text and nl", req.Format, req.Locale)
	}
	if want := []analyze.Type{analyze.TypeSEO, analyze.TypeTone}; !slices.Equal(req.Types, want) {
		t.Errorf("types %v, want %v (repeats dropped, the deep type added)", req.Types, want)
	}
	// A request that names no types runs them all: the deep type is not
	// added, it is among them already.
	all := &Request{Content: english, Deep: []analyze.Type{analyze.TypeTone}}
	if err := svc.Validate(all); err != nil {
		t.Fatal(err)
	}
	if len(all.Types) != 0 {
		t.Errorf("types %v, want none named (all run)", all.Types)
	}
}

// TestSetLocale takes the Accept-Language header's supported language
// only when the request names none.
func TestSetLocale(t *testing.T) {
	t.Parallel()
	tests := []struct {
		locale, header, want string
	}{
		{"", "de-CH,de;q=0.9,en;q=0.5", "de"},
		{"", "", ""},
		{"fr", "de", "fr"},
		{"", "tlh", ""},
	}
	for _, tt := range tests {
		r := &Request{Locale: tt.locale, AcceptLanguage: tt.header}
		setLocale(r)
		if r.Locale != tt.want {
			t.Errorf("locale %q with header %q: got %q, want %q", tt.locale, tt.header, r.Locale, tt.want)
		}
	}
}

// TestReportRequest keys a report by every field that changes it.
func TestReportRequest(t *testing.T) {
	t.Parallel()
	base := Request{Content: english, Format: analyze.FormatText, Keyphrase: "fox"}
	key := reportRequest(&base, "cus_1", "usr_1").Key
	variants := map[string]func(r *Request){
		"content":   func(r *Request) { r.Content += "!" },
		"format":    func(r *Request) { r.Format = analyze.FormatMarkdown },
		"keyphrase": func(r *Request) { r.Keyphrase = "dog" },
		"synonyms":  func(r *Request) { r.Synonyms = []string{"hound"} },
		"title":     func(r *Request) { r.Title = "Fox" },
		"meta":      func(r *Request) { r.MetaDescription = "About a fox" },
		"slug":      func(r *Request) { r.Slug = "fox" },
		"types":     func(r *Request) { r.Types = []analyze.Type{analyze.TypeSEO} },
		"locale":    func(r *Request) { r.Locale = "de" },
	}
	for name, change := range variants {
		r := base
		change(&r)
		if got := reportRequest(&r, "cus_1", "usr_1").Key; got == key {
			t.Errorf("changing %s kept the key %q", name, key)
		}
	}
	if got := reportRequest(&base, "cus_1", "usr_2").Key; got == key {
		t.Error("another user got the same key")
	}
	if got := reportRequest(&base, "cus_1", "usr_1").Key; got != key {
		t.Errorf("the same request got key %q, then %q", key, got)
	}
}

// TestLoadPrompts reads an override of the deep template from a directory
// and refuses one that does not parse.
func TestLoadPrompts(t *testing.T) {
	t.Parallel()
	set, err := LoadPrompts("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deepTemplate(set).Version, deepTemplate(nil).Version; got != want {
		t.Errorf("without overrides: version %q, want the built-in %q", got, want)
	}
	dir := t.TempDir()
	override := "Custom {{.Language}}"
	if err := os.WriteFile(filepath.Join(dir, "deep.tmpl"), []byte(override), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err = LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	// An override's version is the built-in one's with a hash of the
	// override: editing the file changes the cache keys.
	if got, builtin := deepTemplate(set).Version, deepTemplate(nil).Version; !strings.HasPrefix(got, builtin+"+override-") {
		t.Errorf("override version %q, want %q with the override's hash", got, builtin)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "deep.tmpl"), []byte("{{/* version: x-v1 */}}{{.Broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrompts(bad); err == nil {
		t.Error("an override that does not parse was accepted")
	}
}

// TestSeverityOf maps the model's severities, anything else to a warning.
func TestSeverityOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]analyze.Severity{
		"problem": analyze.SeverityProblem, "info": analyze.SeverityInfo,
		"warning": analyze.SeverityWarning, "critical!": analyze.SeverityWarning, "": analyze.SeverityWarning,
	} {
		if got := severityOf(in); got != want {
			t.Errorf("severityOf(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestPreparedRun: a deep job's first run starts from what its accept
// prepared (the parsed text and local report, once) and gives the report
// a run from the stored input gives, language_detected included.
func TestPreparedRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	answer := `{"findings":[{"block":1,"quote":"Hij vind","message":"d/t-fout","suggestion":"Hij vindt","severity":"problem"}]}`
	jobs := &fakeJobs{}
	svc := &Service{Jobs: jobs, Models: &fakeModels{answer: answer}, Cache: MustCache(t)}
	resp, err := svc.Analyze(ctx, &Request{Content: dutch, Deep: []analyze.Type{analyze.TypeGrammar}}, "cus_1", "usr_1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(resp.Report), `"language_detected":true`) {
		t.Fatalf("the 202's report does not say the language was detected: %s", resp.Report)
	}
	job := jobs.submitted()[0]
	p, ok := job.Prepared.(*prepared)
	if !ok {
		t.Fatalf("the job carries %T, want what its accept prepared", job.Prepared)
	}
	var in jobInput
	if err := json.Unmarshal(job.Input, &in); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*p.req, in.Request) || !in.LanguageDetected {
		t.Errorf("prepared request %+v, want the stored input's %+v with language_detected", *p.req, in)
	}
	fromInput := *job
	fromInput.Prepared = nil

	run := func(job *copydesk.Job) string {
		t.Helper()
		h := &DeepHandler{Models: &fakeModels{answer: answer}, Cache: MustCache(t), ModelSet: "test"}
		raw, status, err := h.RunJob(ctx, job, (&events{}).emit)
		if err != nil || status != copydesk.JobSucceeded {
			t.Fatalf("RunJob: %s, %v", status, err)
		}
		return string(raw)
	}
	prepared, stored := run(job), run(&fromInput)
	if job.Prepared != nil {
		t.Error("the run left Prepared on the job: a retry would reuse a report it merged into")
	}
	if prepared != stored {
		t.Errorf("the prepared run's report differs from the stored input's:\n%s\n%s", prepared, stored)
	}
	if !strings.Contains(prepared, `"language_detected":true`) || !strings.Contains(prepared, "d/t-fout") {
		t.Errorf("the job's report lacks the detected language or the finding: %s", prepared)
	}
	// A second run of the same job (a retry) starts from the input.
	if again := run(job); again != stored {
		t.Errorf("a retry's report differs:\n%s\n%s", again, stored)
	}
}
