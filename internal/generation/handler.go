package generation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// Handler runs page generation jobs.
type Handler struct {
	// Models runs the model calls; the wiring passes it cached and
	// budgeted (cache.Models), so identical calls are paid once.
	Models copydesk.ModelService
	// Prompts are the block templates; nil: the built-in ones.
	Prompts *prompt.Set
}

var _ copydesk.JobHandler = (*Handler)(nil)

// BlockResult is one block of a generated page in the job's result.
type BlockResult struct {
	// Index is the block's 1-based position on the page (as in its task name).
	Index  int    `json:"index"`
	Type   string `json:"type"`
	Status string `json:"status"` // "succeeded" or "failed"
	// Block is the validated, sanitized block JSON; HTML and Markdown are
	// rendered from it. All three are absent for a failed block.
	Block    json.RawMessage    `json:"block,omitempty"`
	HTML     string             `json:"html,omitempty"`
	Markdown string             `json:"markdown,omitempty"`
	Error    *copydesk.JobError `json:"error,omitempty"`
}

// PageResult is a page generation job's result.
type PageResult struct {
	Blocks []BlockResult `json:"blocks"`
	// HTML and Markdown are the whole page: the blocks that succeeded, in
	// page order.
	HTML      string `json:"html"`
	Markdown  string `json:"markdown"`
	Simulated bool   `json:"simulated"`
}

// Block task statuses.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// RunJob implements copydesk.JobHandler: it generates the page's blocks in
// parallel, one model call each, streaming each block's deltas and
// emitting its validated block, and returns the page. Failed blocks fail
// visibly (task.failed); the retry policy is in the package doc: some
// blocks failed is JobPartial with the error of copydesk.PartialFailure
// (the queue runs the job again while one failure is transient), all
// failed is the first retryable error, else the first invalid answer's.
// Cancellation or shutdown is an interruption: its error is returned
// without task.failed events.
func (h *Handler) RunJob(ctx context.Context, job *copydesk.Job, emit copydesk.Emit) (json.RawMessage, copydesk.JobStatus, error) {
	var req Request
	if err := json.Unmarshal(job.Input, &req); err != nil {
		return nil, "", copydesk.Errorf(copydesk.EINVALID, "stored job input is malformed")
	}
	if err := normalize(&req); err != nil {
		return nil, "", err
	}
	if h.Models == nil {
		return nil, "", copydesk.Errorf(copydesk.ENOPROVIDER, "page generation needs a provider and none is configured")
	}
	set := h.Prompts
	if set == nil {
		set = builtin()
	}

	type outcome struct {
		res BlockResult
		sim bool
		err error
	}
	outcomes := make([]outcome, len(req.Blocks))
	seen := make(map[string]int)
	var wg sync.WaitGroup
	for i, t := range req.Blocks {
		seen[t]++
		variant := 0
		if seen[t] > 1 {
			variant = seen[t]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, sim, err := h.block(ctx, job, emit, set, &req, i+1, specs()[t], variant)
			outcomes[i] = outcome{res: res, sim: sim, err: err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, "", err // interrupted (cancel or shutdown), not failed
	}

	page := PageResult{Blocks: make([]BlockResult, len(outcomes))}
	var sections, mds []string
	var errs []error
	for i, o := range outcomes {
		page.Blocks[i] = o.res
		if o.err != nil {
			errs = append(errs, o.err)
			continue
		}
		page.Simulated = page.Simulated || o.sim
		sections = append(sections, o.res.HTML)
		mds = append(mds, o.res.Markdown)
	}
	if len(errs) == len(outcomes) {
		return nil, "", allFailed(errs)
	}
	page.HTML, page.Markdown = pageHTML(sections), pageMarkdown(mds)
	raw, err := json.Marshal(page)
	if err != nil {
		return nil, "", fmt.Errorf("encode page: %w", err)
	}
	if len(errs) > 0 {
		// A transient failure runs the job again; the blocks that
		// succeeded are cache hits then.
		return raw, copydesk.JobPartial, copydesk.PartialFailure(errs)
	}
	return raw, copydesk.JobSucceeded, nil
}

// allFailed is the error of a page whose every block failed: the first
// retryable one, so that the queue runs the job again; else the first
// invalid answer's, else the first, so that a page whose failures are all
// permanent fails at once.
func allFailed(errs []error) error {
	if err := copydesk.PartialFailure(errs); err != nil {
		return err
	}
	for _, err := range errs {
		if isInvalid(err) {
			return err
		}
	}
	return errs[0]
}

// maxAsks caps the model calls of one block in one run of the job.
const maxAsks = 2

// block generates one block as a task of the job: task.started, a delta
// per streamed piece, then task.result with the block, or task.failed.
//
// An invalid answer is asked for once more, identically, in the job's
// first run; in a re-run (job.Attempts > 1, the queue retrying the page
// for another block's transient failure) it is not, so an answer that is
// invalid every time costs at most one call per run after the first two.
// An answer cut at the output cap is asked for once more with twice the
// cap (another cache key), in any run; cut again, the block fails.
func (h *Handler) block(ctx context.Context, job *copydesk.Job, emit copydesk.Emit, set *prompt.Set, req *Request, index int, sp *spec, variant int) (BlockResult, bool, error) {
	task := TaskName(index, sp.Type)
	out := BlockResult{Index: index, Type: sp.Type, Status: StatusFailed}
	if err := emit(ctx, copydesk.EventTaskStarted, map[string]any{"task": task, "index": index, "type": sp.Type}); err != nil {
		return out, false, err
	}
	var res *copydesk.ModelResult
	var blk *block
	maxTokens, raised := sp.MaxTokens, false
	repeat := job.Attempts <= 1 // an invalid answer may be asked for again
	call, err := blockCallCap(set, job, req, sp, variant, maxTokens)
	for attempt := 1; err == nil && attempt <= maxAsks; attempt++ {
		res, blk, err = h.ask(ctx, emit, task, sp, call, attempt)
		if err == nil || ctx.Err() != nil || attempt == maxAsks {
			break
		}
		switch {
		case isCapped(err) && !raised:
			raised, maxTokens = true, 2*maxTokens
			call, err = blockCallCap(set, job, req, sp, variant, maxTokens)
		case isInvalid(err) && !isCapped(err) && repeat:
			repeat, err = false, nil
		}
	}
	var html string
	if err == nil {
		html, err = renderHTML(blk)
	}
	if err == nil {
		md := renderMarkdown(blk)
		data := map[string]any{
			"task": task, "index": index, "type": sp.Type,
			"block": blk.JSON, "html": html, "markdown": md,
			"model": res.Usage.Model, "provider": res.Usage.Provider,
			"cost_micros": res.Usage.Cost, "currency": res.Usage.Currency,
			"cached": res.Cached, "simulated": res.Simulated,
		}
		if err = emit(ctx, copydesk.EventTaskResult, data); err == nil {
			// Succeeded only once the result is out.
			out.Status, out.Block, out.HTML, out.Markdown = StatusSucceeded, blk.JSON, html, md
			return out, res.Simulated, nil
		}
	}
	if _, waiting := copydesk.IsWait(err); waiting || ctx.Err() != nil {
		// Interrupted (cancel or shutdown), or waiting for a provider
		// batch (the job says job.waiting): not failed.
		return out, false, err
	}
	out.Error = &copydesk.JobError{Code: copydesk.FailureCode(err), Message: copydesk.FailureMessage(err)}
	_ = emit(context.WithoutCancel(ctx), copydesk.EventTaskFailed, map[string]any{
		"task": task, "index": index, "type": sp.Type, "code": out.Error.Code, "message": out.Error.Message,
	})
	return out, false, err
}

// ask makes one attempt at a block: the model call, its deltas streamed
// (marked with the attempt after the first, so a client starts over), and
// the answer decoded. The answer is checked here too: Models need not be
// the cache layer that runs call.Validate.
func (h *Handler) ask(ctx context.Context, emit copydesk.Emit, task string, sp *spec, call copydesk.ModelCall, attempt int) (*copydesk.ModelResult, *block, error) {
	res, err := h.Models.Stream(ctx, call, func(delta string) error {
		data := map[string]any{"task": task, "text": delta}
		if attempt > 1 {
			data["attempt"] = attempt
		}
		return emit(ctx, copydesk.EventDelta, data)
	})
	if err != nil {
		return nil, nil, err
	}
	blk, err := sp.decodeResponse(res.Response, res.Usage.Provider, call.Request.MaxTokens)
	if err != nil {
		return nil, nil, err
	}
	return res, blk, nil
}

// isInvalid reports an unusable answer (ProviderInvalid), which the cache
// never stores.
func isInvalid(err error) bool {
	var pe *copydesk.ProviderError
	return errors.As(err, &pe) && pe.Kind == copydesk.ProviderInvalid
}
