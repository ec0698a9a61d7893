package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerhttp"
)

var (
	_ copydesk.BatchProvider = (*Client)(nil)
	_ copydesk.BatchFinder   = (*Client)(nil)
)

// maxBatchOutput caps the output and error files read back (OpenAI's own
// input limit is 200 MB).
const maxBatchOutput = 512 << 20

// batchLine is one request of a Batch API input file.
type batchLine struct {
	CustomID string                         `json:"custom_id"`
	Method   string                         `json:"method"`
	URL      string                         `json:"url"`
	Body     openai.ChatCompletionNewParams `json:"body"`
}

// batchOutput is one line of a Batch API output or error file.
type batchOutput struct {
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// labelKey is the batch metadata key that carries Copydesk's submission id.
const labelKey = "copydesk_submission"

// SubmitBatch uploads the requests as a JSONL file (purpose "batch") and
// creates a batch over it for /v1/chat/completions with the 24-hour window,
// labelled in its metadata. Errors are *copydesk.ProviderError.
func (c *Client) SubmitBatch(ctx context.Context, label, model string, reqs []copydesk.BatchRequest) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range reqs {
		r.Request.Model = model
		params, err := c.params(r.Request)
		if err != nil {
			return "", err
		}
		if err := enc.Encode(batchLine{CustomID: r.CustomID, Method: "POST", URL: "/v1/chat/completions", Body: params}); err != nil {
			return "", c.errorf(copydesk.ProviderBadRequest, err, "encode batch line: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	f, err := c.sdk.Files.New(ctx, openai.FileNewParams{File: openai.File(&buf, "copydesk-batch.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
	if err != nil {
		return "", c.classify(ctx, err)
	}
	b, err := c.sdk.Batches.New(ctx, openai.BatchNewParams{InputFileID: f.ID,
		Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
		Metadata: shared.Metadata{labelKey: label}})
	if err != nil {
		return "", c.classify(ctx, err)
	}
	return b.ID, nil
}

// FindBatch lists the batches, newest first, back to since, and returns the
// id of the one whose metadata carries label ("" if none). Errors are
// *copydesk.ProviderError.
func (c *Client) FindBatch(ctx context.Context, label string, since time.Time) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	pages := c.sdk.Batches.ListAutoPaging(ctx, openai.BatchListParams{Limit: openai.Int(100)})
	for pages.Next() {
		b := pages.Current()
		if b.CreatedAt < since.Unix() {
			break
		}
		if b.Metadata[labelKey] == label {
			return b.ID, nil
		}
	}
	if err := pages.Err(); err != nil {
		return "", c.classify(ctx, err)
	}
	return "", nil
}

// PollBatch reads a batch; once it ended (completed, expired, cancelled or
// failed) it reads the output and error files into results. Errors are
// *copydesk.ProviderError.
func (c *Client) PollBatch(ctx context.Context, id string) (*copydesk.BatchState, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	b, err := c.sdk.Batches.Get(ctx, id)
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	st := &copydesk.BatchState{Status: string(b.Status)}
	switch b.Status {
	case openai.BatchStatusCompleted, openai.BatchStatusExpired, openai.BatchStatusCancelled, openai.BatchStatusFailed:
	default:
		return st, nil
	}
	for _, fileID := range []string{b.OutputFileID, b.ErrorFileID} {
		if fileID == "" {
			continue
		}
		if err := c.readBatchFile(ctx, fileID, st); err != nil {
			return nil, err
		}
	}
	st.Done = true
	return st, nil
}

func (c *Client) readBatchFile(ctx context.Context, fileID string, st *copydesk.BatchState) error {
	resp, err := c.sdk.Files.Content(ctx, fileID)
	if err != nil {
		return c.classify(ctx, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(resp.Body, maxBatchOutput))
	sc.Buffer(make([]byte, 0, 64<<10), 32<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var line batchOutput
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return c.errorf(copydesk.ProviderInvalid, err, "unreadable batch result line: %v", err)
		}
		st.Results = append(st.Results, c.batchResult(line))
	}
	if err := sc.Err(); err != nil {
		return c.errorf(copydesk.ProviderNetwork, err, "reading batch file %s: %v", fileID, err)
	}
	return nil
}

func (c *Client) batchResult(line batchOutput) copydesk.BatchResult {
	r := copydesk.BatchResult{CustomID: line.CustomID}
	switch {
	case line.Error != nil:
		kind := copydesk.ProviderServer
		if line.Error.Code == "batch_expired" {
			kind = copydesk.ProviderTimeout
		}
		r.Err = c.errorf(kind, nil, "batch request %s: %s", line.Error.Code, line.Error.Message)
	case line.Response == nil:
		r.Err = c.errorf(copydesk.ProviderInvalid, nil, "batch result without response")
	case line.Response.StatusCode != 200:
		r.Err = c.errorf(providerhttp.KindForStatus(line.Response.StatusCode), nil, "batch request HTTP %s", strconv.Itoa(line.Response.StatusCode))
		r.Err.Status = line.Response.StatusCode
	default:
		var cc openai.ChatCompletion
		if err := json.Unmarshal(line.Response.Body, &cc); err != nil || len(cc.Choices) == 0 {
			r.Err = c.errorf(copydesk.ProviderInvalid, err, "batch result is not a chat completion with a choice")
			return r
		}
		ch := cc.Choices[0]
		r.Response = &copydesk.ModelResponse{Text: ch.Message.Content, Model: cc.Model, FinishReason: ch.FinishReason, Usage: usage(cc.Usage)}
	}
	return r
}
