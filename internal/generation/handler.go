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
// emitting its validated block, and returns the page. A block whose answer
// is invalid is asked for once more, then fails visibly (task.failed);
// some blocks failed is JobPartial, all failed is the last error.
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
			res, sim, err := h.block(ctx, job, emit, set, &req, i+1, specs[t], variant)
			outcomes[i] = outcome{res: res, sim: sim, err: err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, "", err // interrupted (cancel or shutdown), not failed
	}

	page := PageResult{Blocks: make([]BlockResult, len(outcomes))}
	var sections, mds []string
	var failed int
	var lastErr error
	for i, o := range outcomes {
		page.Blocks[i] = o.res
		if o.err != nil {
			failed++
			lastErr = o.err
			continue
		}
		page.Simulated = page.Simulated || o.sim
		sections = append(sections, o.res.HTML)
		mds = append(mds, o.res.Markdown)
	}
	if failed == len(outcomes) {
		return nil, "", lastErr
	}
	page.HTML, page.Markdown = pageHTML(sections), pageMarkdown(mds)
	raw, err := json.Marshal(page)
	if err != nil {
		return nil, "", fmt.Errorf("encode page: %w", err)
	}
	if failed > 0 {
		return raw, copydesk.JobPartial, nil
	}
	return raw, copydesk.JobSucceeded, nil
}

// maxAttempts is how often a block is asked for when its answers are invalid.
const maxAttempts = 2

// block generates one block as a task of the job: task.started, a delta
// per streamed piece, then task.result with the block, or task.failed.
func (h *Handler) block(ctx context.Context, job *copydesk.Job, emit copydesk.Emit, set *prompt.Set, req *Request, index int, sp *spec, variant int) (BlockResult, bool, error) {
	task := TaskName(index, sp.Type)
	out := BlockResult{Index: index, Type: sp.Type, Status: StatusFailed}
	if err := emit(ctx, copydesk.EventTaskStarted, map[string]any{"task": task, "index": index, "type": sp.Type}); err != nil {
		return out, false, err
	}
	var res *copydesk.ModelResult
	var blk *block
	call, err := blockCall(set, job, req, sp, variant)
	if err == nil {
		for attempt := 1; ; attempt++ {
			res, blk, err = h.ask(ctx, emit, task, sp, call, attempt)
			if err == nil || !isInvalid(err) || ctx.Err() != nil || attempt == maxAttempts {
				break
			}
		}
	}
	var html string
	if err == nil {
		html, err = renderHTML(blk)
	}
	if err == nil {
		out.Status, out.Block, out.HTML, out.Markdown = StatusSucceeded, blk.JSON, html, renderMarkdown(blk)
		data := map[string]any{
			"task": task, "index": index, "type": sp.Type,
			"block": blk.JSON, "html": out.HTML, "markdown": out.Markdown,
			"model": res.Usage.Model, "provider": res.Usage.Provider,
			"cost_micros": res.Usage.Cost, "currency": res.Usage.Currency,
			"cached": res.Cached, "simulated": res.Simulated,
		}
		if err := emit(ctx, copydesk.EventTaskResult, data); err != nil {
			return out, false, err
		}
		return out, res.Simulated, nil
	}
	if ctx.Err() != nil {
		return out, false, err // interrupted (cancel or shutdown), not failed
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
	blk, err := sp.decode(res.Response.Text, res.Usage.Provider)
	if err != nil {
		return nil, nil, err
	}
	return res, blk, nil
}

// isInvalid reports an unusable answer, worth asking for once more.
func isInvalid(err error) bool {
	var pe *copydesk.ProviderError
	return errors.As(err, &pe) && pe.Kind == copydesk.ProviderInvalid
}
