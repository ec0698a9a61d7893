// Package batch runs bulk jobs: many items of one kind (analyses,
// translations, page generations or SEO suggestions) accepted as one
// parent job. Every item is checked up front by the service of its kind
// and, when the parent runs, goes through that same service and the job
// handler of its kind, so the cache, the translation memory, the budget,
// the router and the ledger apply to it as to a single request. Each
// finished item is recorded as an event of the parent job (item.result or
// item.failed, with its index): the events are the durable record of the
// batch, so a run that starts again (after a crash or a retry) skips the
// items already finished.
package batch

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/analysis"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/generation"
	"github.com/copydesk/copydesk/internal/suggest"
	"github.com/copydesk/copydesk/internal/translation"
)

// JobKind is the job kind of a batch's parent job.
const JobKind = copydesk.BatchJobKind

// Defaults.
const (
	// MaxItemsDefault caps the items of one batch.
	MaxItemsDefault = 10_000
	// ConcurrencyDefault is how many items of one batch run at a time.
	ConcurrencyDefault = 4
)

// The kinds of items a batch takes: each is what the single-item endpoint
// of the same name accepts.
const (
	KindAnalysis    = "analysis"        // POST /v1/analyses (with deep)
	KindTranslation = "translation"     // POST /v1/translations
	KindGeneration  = "generation"      // POST /v1/generations
	KindSuggestions = "seo_suggestions" // POST /v1/seo/suggestions
)

// Kinds lists the item kinds.
var Kinds = []string{KindAnalysis, KindTranslation, KindGeneration, KindSuggestions}

// Events of a batch's stream, besides the job's own.
const (
	// EventItemResult carries one finished item: an ItemResult.
	EventItemResult = "item.result"
	// EventItemFailed carries one failed item: an ItemResult with Error.
	EventItemFailed = "item.failed"
	// EventShared carries, for a translation batch, what the pass over
	// the segments two or more pages share did before the pages ran
	// (translation.SharedResult): each of them is paid once. A batch that
	// waits for provider batches may say it in several events, one per
	// run that collected answers; their translated counts and costs add
	// up.
	EventShared = "batch.shared"
)

// Request asks for a batch (copydesk.BulkRequest).
type Request = copydesk.BulkRequest

// input is the parent job's stored input. Kind and Total come first so
// that Header reads them without decoding the items.
type input struct {
	Kind     string `json:"kind"`
	Total    int    `json:"total"`
	Priority string `json:"priority"`
	// TierRequest is the batch's service tier, read by the job service
	// (a job's tier is its input's top-level "service_tier" and
	// "complete_by"), which every item's model calls then ask for.
	copydesk.TierRequest
	Items []json.RawMessage `json:"items"`
}

// Counts sum a batch's items (copydesk.BatchCounts).
type Counts = copydesk.BatchCounts

// ItemResult is one finished item (copydesk.BulkItem).
type ItemResult = copydesk.BulkItem

// Services are the item kinds' services. A nil service refuses its kind.
type Services struct {
	Analysis    *analysis.Service
	Translation *translation.Service
	Generation  *generation.Service
	Suggestions *suggest.Service
}

var _ copydesk.BatchService = (*Service)(nil)

// Service accepts batches and reads their results.
type Service struct {
	// Jobs accepts the parent jobs.
	Jobs copydesk.JobSubmitter
	// Events reads a parent job's events (jobs.Service).
	Events EventReader
	// Services check the items.
	Services Services
	// MaxItems caps the items of one batch. Default MaxItemsDefault.
	MaxItems int
}

// EventReader reads a job's events (copydesk.JobService has it).
type EventReader interface {
	// Events returns up to limit (0: all) events with Seq > afterSeq.
	Events(ctx context.Context, id string, afterSeq int64, limit int) ([]*copydesk.Event, error)
}

// Accepted answers a batch request (copydesk.BatchAccepted).
type Accepted = copydesk.BatchAccepted

// Submit checks every item with the service of its kind (the first bad
// item is refused with its index, and nothing is accepted) and submits
// the parent job. Returns EINVALID for an unknown kind, no items or more
// than MaxItems, a bad item (its message starts "items[i]: "), the code
// of an item's check (ETOOLARGE, EUNPROCESSABLE, ENOPROVIDER) and the
// submitter's errors.
func (s *Service) Submit(ctx context.Context, req *Request, customerID, userID string) (*Accepted, error) {
	if !slices.Contains(Kinds, req.Kind) {
		return nil, copydesk.Errorf(copydesk.EINVALID, "kind %q is not one of %s", req.Kind, strings.Join(Kinds, ", "))
	}
	if req.Priority == "" {
		req.Priority = "low"
	}
	prio, err := copydesk.ParsePriority(req.Priority)
	if err != nil {
		return nil, err
	}
	if _, _, err := req.Resolve(req.Priority, time.Now()); err != nil {
		return nil, err
	}
	max := cmp.Or(s.MaxItems, MaxItemsDefault)
	switch {
	case len(req.Items) == 0:
		return nil, copydesk.Errorf(copydesk.EINVALID, "items: a batch needs at least one item")
	case len(req.Items) > max:
		return nil, copydesk.Errorf(copydesk.EINVALID, "items: %d items; the limit is %d per batch", len(req.Items), max)
	}
	items := make([]json.RawMessage, len(req.Items))
	for i, raw := range req.Items {
		norm, err := s.check(req, raw)
		if err != nil {
			code, msg := copydesk.ErrorCode(err), copydesk.ErrorMessage(err)
			if code == "" {
				code, msg = copydesk.EINVALID, err.Error()
			}
			return nil, &copydesk.Error{Code: code, Message: fmt.Sprintf("items[%d]: %s", i, msg)}
		}
		items[i] = norm
	}
	in, err := json.Marshal(input{Kind: req.Kind, Total: len(items), Priority: strings.ToLower(prio.String()), TierRequest: req.TierRequest, Items: items})
	if err != nil {
		return nil, fmt.Errorf("encode batch input: %w", err)
	}
	job := &copydesk.Job{Kind: JobKind, CustomerID: customerID, UserID: userID, Priority: prio, Input: in}
	if err := s.Jobs.Submit(ctx, job); err != nil {
		return nil, err
	}
	return &Accepted{Job: job, Kind: req.Kind, Total: len(items)}, nil
}

// check decodes one item strictly, lets its kind's service fill its
// defaults and check it, and returns it normalized with the batch's
// priority.
func (s *Service) check(req *Request, raw json.RawMessage) (json.RawMessage, error) {
	sv := s.Services
	switch req.Kind {
	case KindAnalysis:
		var r analysis.Request
		if err := decodeItem(raw, &r); err != nil {
			return nil, err
		}
		if sv.Analysis == nil {
			return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "analyses are not served")
		}
		r.AcceptLanguage = req.AcceptLanguage // the item names no locale: the batch request's header
		r.Priority = req.Priority
		if err := sv.Analysis.Validate(&r); err != nil {
			return nil, err
		}
		return json.Marshal(&r)
	case KindTranslation:
		var r translation.Request
		if err := decodeItem(raw, &r); err != nil {
			return nil, err
		}
		if sv.Translation == nil {
			return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "translation is not served")
		}
		r.Priority = req.Priority
		if err := sv.Translation.Validate(&r); err != nil {
			return nil, err
		}
		return json.Marshal(&r)
	case KindGeneration:
		var r generation.Request
		if err := decodeItem(raw, &r); err != nil {
			return nil, err
		}
		if sv.Generation == nil {
			return nil, copydesk.NoProvider("page generation")
		}
		r.Priority = req.Priority
		if err := sv.Generation.Validate(&r); err != nil {
			return nil, err
		}
		return json.Marshal(&r)
	case KindSuggestions:
		var r suggest.Request
		if err := decodeItem(raw, &r); err != nil {
			return nil, err
		}
		if sv.Suggestions == nil {
			return nil, copydesk.NoProvider("SEO suggestions")
		}
		r.Priority = req.Priority
		if err := sv.Suggestions.Validate(&r); err != nil {
			return nil, err
		}
		return json.Marshal(&r)
	}
	return nil, copydesk.Errorf(copydesk.EINVALID, "kind %q is not one of %s", req.Kind, strings.Join(Kinds, ", "))
}

// decodeItem decodes one item strictly: one JSON object, no unknown
// fields, no priority of its own (the batch has one).
func decodeItem(raw json.RawMessage, v any) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return copydesk.Errorf(copydesk.EINVALID, "an item must be a JSON object")
	}
	if _, ok := fields["priority"]; ok {
		return copydesk.Errorf(copydesk.EINVALID, "priority: set the batch's priority, not an item's")
	}
	for _, f := range []string{"service_tier", "complete_by"} {
		if _, ok := fields[f]; ok {
			return copydesk.Errorf(copydesk.EINVALID, "%s: set the batch's %s, not an item's", f, f)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return copydesk.Errorf(copydesk.EINVALID, "%s: must be %s", te.Field, te.Type)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return copydesk.Errorf(copydesk.EINVALID, "unknown field %s", f)
		}
		return copydesk.Errorf(copydesk.EINVALID, "the item is not valid JSON: %v", err)
	}
	return nil
}

// Header returns the item kind and count of a parent job without
// decoding its items. Returns EINVALID for a job that is not a batch.
func Header(job *copydesk.Job) (kind string, total int, err error) {
	if job.Kind != JobKind {
		return "", 0, copydesk.Errorf(copydesk.EINVALID, "job %s is not a batch", job.ID)
	}
	dec := json.NewDecoder(bytes.NewReader(job.Input))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", 0, copydesk.Errorf(copydesk.EINTERNAL, "stored batch input is malformed")
	}
	for kind == "" || total == 0 {
		t, err := dec.Token()
		if err != nil {
			return "", 0, copydesk.Errorf(copydesk.EINTERNAL, "stored batch input is malformed")
		}
		name, _ := t.(string)
		switch name {
		case "kind":
			if err := dec.Decode(&kind); err != nil {
				return "", 0, copydesk.Errorf(copydesk.EINTERNAL, "stored batch input is malformed")
			}
		case "total":
			if err := dec.Decode(&total); err != nil {
				return "", 0, copydesk.Errorf(copydesk.EINTERNAL, "stored batch input is malformed")
			}
		default:
			return "", 0, copydesk.Errorf(copydesk.EINTERNAL, "stored batch input is malformed")
		}
	}
	return kind, total, nil
}

// eventPage is how many events are read at a time.
const eventPage = 500

// scan reads the job's item events in order and calls fn with each; an
// item may have several (a failure, then a result in a later run): the
// last one stands.
func scan(ctx context.Context, events EventReader, jobID string, fn func(*ItemResult) error) error {
	var after int64
	for {
		evs, err := events.Events(ctx, jobID, after, eventPage)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			after = ev.Seq
			if ev.Type != EventItemResult && ev.Type != EventItemFailed {
				continue
			}
			var it ItemResult
			if err := json.Unmarshal(ev.Data, &it); err != nil {
				return fmt.Errorf("decode %s event %d of job %s: %w", ev.Type, ev.Seq, jobID, err)
			}
			it.Counts = nil
			if err := fn(&it); err != nil {
				return err
			}
		}
		if len(evs) < eventPage {
			return nil
		}
	}
}

// finished reads the items finished so far: the last record of each,
// without its result (keep, when set, is called with every record and
// may keep it whole).
func finished(ctx context.Context, events EventReader, jobID string, keep func(*ItemResult)) (map[int]*ItemResult, error) {
	done := make(map[int]*ItemResult)
	err := scan(ctx, events, jobID, func(it *ItemResult) error {
		if keep != nil {
			keep(it)
		}
		light := *it
		light.Result = nil
		done[it.Index] = &light
		return nil
	})
	return done, err
}

// add counts one finished item (sign -1 takes it out again).
func addItem(c *Counts, it *ItemResult, sign int) {
	c.Cost += copydesk.Micros(sign) * it.Cost
	switch {
	case it.Status == "failed":
		c.Failed += sign
	case it.Cached:
		c.Done += sign
		c.Cached += sign
	default:
		c.Done += sign
	}
	c.Pending = c.Total - c.Done - c.Failed
}

// count sums the finished items of a batch of total.
func count(total int, done map[int]*ItemResult) Counts {
	c := Counts{Total: total, Pending: total}
	for _, it := range done {
		addItem(&c, it, 1)
	}
	return c
}

// Status is a page of a batch's progress (copydesk.BatchStatus).
type Status = copydesk.BatchStatus

// MaxPage caps a page of results.
const MaxPage = 1000

// Status returns the batch's counts and the finished items with an index
// in [offset, offset+limit), by index. Returns EINVALID for a job that is
// not a batch or a bad page.
func (s *Service) Status(ctx context.Context, job *copydesk.Job, offset, limit int) (*Status, error) {
	kind, total, err := Header(job)
	if err != nil {
		return nil, err
	}
	if offset < 0 || limit < 1 || limit > MaxPage {
		return nil, copydesk.Errorf(copydesk.EINVALID, "offset must be at least 0 and limit between 1 and %d", MaxPage)
	}
	// Only the page's items are kept whole: a batch's results may be
	// far larger than a page.
	page := make(map[int]*ItemResult)
	done, err := finished(ctx, s.Events, job.ID, func(it *ItemResult) {
		if it.Index >= offset && it.Index < offset+limit {
			page[it.Index] = it
		}
	})
	if err != nil {
		return nil, err
	}
	st := &Status{Kind: kind, Counts: count(total, done), Offset: offset, Limit: limit, Items: []*ItemResult{}}
	for i := offset; i < offset+limit && i < total; i++ {
		if it := page[i]; it != nil {
			st.Items = append(st.Items, it)
		}
	}
	return st, nil
}

// Results calls fn with every finished item, in the order they finished
// (an item that failed and later succeeded: its last record), without
// holding the results in memory.
func (s *Service) Results(ctx context.Context, job *copydesk.Job, fn func(*ItemResult) error) error {
	if _, _, err := Header(job); err != nil {
		return err
	}
	// Which record of each item is its last is known only at the end:
	// the first pass keeps positions, the second writes.
	last := make(map[int]int)
	n := 0
	if err := scan(ctx, s.Events, job.ID, func(it *ItemResult) error {
		last[it.Index] = n
		n++
		return nil
	}); err != nil {
		return err
	}
	n = 0
	return scan(ctx, s.Events, job.ID, func(it *ItemResult) error {
		i := n
		n++
		if last[it.Index] != i {
			return nil
		}
		return fn(it)
	})
}

// Handler runs parent jobs: the items not yet finished, Concurrency at a
// time, each through the service and job handler of its kind.
type Handler struct {
	Services Services
	// Handlers returns the job handler of an item's job kind
	// (jobs.Service.Handler).
	Handlers func(kind string) copydesk.JobHandler
	// Events reads what earlier runs finished.
	Events EventReader
	// Concurrency is how many items run at a time. Default
	// ConcurrencyDefault.
	Concurrency int
	// Logger. Default: discard.
	Logger *slog.Logger
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

var _ copydesk.JobHandler = (*Handler)(nil)

// RunJob implements copydesk.JobHandler. Items finished by an earlier run
// (their item.result or final item.failed event) are skipped. Each
// finished item is an event with the batch's counts. The job succeeds
// when every item did, is partial when some failed (and runs again while
// a failure is retryable: only the failed items run again), and fails
// when every item failed.
func (h *Handler) RunJob(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
	var in input
	if err := json.Unmarshal(job.Input, &in); err != nil {
		return nil, "", copydesk.Errorf(copydesk.EINVALID, "stored batch input is malformed")
	}
	done, err := finished(ctx, h.Events, job.ID, nil)
	if err != nil {
		return nil, "", err
	}
	var todo []int
	for i := range in.Items {
		if it := done[i]; it == nil || (it.Status == "failed" && it.Retryable) {
			delete(done, i)
			todo = append(todo, i)
		}
	}
	c := count(in.Total, done)
	if err := h.shared(ctx, job, emit, &in, todo); err != nil {
		return nil, "", err
	}

	var mu sync.Mutex
	var errs []error
	var recordErr error
	var wait *copydesk.WaitError
	waiting := 0
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(cmp.Or(h.Concurrency, ConcurrencyDefault), max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				it, we := h.runItem(ctx, job, in.Kind, i, in.Items[i])
				if ctx.Err() != nil {
					continue // interrupted or cancelled: the item runs again, or never
				}
				if we != nil {
					// Its model work is in a provider batch: the item
					// stays pending (no event) and the job waits.
					mu.Lock()
					if wait == nil || we.After < wait.After {
						wait = we
					}
					waiting++
					mu.Unlock()
					continue
				}
				h.record(ctx, emit, &mu, &c, it, func(err error) {
					if err != nil {
						recordErr = cmp.Or(recordErr, err)
					} else if it.Status == "failed" {
						errs = append(errs, itemError(it))
					}
				})
			}
		}()
	}
feed:
	for _, i := range todo {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if recordErr != nil {
		// The store failed: run again, the recorded items are skipped.
		return nil, "", copydesk.Errorf(copydesk.EUNAVAILABLE, "recording an item's result failed: %v", recordErr)
	}

	if wait != nil {
		// Run again once the provider batches may be back; the items
		// finished now are recorded and skipped then.
		return nil, "", &copydesk.WaitError{After: wait.After,
			Message: fmt.Sprintf("%d of %d items wait for provider batches (%s)", waiting, in.Total, wait.Message)}
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, "", fmt.Errorf("encode batch counts: %w", err)
	}
	switch {
	case c.Failed == 0 && c.Pending == 0:
		return raw, copydesk.JobSucceeded, nil
	case c.Done == 0:
		if err := copydesk.PartialFailure(errs); err != nil {
			return raw, "", err
		}
		return raw, "", copydesk.Errorf(copydesk.EUNPROCESSABLE, "every item of the batch failed")
	}
	return raw, copydesk.JobPartial, copydesk.PartialFailure(errs)
}

// shared translates, for a translation batch with pages left to run, the
// segments two or more of them share, ahead of the pages (which then find
// them remembered), so that each is paid once. It returns only a wait
// (the shared segments are in a provider batch: the pages run after
// them) or ctx's error; any other failure leaves the shared segments to
// the pages themselves.
func (h *Handler) shared(ctx context.Context, job *copydesk.Job, emit copydesk.Emit, in *input, todo []int) error {
	if in.Kind != KindTranslation || h.Services.Translation == nil || len(todo) < 2 {
		return nil
	}
	pages := make([]json.RawMessage, len(todo))
	for k, i := range todo {
		pages[k] = in.Items[i]
	}
	res, err := h.Services.Translation.Shared(ctx, job, pages)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// Said by each run that translated some: what it translated is
	// remembered, and a later run (a retry, or the run after a wait for
	// provider batches, which may collect them a language at a time)
	// finds it so and counts only the rest. The events add up.
	if res != nil && res.Translated > 0 {
		if err := emit(ctx, EventShared, res); err != nil {
			return err
		}
	}
	if _, waiting := copydesk.IsWait(err); waiting {
		return err
	}
	if err != nil {
		h.logger().Warn("batch: translating the shared segments failed; each page translates its own", "job_id", job.ID, "err", err)
	}
	return nil
}

// record emits a finished item's event with the batch's counts after it.
// Items are recorded one at a time (under mu), so that the counts on the
// stream only grow; the model work runs in parallel. An item whose event
// could not be stored is not counted: the next run runs it again. done is
// called under mu with the emit's error.
func (h *Handler) record(ctx context.Context, emit copydesk.Emit, mu *sync.Mutex, c *Counts, it *ItemResult, done func(error)) {
	mu.Lock()
	defer mu.Unlock()
	addItem(c, it, 1)
	after := *c
	typ := EventItemResult
	if it.Status == "failed" {
		typ = EventItemFailed
	}
	ev := *it
	ev.Counts = &after
	err := emit(ctx, typ, &ev)
	if err != nil {
		addItem(c, it, -1)
	}
	done(err)
}

// itemError rebuilds an error from a failed item, retryable as it was.
func itemError(it *ItemResult) error {
	if it.Retryable {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "item %d: %s", it.Index, it.Error.Message)
	}
	return copydesk.Errorf(it.Error.Code, "item %d: %s", it.Index, it.Error.Message)
}

// runItem runs one item: through its kind's service, which answers it
// inline (cached or remembered) or hands over the job it would have
// submitted, which then runs here through the handler of its kind.
// An item whose model work waits in a provider batch (the batch tier)
// returns its *copydesk.WaitError instead of a result.
func (h *Handler) runItem(ctx context.Context, parent *copydesk.Job, kind string, index int, raw json.RawMessage) (*ItemResult, *copydesk.WaitError) {
	meter := &copydesk.Meter{}
	ctx = copydesk.WithMeter(ctx, meter)
	result, partial, err := h.run(ctx, parent, kind, raw)
	if we, ok := copydesk.IsWait(err); ok {
		return nil, we
	}
	r := meter.Read()
	it := &ItemResult{Index: index, Status: "succeeded", Cached: r.Calls == r.Cached, Cost: r.Cost, Result: result}
	switch {
	case err != nil:
		it.Status, it.Result, it.Cached = "failed", nil, false
		it.Error = &copydesk.JobError{Code: copydesk.FailureCode(err), Message: copydesk.FailureMessage(err)}
		it.Retryable = copydesk.Retryable(err)
	case partial:
		it.Status = "partial"
	}
	return it, nil
}

// capture is the submitter the services get inside a batch: it keeps the
// job a service would submit, for the batch to run in place.
type capture struct{ job *copydesk.Job }

func (c *capture) Submit(_ context.Context, job *copydesk.Job) error {
	c.job = job
	return nil
}

// run returns an item's result: the inline answer, or the result of the
// job its service would have submitted.
func (h *Handler) run(ctx context.Context, parent *copydesk.Job, kind string, raw json.RawMessage) (json.RawMessage, bool, error) {
	sv, c := h.Services, &capture{}
	cust, user := parent.CustomerID, parent.UserID
	var inline any
	switch kind {
	case KindAnalysis:
		var r analysis.Request
		if err := json.Unmarshal(raw, &r); err != nil || sv.Analysis == nil {
			return nil, false, copydesk.Errorf(copydesk.EINTERNAL, "stored batch item cannot run")
		}
		s := *sv.Analysis
		s.Jobs = c
		resp, err := s.Analyze(ctx, &r, cust, user)
		if err != nil {
			return nil, false, err
		}
		inline = resp.Report
	case KindTranslation:
		var r translation.Request
		if err := json.Unmarshal(raw, &r); err != nil || sv.Translation == nil {
			return nil, false, copydesk.Errorf(copydesk.EINTERNAL, "stored batch item cannot run")
		}
		s := *sv.Translation
		s.Jobs = c
		resp, err := s.Translate(ctx, &r, cust, user)
		if err != nil {
			return nil, false, err
		}
		// Shaped as a translation job's result, which it stands for.
		inline = map[string]any{"source_language": resp.SourceLanguage, "languages": resp.Languages,
			"translations": resp.Translations, "failed": []string{}}
	case KindGeneration:
		var r generation.Request
		if err := json.Unmarshal(raw, &r); err != nil || sv.Generation == nil {
			return nil, false, copydesk.Errorf(copydesk.EINTERNAL, "stored batch item cannot run")
		}
		s := *sv.Generation
		s.Jobs = c
		if _, err := s.Generate(ctx, &r, cust, user); err != nil {
			return nil, false, err
		}
	case KindSuggestions:
		var r suggest.Request
		if err := json.Unmarshal(raw, &r); err != nil || sv.Suggestions == nil {
			return nil, false, copydesk.Errorf(copydesk.EINTERNAL, "stored batch item cannot run")
		}
		s := *sv.Suggestions
		s.Jobs = c
		if _, err := s.Suggest(ctx, &r, cust, user); err != nil {
			return nil, false, err
		}
	default:
		return nil, false, copydesk.Errorf(copydesk.EINTERNAL, "stored batch has unknown kind %q", kind)
	}
	if c.job == nil {
		b, err := json.Marshal(inline)
		return b, false, err
	}
	hd := h.Handlers(c.job.Kind)
	if hd == nil {
		return nil, false, copydesk.Errorf(copydesk.EINTERNAL, "no handler for job kind %q", c.job.Kind)
	}
	// The item runs as the job its service would have submitted, under
	// the parent's id (its model calls are the parent's in the ledger)
	// and attempt; its own events (deltas, tasks) stay out of the
	// batch's stream.
	child := *c.job
	child.ID, child.Attempts, child.CreatedAt, child.Status = parent.ID, parent.Attempts, parent.CreatedAt, copydesk.JobRunning
	discard := func(context.Context, string, any) error { return nil }
	res, status, err := hd.RunJob(ctx, &child, discard)
	if err != nil {
		return nil, false, err
	}
	return res, status == copydesk.JobPartial, nil
}
