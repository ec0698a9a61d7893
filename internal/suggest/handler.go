package suggest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// ModelKind is the task kind of the suggestion call, for routing and the
// cache tier (dynamic: one hour).
const ModelKind = "seo"

// attempts is how often an answer that is not the asked-for JSON is asked
// for within a run: once more, then the job fails. A run after a
// retryable failure (job.Attempts > 1) asks once, which bounds what a page
// whose answers stay invalid can cost.
const attempts = 2

// Result is the result of a suggestion job, and (with "task") the data of
// its task.result event. Every list is sorted best first and holds at most
// the requested count.
type Result struct {
	Titles           []Title           `json:"titles"`
	MetaDescriptions []MetaDescription `json:"meta_descriptions"`
	Headings         []Heading         `json:"headings"`
	Keyphrases       []Keyphrase       `json:"keyphrases"`
	// Model and Provider answered; CostMicros in Currency is what the call
	// cost (the original call's cost when Cached).
	Model      string          `json:"model"`
	Provider   string          `json:"provider"`
	CostMicros copydesk.Micros `json:"cost_micros"`
	Currency   string          `json:"currency"`
	// Cached is set when no provider was called for this answer.
	Cached bool `json:"cached"`
	// Simulated is set when the simulated provider answered.
	Simulated bool `json:"simulated"`
}

// taskResult is the data of the task.result event.
type taskResult struct {
	Task string `json:"task"`
	*Result
}

// Handler runs SEO suggestion jobs (copydesk.JobHandler).
type Handler struct {
	// Models runs the model call (cached, routed, budgeted by the wiring).
	Models copydesk.ModelService
	// Prompts are the templates; nil means the built-in ones.
	Prompts *prompt.Set
}

var _ copydesk.JobHandler = (*Handler)(nil)

// RunJob implements copydesk.JobHandler: it asks the model for
// suggestions in one call, streaming its deltas, re-scores every
// suggestion with the local engine and returns them sorted. An answer that
// is not the asked-for JSON is asked for once more (not on a re-run of the
// job); a second one fails the job with a *copydesk.ProviderError of kind
// ProviderInvalid, which the queue does not retry. Any other provider
// error is returned as it is: a retryable one (copydesk.Retryable) runs
// the job again.
func (h *Handler) RunJob(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
	var req Request
	if err := json.Unmarshal(job.Input, &req); err != nil {
		return nil, "", copydesk.Errorf(copydesk.EINVALID, "stored job input is malformed")
	}
	if err := validate(&req); err != nil {
		return nil, "", err
	}
	if h.Models == nil {
		return nil, "", copydesk.Errorf(copydesk.ENOPROVIDER, "SEO suggestions need a model provider, and none is configured")
	}
	doc, err := analyze.Parse(input(&req))
	if err != nil {
		return nil, "", err
	}
	tmpl, err := cmp.Or(h.Prompts, defaultPrompts).Get(promptName)
	if err != nil {
		return nil, "", err
	}
	mreq, err := buildRequest(tmpl, &req, doc)
	if err != nil {
		return nil, "", err
	}
	if err := emit(ctx, copydesk.EventTaskStarted, map[string]any{"task": JobKind}); err != nil {
		return nil, "", err
	}
	res, err := h.suggest(ctx, job, emit, &req, doc, tmpl.Version, mreq)
	if err != nil {
		if _, waiting := copydesk.IsWait(err); waiting || ctx.Err() != nil {
			// Interrupted (cancel or shutdown), or waiting for a provider
			// batch (the job says job.waiting): not failed.
			return nil, "", err
		}
		_ = emit(context.WithoutCancel(ctx), copydesk.EventTaskFailed, map[string]any{
			"task": JobKind, "code": copydesk.FailureCode(err), "message": copydesk.FailureMessage(err),
		})
		return nil, "", err
	}
	if err := emit(ctx, copydesk.EventTaskResult, taskResult{Task: JobKind, Result: res}); err != nil {
		return nil, "", err
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, "", fmt.Errorf("encode suggestions: %w", err)
	}
	return raw, copydesk.JobSucceeded, nil
}

// suggest makes the model call, asking once more for an invalid answer,
// and re-scores the answer.
func (h *Handler) suggest(ctx context.Context, job *copydesk.Job, emit copydesk.Emit, req *Request, doc *analyze.Doc, version string, mreq copydesk.ModelRequest) (*Result, error) {
	call := copydesk.ModelCall{
		Kind: ModelKind, Priority: job.Priority,
		CustomerID: job.CustomerID, UserID: job.UserID, KeyID: job.KeyID, JobID: job.ID,
		Request: mreq, Version: version,
		Validate: func(r *copydesk.ModelResponse) error {
			_, err := decodeAnswer(r.Text)
			return err
		},
	}
	tries := attempts
	if job.Attempts > 1 {
		tries = 1 // a re-run after a transient failure: ask once
	}
	var lastErr error
	for attempt := 1; attempt <= tries; attempt++ {
		res, err := h.Models.Stream(ctx, call, func(delta string) error {
			data := map[string]any{"task": JobKind, "text": delta}
			if attempt > 1 {
				data["attempt"] = attempt // a client restarts its text here
			}
			return emit(ctx, copydesk.EventDelta, data)
		})
		var a *answer
		if err == nil {
			a, err = decodeAnswer(res.Response.Text)
		}
		if err == nil {
			return rescore(a, req, doc, res), nil
		}
		lastErr = err
		var pe *copydesk.ProviderError
		if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, lastErr
}

// rescore turns the model's answer into scored, sorted suggestions.
func rescore(a *answer, req *Request, doc *analyze.Doc, res *copydesk.ModelResult) *Result {
	s := &scorer{lang: doc.Language, keyphrase: doc.Keyphrase, doc: doc}
	for _, c := range []string{doc.Title, doc.MetaDescription} {
		if c = strings.ToLower(oneLine(c)); c != "" {
			s.current = append(s.current, c)
		}
	}
	return &Result{
		Titles:           s.titles(a.Titles, req.Count),
		MetaDescriptions: s.metaDescriptions(a.MetaDescriptions, req.Count),
		Headings:         s.headings(a.Headings, req.Count),
		Keyphrases:       s.keyphrases(a.Keyphrases, req.Count),
		Model:            res.Usage.Model, Provider: res.Usage.Provider,
		CostMicros: res.Usage.Cost, Currency: res.Usage.Currency,
		Cached: res.Cached, Simulated: res.Simulated,
	}
}
