package translation

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// Handler runs translation jobs.
type Handler struct {
	// Models runs the model calls (routed, limited, accounted).
	Models copydesk.ModelService
	// Store keeps the translation memory; nil: none.
	Store copydesk.TranslationStore
	// Cache keeps translated segments; nil: memory only.
	Cache *cache.Cache
	// ModelSet fingerprints the configured models.
	ModelSet string
	// Prompts are the prompt templates; nil: the built-in ones.
	Prompts *prompt.Set
}

// jobResult is a translation job's result.
type jobResult struct {
	SourceLanguage string                     `json:"source_language"`
	Languages      []string                   `json:"languages"`
	Translations   map[string]*LanguageResult `json:"translations"`
	Failed         []string                   `json:"failed"`
}

// RunJob implements copydesk.JobHandler: it translates the job's content
// into every language in parallel, streaming the model's deltas and each
// language's result (task "translation.<lang>"). A failed language gives a
// task.failed event and a partial result; the job fails when every
// language failed, and is interrupted (no task.failed) when ctx ends.
func (h *Handler) RunJob(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
	var in jobInput
	if err := json.Unmarshal(job.Input, &in); err != nil {
		return nil, "", copydesk.Errorf(copydesk.EINVALID, "stored job input is malformed")
	}
	if len(in.TargetLanguages) == 0 || in.SourceLanguage == "" {
		return nil, "", copydesk.Errorf(copydesk.EINVALID, "stored job names no languages")
	}
	e, err := newEngine(h.Models, h.Store, h.Cache, h.ModelSet, h.Prompts)
	if err != nil {
		return nil, "", err
	}
	glossary := in.Glossary
	if !in.GlossaryMerged {
		if glossary, err = e.glossary(ctx, job.CustomerID, in.Glossary); err != nil {
			return nil, "", err
		}
	}
	doc, err := segmentDoc(in.Format, in.Content, dntTerms(glossary))
	if err != nil {
		return nil, "", err
	}
	if err := checkSegments(doc); err != nil {
		return nil, "", err
	}
	w := &work{customerID: job.CustomerID, userID: job.UserID, keyID: job.KeyID, jobID: job.ID, priority: job.Priority,
		source: in.SourceLanguage, published: in.Published, glossary: glossary, doc: doc, rerun: job.Attempts > 1}

	results := make([]*LanguageResult, len(in.TargetLanguages))
	errs := make([]error, len(in.TargetLanguages))
	var wg sync.WaitGroup
	for i, lang := range in.TargetLanguages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = h.language(ctx, e, w, emit, lang)
		}()
	}
	wg.Wait()

	res := jobResult{SourceLanguage: in.SourceLanguage, Languages: in.TargetLanguages,
		Translations: make(map[string]*LanguageResult), Failed: []string{}}
	var lastErr error
	for i, lang := range in.TargetLanguages {
		if errs[i] != nil {
			res.Failed = append(res.Failed, lang)
			lastErr = errs[i]
			continue
		}
		res.Translations[lang] = results[i]
	}
	if lastErr != nil && ctx.Err() != nil {
		return nil, "", lastErr // interrupted: the queue runs the job again
	}
	// A retryable failure runs the job again: the languages and batches
	// that succeeded are in the memory and cost nothing the second time.
	retry := copydesk.PartialFailure(errs)
	if len(res.Failed) == len(in.TargetLanguages) {
		return nil, "", cmp.Or(retry, lastErr)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, "", fmt.Errorf("encode translation result: %w", err)
	}
	if len(res.Failed) > 0 {
		return raw, copydesk.JobPartial, retry
	}
	return raw, copydesk.JobSucceeded, nil
}

// EventSegments carries segments of one language as soon as they are
// translated or found in the memory, before the language's task.result.
const EventSegments = "task.segments"

// language runs the task of one language.
func (h *Handler) language(ctx context.Context, e *engine, w *work, emit copydesk.Emit, lang string) (*LanguageResult, error) {
	task := "translation." + lang
	if err := emit(ctx, copydesk.EventTaskStarted, map[string]any{"task": task, "language": lang, "segments": len(w.doc.segs)}); err != nil {
		return nil, err
	}
	r, st, err := e.translate(ctx, w, lang, progress{
		delta: func(batch int, delta string) error {
			return emit(ctx, copydesk.EventDelta, map[string]any{"task": task, "batch": batch, "text": delta})
		},
		segments: func(docIdx []int, vals []segValue) error {
			segs := make([]Segment, len(docIdx))
			for k, d := range docIdx {
				segs[k] = Segment{Index: d, Source: w.doc.segs[d].Source, Text: vals[k].Text, From: vals[k].From}
			}
			return emit(ctx, EventSegments, map[string]any{"task": task, "language": lang, "segments": segs})
		},
	})
	if err == nil {
		st.mu.Lock()
		calls, currency := st.calls, st.currency
		st.mu.Unlock()
		return r, emit(ctx, copydesk.EventTaskResult, map[string]any{
			"task": task, "language": lang, "content": r.Content, "segments": r.Segments,
			"reused": r.Reused, "translated": r.Translated, "checks": r.Checks,
			"model": r.Model, "provider": r.Provider, "cost_micros": r.CostMicros, "currency": currency,
			"cached": calls == 0, "simulated": r.Simulated,
		})
	}
	if _, waiting := copydesk.IsWait(err); waiting || ctx.Err() != nil {
		// Interrupted (cancel or shutdown), or waiting for a provider
		// batch (the job says job.waiting): not failed.
		return nil, err
	}
	_ = emit(context.WithoutCancel(ctx), copydesk.EventTaskFailed, map[string]any{
		"task": task, "language": lang, "code": copydesk.FailureCode(err), "message": copydesk.FailureMessage(err),
	})
	return nil, err
}
