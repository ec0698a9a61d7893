package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providerhttp"
)

// A Client runs batches through Anthropic's Message Batches API. A message
// batch carries no metadata or name that could hold Copydesk's submission
// label, so it is not a copydesk.BatchFinder; it is a BatchMatcher: a
// batch is found again by its requests' custom ids, once it has ended.
var (
	_ copydesk.BatchProvider = (*Client)(nil)
	_ copydesk.BatchMatcher  = (*Client)(nil)
)

// matchRecheck is how long the poller is told to wait when a batch that
// may be the one asked for has not ended yet.
const matchRecheck = time.Minute

// MatchBatch lists the message batches, newest first, back to since, and
// returns the id of the one whose requests are keys. A batch of another
// size is not it; one of the same size is read once it has ended (its
// results name their custom ids). While one of the same size is still in
// progress the answer is a *copydesk.WaitError. Errors are
// *copydesk.ProviderError.
func (c *Client) MatchBatch(ctx context.Context, keys []string, since time.Time) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	want := make(map[string]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	undecided := false
	pages := c.sdk.Messages.Batches.ListAutoPaging(ctx, anthropic.MessageBatchListParams{Limit: anthropic.Int(100)})
	for pages.Next() {
		b := pages.Current()
		if b.CreatedAt.Before(since) {
			break
		}
		n := b.RequestCounts
		if int(n.Processing+n.Succeeded+n.Errored+n.Canceled+n.Expired) != len(keys) {
			continue
		}
		if b.ProcessingStatus != anthropic.MessageBatchProcessingStatusEnded {
			undecided = true
			continue
		}
		ours, err := c.holds(ctx, b.ID, want)
		if err != nil {
			return "", err
		}
		if ours {
			return b.ID, nil
		}
	}
	if err := pages.Err(); err != nil {
		return "", c.classify(ctx, err)
	}
	if undecided {
		return "", &copydesk.WaitError{After: matchRecheck, Message: "a message batch of the same size created since has not ended"}
	}
	return "", nil
}

// holds reports whether the results of the ended batch id name a custom id
// of want.
func (c *Client) holds(ctx context.Context, id string, want map[string]bool) (bool, error) {
	stream := c.sdk.Messages.Batches.ResultsStreaming(ctx, id, anthropic.MessageBatchResultsParams{})
	defer stream.Close()
	line := 1
	for ; stream.Next(); line++ {
		if want[stream.Current().CustomID] {
			return true, nil
		}
	}
	if err := stream.Err(); err != nil {
		return false, c.resultsError(ctx, err, id, line)
	}
	return false, nil
}

// maxBatchRequests is the Message Batches API's limit of requests in one
// batch.
const maxBatchRequests = 100_000

// maxBatchBytes is the Message Batches API's limit of the size of one batch
// creation (256 MB); a variable for tests.
var maxBatchBytes = 256 << 20

// customIDRe is the form the Message Batches API requires of a custom_id.
var customIDRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// SubmitBatch creates one message batch of reqs to model, each request's
// params built exactly as the live Messages call builds them (system
// prompt, max_tokens, temperature, structured output), named by its custom
// id. label is not sent: a message batch has nowhere to carry it. A request
// that cannot be built, a custom id the API would refuse (not 1 to 64
// letters, digits, _ or -, or used twice), more than 100,000 requests and
// more than 256 MB are a ProviderError of kind bad_request before anything
// is sent. Errors are *copydesk.ProviderError.
func (c *Client) SubmitBatch(ctx context.Context, label, model string, reqs []copydesk.BatchRequest) (string, error) {
	if len(reqs) == 0 || len(reqs) > maxBatchRequests {
		return "", c.errorf(copydesk.ProviderBadRequest, nil, "a message batch holds 1 to %d requests, got %d", maxBatchRequests, len(reqs))
	}
	seen := make(map[string]bool, len(reqs))
	requests := make([]anthropic.MessageBatchNewParamsRequest, 0, len(reqs))
	for i, r := range reqs {
		switch {
		case !customIDRe.MatchString(r.CustomID):
			return "", c.errorf(copydesk.ProviderBadRequest, nil, "batch request %d: custom id %q is not 1 to 64 letters, digits, _ or -", i, r.CustomID)
		case seen[r.CustomID]:
			return "", c.errorf(copydesk.ProviderBadRequest, nil, "batch request %d: custom id %q is used twice", i, r.CustomID)
		}
		seen[r.CustomID] = true
		r.Request.Model = model
		params, err := c.batchParams(r.Request)
		if err != nil {
			return "", err
		}
		requests = append(requests, anthropic.MessageBatchNewParamsRequest{CustomID: r.CustomID, Params: params})
	}
	params := anthropic.MessageBatchNewParams{Requests: requests}
	// Measured here, so that a batch the API would refuse as too large is
	// not uploaded first.
	body, err := json.Marshal(params)
	if err != nil {
		return "", c.errorf(copydesk.ProviderBadRequest, err, "encode the message batch: %v", err)
	}
	if len(body) > maxBatchBytes {
		return "", c.errorf(copydesk.ProviderBadRequest, nil, "the message batch of %d requests is %d bytes, above the API's limit of %d: send fewer requests per batch", len(reqs), len(body), maxBatchBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	b, err := c.sdk.Messages.Batches.New(ctx, params)
	if err != nil {
		return "", c.classify(ctx, err)
	}
	return b.ID, nil
}

// batchParams builds a batch request's params from the live call's: every
// field of the Messages parameters is carried over, and the temperature,
// which the live call sets in the JSON body, becomes an extra field.
func (c *Client) batchParams(req copydesk.ModelRequest) (anthropic.MessageBatchNewParamsRequestParams, error) {
	p, _, err := c.params(req)
	if err != nil {
		return anthropic.MessageBatchNewParamsRequestParams{}, err
	}
	bp := anthropic.MessageBatchNewParamsRequestParams{
		MaxTokens:     p.MaxTokens,
		Messages:      p.Messages,
		Model:         p.Model,
		InferenceGeo:  p.InferenceGeo,
		Container:     p.Container,
		Speed:         string(p.Speed),
		CacheControl:  p.CacheControl,
		Diagnostics:   p.Diagnostics,
		Metadata:      p.Metadata,
		OutputConfig:  p.OutputConfig,
		ServiceTier:   string(p.ServiceTier),
		StopSequences: p.StopSequences,
		System:        p.System,
		Thinking:      p.Thinking,
		ToolChoice:    p.ToolChoice,
		Tools:         p.Tools,
	}
	if req.Temperature != nil && !c.cfg.IgnoreTemperature {
		bp.SetExtraFields(map[string]any{"temperature": *req.Temperature})
	}
	return bp, nil
}

// PollBatch reads a message batch; once its processing_status is "ended"
// it streams the results (the batch's results_url, which the SDK reads
// under the configured base URL) into BatchState.Results:
//
//   - succeeded: the answer, read as the live call reads it (text, or the
//     input of the structured-output tool_use block; stop reason; usage
//     with the prompt cache's tokens);
//   - errored: a ProviderError classified by the error's type as a live
//     call's would be (api_error → server, overloaded_error → overloaded,
//     invalid_request_error → bad_request…);
//   - expired: a ProviderError of kind timeout;
//   - canceled: a ProviderError of kind server (the item runs live).
//
// A result line that cannot be read is a ProviderError of kind invalid for
// the whole poll. Errors are *copydesk.ProviderError.
func (c *Client) PollBatch(ctx context.Context, id string) (*copydesk.BatchState, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	b, err := c.sdk.Messages.Batches.Get(ctx, id, anthropic.MessageBatchGetParams{})
	if err != nil {
		return nil, c.classify(ctx, err)
	}
	st := &copydesk.BatchState{Status: string(b.ProcessingStatus)}
	if b.ProcessingStatus != anthropic.MessageBatchProcessingStatusEnded {
		return st, nil
	}
	stream := c.sdk.Messages.Batches.ResultsStreaming(ctx, id, anthropic.MessageBatchResultsParams{})
	defer stream.Close()
	for stream.Next() {
		line := stream.Current()
		if line.CustomID == "" {
			// The SDK decodes leniently: a line of another shape comes
			// out empty.
			return nil, c.errorf(copydesk.ProviderInvalid, nil, "results of message batch %s: line %d is not a batch result: no custom_id", id, len(st.Results)+1)
		}
		st.Results = append(st.Results, c.batchResult(line))
	}
	if err := stream.Err(); err != nil {
		return nil, c.resultsError(ctx, err, id, len(st.Results)+1)
	}
	st.Done = true
	return st, nil
}

// resultsError classifies the error that ended a results stream: an API
// error, a cancelled or expired ctx, or a broken connection as any call's;
// anything else is a line that is not a result (kind invalid).
func (c *Client) resultsError(ctx context.Context, err error, id string, line int) error {
	var apiErr *anthropic.Error
	if _, network := providerhttp.NetworkKind(err); network || errors.As(err, &apiErr) || ctx.Err() != nil {
		return c.classify(ctx, err)
	}
	return c.errorf(copydesk.ProviderInvalid, err, "results of message batch %s: line %d is not a batch result: %v", id, line, err)
}

// batchResult converts one line of a batch's results.
func (c *Client) batchResult(line anthropic.MessageBatchIndividualResponse) copydesk.BatchResult {
	r := copydesk.BatchResult{CustomID: line.CustomID}
	res := line.Result
	switch res.Type {
	case "succeeded":
		msg := res.Message
		resp, err := c.response(&msg, answerTool(&msg), "")
		if err != nil {
			r.Err = c.asProviderError(err)
			return r
		}
		r.Response = resp
	case "errored":
		typ := res.Error.Error.Type
		r.Err = c.errorf(kindFor(statusOf(typ), typ), nil, "batch request errored: %s: %s", cmpOr(typ, "error"), cmpOr(res.Error.Error.Message, "no message"))
	case "expired":
		r.Err = c.errorf(copydesk.ProviderTimeout, nil, "batch request expired: the batch ended (24 hours after it was created) before the request was processed")
	case "canceled":
		r.Err = c.errorf(copydesk.ProviderServer, nil, "batch request canceled: the batch was canceled before the request was processed")
	default:
		r.Err = c.errorf(copydesk.ProviderInvalid, nil, "batch result of unknown type %q", res.Type)
	}
	return r
}

// answerTool returns the name of the tool a batch answer called: a message
// batch's results do not say which request asked for structured output,
// but Copydesk's requests offer at most one tool, the forced
// structured-output tool, so a tool_use block is always the answer.
func answerTool(msg *anthropic.Message) string {
	for i := range msg.Content {
		if msg.Content[i].Type == "tool_use" {
			return msg.Content[i].Name
		}
	}
	return ""
}

// asProviderError returns err as a *copydesk.ProviderError (response and
// errorf return nothing else).
func (c *Client) asProviderError(err error) *copydesk.ProviderError {
	var pe *copydesk.ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	return c.errorf(copydesk.ProviderInvalid, err, "%v", err)
}

// statusOf is the HTTP status Anthropic answers an error type with, so that
// an error inside a batch result is classified as the same error of a live
// call (kindFor).
func statusOf(typ string) int {
	switch typ {
	case "invalid_request_error":
		return http.StatusBadRequest
	case "authentication_error":
		return http.StatusUnauthorized
	case "billing_error":
		return http.StatusPaymentRequired
	case "permission_error":
		return http.StatusForbidden
	case "not_found_error":
		return http.StatusNotFound
	case "request_too_large":
		return http.StatusRequestEntityTooLarge
	case "rate_limit_error":
		return http.StatusTooManyRequests
	case "timeout_error":
		return http.StatusGatewayTimeout
	case "overloaded_error":
		return 529
	}
	return http.StatusInternalServerError // api_error and any type unknown
}
