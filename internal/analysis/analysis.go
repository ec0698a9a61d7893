// Package analysis is the analysis service: local analyses answered inline
// by the engine, and model-backed deepening run as a job whose results
// stream in and are merged with the local ones.
package analysis

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// JobKind is the job kind of model-backed analysis.
const JobKind = "analysis.deep"

// MaxContentDefault caps the content of one analysis, in bytes.
const MaxContentDefault = 512 << 10

// Request asks for an analysis (copydesk.AnalysisRequest).
type Request = copydesk.AnalysisRequest

// Response answers a Request (copydesk.AnalysisResponse).
type Response = copydesk.AnalysisResponse

// setLocale sets Locale from the request's Accept-Language header when
// the request names none; a header without a supported language leaves
// it empty (English).
func setLocale(r *Request) {
	if r.Locale == "" && r.AcceptLanguage != "" {
		r.Locale = analyze.LocaleFromAcceptLanguage(r.AcceptLanguage)
	}
}

func input(r *Request) analyze.Input {
	return analyze.Input{
		Content: r.Content, Format: r.Format, Language: r.Language,
		Keyphrase: r.Keyphrase, Synonyms: r.Synonyms, Title: r.Title,
		MetaDescription: r.MetaDescription, Slug: r.Slug, Types: r.Types, Locale: r.Locale,
	}
}

// Submitter accepts jobs (jobs.Service).
type Submitter = copydesk.JobSubmitter

var _ copydesk.AnalysisService = (*Service)(nil)

// Service runs analyses.
type Service struct {
	Jobs Submitter
	// Models runs model calls; nil when no provider is configured.
	Models copydesk.ModelService
	// MaxContent caps Request.Content in bytes. Default MaxContentDefault.
	MaxContent int
	// Cache keeps finished local reports by content (tier of kind
	// "analysis"); nil disables it.
	Cache *cache.Cache
	// Deep runs the model-backed analyses; when every block of a request
	// is in its cache, the request is answered inline from it (200, no
	// job). Nil: every deep request becomes a job.
	Deep *DeepHandler
}

// ReportKind is the cache kind of local analysis reports.
const ReportKind = "analysis.report"

// reportRequest is the cache request of the local report of req: every
// field that changes the report, and the analyzer version. A report is its
// user's own (the key differs per user and the entry names its owner), so
// that GET /v1/analyses/{key} can serve it to that user alone (and to the
// customer's CLIENTs and the ADMIN); userID "" makes it the customer's.
func reportRequest(req *Request, customerID, userID string) cache.Request {
	syn := strings.Join(req.Synonyms, "\x1f")
	types := make([]string, len(req.Types))
	for i, t := range req.Types {
		types[i] = string(t)
	}
	return cache.NewRequest(cache.KeyParts{
		CustomerID: customerID, UserID: userID, Kind: ReportKind, Input: req.Content,
		Params: map[string]string{
			"format": string(req.Format), "language": req.Language, "keyphrase": req.Keyphrase,
			"synonyms": syn, "title": req.Title, "meta_description": req.MetaDescription,
			"slug": req.Slug, "types": strings.Join(types, ","), "locale": req.Locale,
		},
		Version: analyze.Version,
	})
}

// localReport runs the local analyses, through the cache when there is
// one, and returns the report's JSON.
// With prep (its doc parsed already), the report is computed from
// prep.doc and, when this call computed it, kept in prep.report.
func (s *Service) localReport(ctx context.Context, req *Request, customerID, userID string, prep *prepared) (json.RawMessage, string, bool, error) {
	compute := func(context.Context) ([]byte, copydesk.Micros, error) {
		if prep != nil {
			r := analyze.AnalyzeDoc(input(req), prep.doc)
			b, err := r.MarshalJSON()
			if err == nil {
				prep.report.Store(r)
			}
			return b, 0, err
		}
		r, err := analyze.Analyze(input(req))
		if err != nil {
			return nil, 0, err
		}
		b, err := r.MarshalJSON()
		return b, 0, err
	}
	if s.Cache == nil {
		raw, _, err := compute(ctx)
		return raw, "", false, err
	}
	creq := reportRequest(req, customerID, userID)
	raw, out, err := s.Cache.Do(ctx, creq, compute)
	if err != nil {
		return nil, "", false, err
	}
	return raw, creq.Key, out.Hit(), nil
}

// Result returns a cached local report by its key, and when it leaves the
// cache (for Cache-Control). Returns ENOTFOUND when it is not (or no longer)
// cached.
func (s *Service) Result(ctx context.Context, key string) ([]byte, time.Time, error) {
	if s.Cache != nil {
		raw, out, ok, err := s.Cache.Get(ctx, cache.Request{Key: key, Kind: ReportKind})
		if err == nil && ok {
			return raw, out.ExpiresAt, nil
		}
		if err != nil && copydesk.ErrorCode(err) != copydesk.EINVALID {
			return nil, time.Time{}, err
		}
	}
	return nil, time.Time{}, copydesk.Errorf(copydesk.ENOTFOUND, "no cached report %q; analyze the content again with POST /v1/analyses", key)
}

// Analyze runs the local analyses inline and, when deepening is asked for,
// submits a job for it. Returns EINVALID for bad fields, ETOOLARGE for
// oversized content and ENOPROVIDER when deepening needs a provider that is
// not configured.
func (s *Service) Analyze(ctx context.Context, req *Request, customerID, userID string) (*Response, error) {
	setLocale(req)
	if err := s.normalize(req); err != nil {
		return nil, err
	}
	prio, err := copydesk.ParsePriority(req.Priority)
	if err != nil {
		return nil, err
	}
	if _, _, err := req.Resolve(req.Priority, time.Now()); err != nil {
		return nil, err
	}
	if len(req.Deep) == 0 {
		report, key, cached, err := s.localReport(ctx, req, customerID, userID, nil)
		if err != nil {
			return nil, err
		}
		return &Response{Status: "complete", Report: report, ResultKey: key, Cached: cached}, nil
	}
	if s.Models == nil {
		return nil, copydesk.NoProvider("model-backed analysis")
	}
	// The text is parsed once, here, for the local report, the cached
	// findings and the job's first run.
	doc, err := analyze.Parse(input(req))
	if err != nil {
		return nil, err
	}
	prep := &prepared{doc: doc}
	report, key, cached, err := s.localReport(ctx, req, customerID, userID, prep)
	if err != nil {
		return nil, err
	}
	detected := analyze.AutoLanguage(req.Language)
	req.Language = doc.Language // the job analyzes in the language detected now
	if merged, ok := s.cachedDeep(ctx, req, doc, report, prep.report.Load(), customerID); ok {
		return &Response{Status: "complete", Report: merged, ResultKey: key, Cached: cached, DeepCached: true}, nil
	}
	input, err := json.Marshal(jobInput{Request: *req, LanguageDetected: detected})
	if err != nil {
		return nil, fmt.Errorf("encode job input: %w", err)
	}
	job := &copydesk.Job{Kind: JobKind, CustomerID: customerID, UserID: userID, Priority: prio, Input: input}
	if prep.report.Load() != nil {
		stored := *req
		stored.AcceptLanguage = "" // as the input stores it (Locale holds it)
		prep.req = &stored
		job.Prepared = prep
	}
	if err := s.Jobs.Submit(ctx, job); err != nil {
		return nil, err
	}
	pending := make([]string, len(req.Deep))
	for i, t := range req.Deep {
		pending[i] = taskName(t)
	}
	return &Response{
		Status: "pending", Report: report, ResultKey: key, Cached: cached,
		Pending: pending, JobID: job.ID,
	}, nil
}

// cachedDeep returns the report with every deep analysis's findings merged
// in, when the cache holds them for every block; ok false otherwise (the
// work then runs as a job). It never calls a model.
// doc is req's text parsed; parsed, when not nil, is report decoded, and
// the findings are merged into it.
func (s *Service) cachedDeep(ctx context.Context, req *Request, doc *analyze.Doc, report json.RawMessage, parsed *analyze.Report, customerID string) (json.RawMessage, bool) {
	h := s.Deep
	if h == nil || h.Cache == nil {
		return nil, false
	}
	blocks := deepBlocks(doc)
	if len(blocks) == 0 {
		return nil, false
	}
	job := &copydesk.Job{CustomerID: customerID}
	version := deepTemplate(h.Prompts).Version
	found := make(map[analyze.Type][]analyze.Finding, len(req.Deep))
	for _, t := range req.Deep {
		var findings []analyze.Finding
		for _, b := range blocks {
			v, _, ok, err := h.Cache.Get(ctx, blockRequest(job, h.ModelSet, version, deepParams{lang: doc.Language, locale: analyze.ResolveLocale(req.Locale), t: t}, b.Text))
			if err != nil || !ok {
				return nil, false
			}
			var bv blockValue
			if err := json.Unmarshal(v, &bv); err != nil {
				return nil, false
			}
			findings = append(findings, blockFindings(doc, b, bv.Findings, bv.Model, analyze.ResolveLocale(req.Locale))...)
		}
		found[t] = findings
	}
	r := parsed
	if r == nil {
		r = new(analyze.Report)
		if err := json.Unmarshal(report, r); err != nil {
			return nil, false
		}
	}
	for _, t := range req.Deep {
		r.MergeModelFindings(t, found[t])
	}
	merged, err := r.MarshalJSON()
	if err != nil {
		return nil, false
	}
	return merged, true
}

// Validate fills req's defaults and checks it as Analyze does, without
// analysing anything (a batch checks every item before it accepts any).
// Returns EINVALID or ETOOLARGE naming the bad field, and ENOPROVIDER
// when deepening is asked for and no provider is configured.
func (s *Service) Validate(req *Request) error {
	setLocale(req)
	if err := s.normalize(req); err != nil {
		return err
	}
	if _, err := copydesk.ParsePriority(req.Priority); err != nil {
		return err
	}
	if _, _, err := req.Resolve(req.Priority, time.Now()); err != nil {
		return err
	}
	if len(req.Deep) > 0 && s.Models == nil {
		return copydesk.NoProvider("model-backed analysis")
	}
	return nil
}

func (s *Service) normalize(req *Request) error {
	if strings.TrimSpace(req.Content) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "content is required")
	}
	if max := cmp.Or(s.MaxContent, MaxContentDefault); len(req.Content) > max {
		return copydesk.Errorf(copydesk.ETOOLARGE, "content is %d bytes; the limit is %d", len(req.Content), max)
	}
	if req.Format == "" {
		req.Format = analyze.FormatText
	}
	req.Locale = analyze.ResolveLocale(req.Locale) // "nl-BE" and "nl" share a cached report
	var err error
	if req.Types, err = uniqueTypes("types", req.Types); err != nil {
		return err
	}
	if req.Deep, err = uniqueTypes("deep", req.Deep); err != nil {
		return err
	}
	for _, t := range req.Deep {
		if !slices.Contains(analyze.AllTypes, t) {
			return copydesk.Errorf(copydesk.EINVALID, "deep: unknown analysis %q; use one of %s", t, typeList())
		}
		if len(req.Types) > 0 && !slices.Contains(req.Types, t) {
			req.Types = append(req.Types, t)
		}
	}
	return nil
}

// MaxTypeEntries caps the entries of types and deep: each names one of
// the six analyses, so a longer list can only repeat them.
const MaxTypeEntries = 32

// uniqueTypes returns list without repeats, in the order of first
// appearance. Returns EINVALID for a list longer than MaxTypeEntries.
func uniqueTypes(field string, list []analyze.Type) ([]analyze.Type, error) {
	if len(list) > MaxTypeEntries {
		return nil, copydesk.Errorf(copydesk.EINVALID, "%s has %d entries; at most %d are allowed, each analysis once (%s)", field, len(list), MaxTypeEntries, typeList())
	}
	var out []analyze.Type
	for _, t := range list {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func typeList() string {
	s := make([]string, len(analyze.AllTypes))
	for i, t := range analyze.AllTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func taskName(t analyze.Type) string { return string(t) + ".model" }

// DeepHandler runs model-backed analysis jobs.
type DeepHandler struct {
	// Models runs the model calls (routed, limited, accounted).
	Models copydesk.ModelService
	// Cache keeps findings per block; nil asks about the whole page each time.
	Cache *cache.Cache
	// ModelSet names the configured models in cache keys.
	ModelSet string
	// Prompts holds the deep-analysis template; nil: the built-in one.
	Prompts *prompt.Set
}

// RunJob implements copydesk.JobHandler: it recomputes the local report,
// asks the model for each deep analysis in parallel, streams the deltas and
// each task's findings, and returns the merged report.
func (h *DeepHandler) RunJob(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
	req, doc, report, err := prepare(job)
	if err != nil {
		return nil, "", err
	}
	if len(req.Deep) == 0 {
		return nil, "", copydesk.Errorf(copydesk.EINVALID, "stored job asks for no model-backed analysis")
	}

	type outcome struct {
		t        analyze.Type
		findings []analyze.Finding
		err      error
	}
	outcomes := make([]outcome, len(req.Deep))
	var wg sync.WaitGroup
	for i, t := range req.Deep {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := h.deepen(ctx, job, emit, doc, report, t, analyze.ResolveLocale(req.Locale))
			outcomes[i] = outcome{t: t, findings: f, err: err}
		}()
	}
	wg.Wait()

	var failed int
	var lastErr error
	var errs []error
	for _, o := range outcomes {
		if o.err != nil {
			failed++
			lastErr = o.err
			errs = append(errs, o.err)
			continue
		}
		report.MergeModelFindings(o.t, o.findings)
	}
	if failed == len(outcomes) {
		// A retryable failure runs the job again; only permanent ones end it.
		return nil, "", cmp.Or(copydesk.PartialFailure(errs), lastErr)
	}
	raw, err := report.MarshalJSON()
	if err != nil {
		return nil, "", fmt.Errorf("encode report: %w", err)
	}
	if failed > 0 {
		// The deepenings that succeeded are cached per block: running the
		// job again for a retryable failure costs only the failed ones.
		return raw, copydesk.JobPartial, copydesk.PartialFailure(errs)
	}
	return raw, copydesk.JobSucceeded, nil
}

// prepared is what Analyze computed of a deep analysis before its job was
// submitted: the job's first run in this process starts from it
// (copydesk.Job.Prepared) instead of parsing and analysing the text again.
type prepared struct {
	req *Request // as stored in the job's input
	doc *analyze.Doc
	// report is the local report, when this accept computed it (not when
	// the cache answered); the first run merges its findings into it.
	report atomic.Pointer[analyze.Report]
}

// jobInput is a deep analysis job's stored input: the request, its
// Language the one detected at accept when it was to be detected.
type jobInput struct {
	Request
	// LanguageDetected keeps the report's language_detected of the accept
	// (jobs stored before it have none: false).
	LanguageDetected bool `json:"language_detected,omitempty"`
}

// prepare returns the job's request, parsed text and local report: the
// ones its accept prepared, once, or else made from its input.
func prepare(job *copydesk.Job) (*Request, *analyze.Doc, *analyze.Report, error) {
	if p, ok := job.Prepared.(*prepared); ok {
		job.Prepared = nil // a later run starts from the input
		if r := p.report.Swap(nil); r != nil {
			return p.req, p.doc, r, nil
		}
	}
	var in jobInput
	if err := json.Unmarshal(job.Input, &in); err != nil {
		return nil, nil, nil, copydesk.Errorf(copydesk.EINVALID, "stored job input is malformed")
	}
	ain := input(&in.Request)
	doc, err := analyze.Parse(ain)
	if err != nil {
		return nil, nil, nil, err
	}
	r := analyze.AnalyzeDoc(ain, doc)
	r.LanguageDetected = r.LanguageDetected || in.LanguageDetected
	return &in.Request, doc, r, nil
}

// deepen runs one model-backed analysis as a task of the job, block by
// block: each block's findings are cached on their own, and the blocks no
// cache holds are asked about in one model call. Its task.result carries
// the findings and the score and label of report's result of type t with
// them merged (report itself is not changed: tasks run in parallel).
// Messages are written in locale.
func (h *DeepHandler) deepen(ctx context.Context, job *copydesk.Job, emit copydesk.Emit, doc *analyze.Doc, report *analyze.Report, t analyze.Type, locale string) ([]analyze.Finding, error) {
	p := deepParams{lang: doc.Language, locale: locale, t: t}
	task := taskName(t)
	if err := emit(ctx, copydesk.EventTaskStarted, map[string]any{"task": task}); err != nil {
		return nil, err
	}
	blocks := deepBlocks(doc)
	texts := make([]string, len(blocks))
	for i, b := range blocks {
		texts[i] = b.Text
	}
	var run deepRun
	var values [][]byte
	var reused int
	var err error
	if h.Cache == nil || len(blocks) == 0 {
		values, _, err = h.callBlocks(ctx, job, emit, task, p, texts, &run)
	} else {
		reqs := make([]cache.Request, len(blocks))
		for i, text := range texts {
			reqs[i] = blockRequest(job, h.ModelSet, deepTemplate(h.Prompts).Version, p, text)
		}
		var outs []cache.Outcome
		values, outs, err = h.Cache.DoBlocks(ctx, reqs, func(cctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
			sub := make([]string, len(missing))
			for j, i := range missing {
				sub[j] = texts[i]
			}
			return h.callBlocks(cctx, job, emit, task, p, sub, &run)
		})
		for _, o := range outs {
			if o.Hit() {
				reused++
			}
		}
	}
	var findings []analyze.Finding
	simulated := false
	model := "" // the model of the cached blocks when no call was made
	if err == nil {
		for i, v := range values {
			var bv blockValue
			if uerr := json.Unmarshal(v, &bv); uerr != nil {
				err = fmt.Errorf("decode cached findings: %w", uerr)
				break
			}
			simulated = simulated || bv.Simulated
			model = cmp.Or(model, bv.Model)
			findings = append(findings, blockFindings(doc, blocks[i], bv.Findings, bv.Model, locale)...)
		}
	}
	if err == nil {
		data := map[string]any{
			"task": task, "type": t, "findings": findings, "simulated": simulated,
			"blocks": len(blocks), "blocks_reused": reused, "cached": run.res == nil,
		}
		if model != "" {
			data["model"] = model
		}
		for _, r := range report.Results {
			if r.Type == t {
				merged := analyze.MergeModelFindings(r, report.Words, report.Locale, findings)
				data["score"], data["label"], data["label_text"] = merged.Score, merged.Label, merged.LabelText
			}
		}
		if res := run.res; res != nil {
			data["model"], data["provider"] = res.Usage.Model, res.Usage.Provider
			data["cost_micros"], data["currency"], data["route"] = res.Usage.Cost, res.Usage.Currency, res.Usage.Decision
		}
		return findings, emit(ctx, copydesk.EventTaskResult, data)
	}
	if _, waiting := copydesk.IsWait(err); waiting || ctx.Err() != nil {
		// Interrupted (cancel or shutdown), or waiting for a provider
		// batch (the job says job.waiting): not failed.
		return nil, err
	}
	_ = emit(context.WithoutCancel(ctx), copydesk.EventTaskFailed, map[string]any{
		"task": task, "code": copydesk.FailureCode(err), "message": copydesk.FailureMessage(err),
	})
	return nil, err
}
