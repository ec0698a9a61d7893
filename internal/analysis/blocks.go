package analysis

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// deepBlocks are the blocks of doc a model reads: headings, paragraphs, list
// items, quotes and table cells with text; code is left out.
func deepBlocks(doc *analyze.Doc) []*analyze.Block {
	var out []*analyze.Block
	for i := range doc.Blocks {
		b := &doc.Blocks[i]
		if b.Kind == analyze.BlockCode || strings.TrimSpace(b.Text) == "" {
			continue
		}
		out = append(out, b)
	}
	return out
}

// blockRequest is the cache request of one block's findings: editing one
// paragraph of a page changes one block's key, so one block's worth of
// model work runs again.
func blockRequest(job *copydesk.Job, modelSet, version string, p deepParams, text string) cache.Request {
	return cache.NewRequest(cache.KeyParts{
		CustomerID: job.CustomerID, Kind: "analysis." + string(p.t), Input: text,
		Params: map[string]string{"language": p.lang, "locale": p.locale}, ModelClass: modelSet, Version: version,
	})
}

// deepParams is what one deep analysis asks of the model: the content's
// language, the language its messages are written in (the report's
// locale; "" is English) and the analysis.
type deepParams struct {
	lang, locale string
	t            analyze.Type
}

// deepRun is the model work of one deep analysis over some blocks.
type deepRun struct {
	res *copydesk.ModelResult
}

// blockValue is what the cache keeps of one block: its findings and the
// model that found them.
type blockValue struct {
	Model     string         `json:"model"`
	Simulated bool           `json:"simulated,omitempty"`
	Findings  []modelFinding `json:"findings"`
}

// callBlocks asks the model about the given blocks in one call and returns
// each block's findings, encoded, in order. A finding that names no valid
// block is given to the block that contains its quote, or else the first.
func (h *DeepHandler) callBlocks(ctx context.Context, job *copydesk.Job, emit copydesk.Emit, task string, p deepParams, texts []string, run *deepRun) ([][]byte, []copydesk.Micros, error) {
	t := p.t
	tmpl := deepTemplate(h.Prompts)
	mreq, err := deepRequest(tmpl, p, texts)
	if err != nil {
		return nil, nil, err
	}
	call := copydesk.ModelCall{
		Kind: "analysis." + string(t), Priority: job.Priority,
		CustomerID: job.CustomerID, UserID: job.UserID, KeyID: job.KeyID, JobID: job.ID,
		Request: mreq, Version: tmpl.Version,
		Validate: func(r *copydesk.ModelResponse) error {
			_, err := decodeFindings(r.Text)
			return err
		},
	}
	res, err := h.Models.Stream(ctx, call, func(delta string) error {
		return emit(ctx, copydesk.EventDelta, map[string]any{"task": task, "text": delta})
	})
	if err != nil {
		return nil, nil, err
	}
	list, err := decodeFindings(res.Response.Text)
	if err != nil {
		return nil, nil, err
	}
	run.res = res
	per := make([][]modelFinding, len(texts))
	for _, f := range list {
		i := f.Block - 1
		if i < 0 || i >= len(texts) || (f.Quote != "" && !strings.Contains(texts[i], strings.TrimSpace(f.Quote))) {
			i = 0
			for j, text := range texts {
				if f.Quote != "" && strings.Contains(text, strings.TrimSpace(f.Quote)) {
					i = j
					break
				}
			}
		}
		f.Block = 0
		per[i] = append(per[i], f)
	}
	values := make([][]byte, len(texts))
	costs := make([]copydesk.Micros, len(texts))
	total := 0
	for _, text := range texts {
		total += len(text)
	}
	for i := range texts {
		if per[i] == nil {
			per[i] = []modelFinding{}
		}
		if values[i], err = json.Marshal(blockValue{Model: res.Usage.Model, Simulated: res.Simulated, Findings: per[i]}); err != nil {
			return nil, nil, err
		}
		if total > 0 {
			costs[i] = res.Usage.Cost * copydesk.Micros(len(texts[i])) / copydesk.Micros(total)
		}
	}
	return values, costs, nil
}

// blockFindings turns one block's model findings into findings located in
// the original input, their suggestions introduced in the report's locale.
func blockFindings(doc *analyze.Doc, b *analyze.Block, list []modelFinding, model, locale string) []analyze.Finding {
	out := make([]analyze.Finding, 0, len(list))
	for _, f := range list {
		if strings.TrimSpace(f.Message) == "" {
			continue
		}
		fd := analyze.Finding{Rule: "model.finding", Severity: severityOf(f.Severity), Message: f.Message, Source: model}
		if f.Suggestion != "" {
			fd.Message = analyze.WithSuggestion(f.Message, f.Suggestion, locale)
		}
		if q := strings.TrimSpace(f.Quote); q != "" {
			if i := strings.Index(b.Text, q); i >= 0 {
				fd.Spans = []analyze.Span{doc.Span(b, i, i+len(q))}
			}
		}
		out = append(out, fd)
	}
	return out
}

func severityOf(s string) analyze.Severity {
	switch s {
	case "problem":
		return analyze.SeverityProblem
	case "info":
		return analyze.SeverityInfo
	}
	return analyze.SeverityWarning
}
