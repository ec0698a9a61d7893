package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/copydesk/copydesk/internal/copydesk"
)

var (
	_ copydesk.BatchProvider = (*Client)(nil)
	_ copydesk.BatchFinder   = (*Client)(nil)
)

// Gemini batch mode (the Gemini API's batches, not Vertex AI batch
// prediction): one batchGenerateContent call carries every request inline
// and the finished batch carries every response inline.
const (
	// customIDKey is the metadata key of an inlined request that carries
	// its custom id. Responses are matched by it only: the API documents
	// responses "in the same order as the input requests", but they have
	// been seen out of order (googleapis/python-genai#1909), and a wrong
	// match would hand one request's answer to another.
	customIDKey = "key"
	// partSep joins the names of the Gemini batches of one submission
	// that was split (see Config.BatchMaxBytes) into one id.
	partSep = ","
	// partMark follows the label in the display name of one part of a
	// split submission: label#2/3.
	partMark = "#"
	// listPageSize is the batches listed per page by FindBatch.
	listPageSize = 100
	// batchAPIVersion is the API version of the batch calls when
	// Config.APIVersion is not set: batch mode is documented on v1beta,
	// while the SDK (v1.79.1) defaults to v1.
	batchAPIVersion = "v1beta"
)

// batchHTTP returns the HTTP options of a batch call: the configured API
// version, else batchAPIVersion.
func (c *Client) batchHTTP() *genai.HTTPOptions {
	return &genai.HTTPOptions{APIVersion: cmpOr(c.cfg.APIVersion, batchAPIVersion)}
}

// SubmitBatch creates a Gemini batch of reqs to model with the requests
// inlined, each built as the live call builds it (system instruction,
// generation config, max tokens) and carrying its custom id in its metadata
// ("key"). The batch's display name is label, and the id returned its name
// ("batches/…"). Requests beyond Config.BatchMaxBytes (the API's 20 MB
// inline limit) go out as several batches, named label#1/n … label#n/n,
// whose names joined by "," are the id; if a part after the first cannot
// be created, the id names the parts created and the other requests are
// lost to the submission (never sent twice). Errors are
// *copydesk.ProviderError: ProviderBadRequest for a request that cannot be
// sent (or alone passes the limit).
func (c *Client) SubmitBatch(ctx context.Context, label, model string, reqs []copydesk.BatchRequest) (string, error) {
	if len(reqs) == 0 {
		return "", c.errorf(copydesk.ProviderBadRequest, nil, "a batch needs at least one request")
	}
	var parts [][]*genai.InlinedRequest
	size := 0
	for _, r := range reqs {
		r.Request.Model = model
		contents, gc, err := c.params(r.Request)
		if err != nil {
			return "", err
		}
		ir := &genai.InlinedRequest{Contents: contents, Config: gc, Metadata: map[string]string{customIDKey: r.CustomID}}
		b, err := json.Marshal(ir)
		if err != nil {
			return "", c.errorf(copydesk.ProviderBadRequest, err, "encode batch request %s: %v", r.CustomID, err)
		}
		if len(b) > c.cfg.BatchMaxBytes {
			return "", c.errorf(copydesk.ProviderBadRequest, nil, "batch request %s has %d bytes, above the %d a Gemini batch takes inline", r.CustomID, len(b), c.cfg.BatchMaxBytes)
		}
		if len(parts) == 0 || size+len(b) > c.cfg.BatchMaxBytes {
			parts, size = append(parts, nil), 0
		}
		parts[len(parts)-1] = append(parts[len(parts)-1], ir)
		size += len(b)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	names := make([]string, 0, len(parts))
	for i, part := range parts {
		name := label
		if len(parts) > 1 {
			name = fmt.Sprintf("%s%s%d/%d", label, partMark, i+1, len(parts))
		}
		var b *genai.BatchJob
		err := c.guard(ctx, func() (err error) {
			b, err = c.sdk.Batches.Create(ctx, model, &genai.BatchJobSource{InlinedRequests: part},
				&genai.CreateBatchJobConfig{DisplayName: name, HTTPOptions: c.batchHTTP()})
			return err
		})
		if err == nil && !strings.HasPrefix(b.Name, "batches/") {
			err = c.errorf(copydesk.ProviderInvalid, nil, "the created batch has name %q, want batches/…", b.Name)
		}
		if err != nil && len(names) == 0 {
			return "", err
		}
		if err != nil {
			// The parts created hold their requests: failing the
			// submission would send them again. The others are lost to
			// it (failed as expired; they run live).
			break
		}
		names = append(names, b.Name)
	}
	return strings.Join(names, partSep), nil
}

// FindBatch lists the batches, newest first, and returns the id of the
// submission labelled label created at or after since: the name of the
// batch whose display name is label, or the names of the parts (label#i/n)
// found, joined by "," ("" if none). It stops at the first page whose
// batches are all older than since. Errors are *copydesk.ProviderError.
func (c *Client) FindBatch(ctx context.Context, label string, since time.Time) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var page genai.Page[genai.BatchJob]
	err := c.guard(ctx, func() (err error) {
		page, err = c.sdk.Batches.List(ctx, &genai.ListBatchJobsConfig{PageSize: listPageSize, HTTPOptions: c.batchHTTP()})
		return err
	})
	parts := map[int]string{}
	for {
		if err != nil {
			return "", err
		}
		older := 0
		for _, b := range page.Items {
			switch {
			case b == nil:
			case !b.CreateTime.IsZero() && b.CreateTime.Before(since):
				older++
			case b.DisplayName == label:
				return b.Name, nil
			case strings.HasPrefix(b.DisplayName, label+partMark):
				var i, n int
				if _, err := fmt.Sscanf(b.DisplayName[len(label+partMark):], "%d/%d", &i, &n); err == nil && i >= 1 && i <= n {
					parts[i] = b.Name
				}
			}
		}
		if page.NextPageToken == "" || (len(page.Items) > 0 && older == len(page.Items)) {
			break
		}
		err = c.guard(ctx, func() (err error) {
			page, err = page.Next(ctx)
			return err
		})
	}
	// Parts not found were never created: their requests are lost to the
	// submission (the poller fails them as expired, and they run live).
	idx := make([]int, 0, len(parts))
	for i := range parts {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	names := make([]string, 0, len(idx))
	for _, i := range idx {
		names = append(names, parts[i])
	}
	return strings.Join(names, partSep), nil
}

// PollBatch reads the batch (or each part of a split submission); once
// every one ended (JOB_STATE_SUCCEEDED, _FAILED, _CANCELLED, _EXPIRED or
// _PARTIALLY_SUCCEEDED) their inlined responses are the results, matched to
// custom ids by their metadata. A response without that key is left out
// (its request is then lost, as expired) and counted in Status. Status is
// the state ("JOB_STATE_…"), or the parts' states joined by ",". Errors are
// *copydesk.ProviderError.
func (c *Client) PollBatch(ctx context.Context, id string) (*copydesk.BatchState, error) {
	names := strings.Split(id, partSep)
	for _, name := range names {
		if !strings.HasPrefix(name, "batches/") {
			return nil, c.errorf(copydesk.ProviderBadRequest, nil, "%q is not a Gemini batch name (batches/…)", name)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	st := &copydesk.BatchState{Done: true}
	states := make([]string, 0, len(names))
	var notes []string
	for _, name := range names {
		var b *genai.BatchJob
		err := c.guard(ctx, func() (err error) {
			b, err = c.sdk.Batches.Get(ctx, name, &genai.GetBatchJobConfig{HTTPOptions: c.batchHTTP()})
			return err
		})
		if err != nil {
			return nil, err
		}
		states = append(states, string(b.State))
		switch b.State {
		case genai.JobStateSucceeded, genai.JobStateFailed, genai.JobStateCancelled, genai.JobStateExpired, genai.JobStatePartiallySucceeded:
		default:
			st.Done = false
			continue
		}
		if !st.Done || b.Dest == nil {
			continue
		}
		if b.Dest.FileName != "" && len(b.Dest.InlinedResponses) == 0 {
			notes = append(notes, fmt.Sprintf("results of %s in %s, not read: Copydesk submits inline and reads inline responses", name, b.Dest.FileName))
			continue
		}
		model := strings.TrimPrefix(b.Model, "models/")
		unmatched := 0
		for _, ir := range b.Dest.InlinedResponses {
			if ir == nil || ir.Metadata[customIDKey] == "" {
				unmatched++
				continue
			}
			st.Results = append(st.Results, c.batchResult(ir, model, b.State))
		}
		if unmatched > 0 {
			notes = append(notes, fmt.Sprintf("%d of %d responses without metadata %q: not matched", unmatched, len(b.Dest.InlinedResponses), customIDKey))
		}
	}
	st.Status = strings.Join(states, partSep)
	if !st.Done {
		st.Results = nil
		return st, nil
	}
	if len(notes) > 0 {
		st.Status += " (" + strings.Join(notes, "; ") + ")"
	}
	return st, nil
}

// batchResult reads one inlined response.
func (c *Client) batchResult(ir *genai.InlinedResponse, model string, state genai.JobState) copydesk.BatchResult {
	r := copydesk.BatchResult{CustomID: ir.Metadata[customIDKey]}
	switch {
	case ir.Error != nil:
		r.Err = c.inlinedError(ir.Error)
	case ir.Response == nil:
		kind := copydesk.ProviderInvalid
		if state == genai.JobStateExpired {
			kind = copydesk.ProviderTimeout
		}
		r.Err = c.errorf(kind, nil, "batch request without response or error (batch %s)", state)
	default:
		resp, err := c.answer(ir.Response, model)
		if err != nil {
			var pe *copydesk.ProviderError
			if !errors.As(err, &pe) {
				pe = c.errorf(copydesk.ProviderInvalid, err, "%v", err)
			}
			r.Err = pe
			break
		}
		r.Response = resp
	}
	return r
}

// grpcStatus maps the google.rpc.Code of an inlined error (a
// google.rpc.Status) to its name and HTTP status, as Google's APIs do.
var grpcStatus = map[int32]struct {
	name string
	http int
}{
	1:  {"CANCELLED", http.StatusInternalServerError}, // not the request's fault
	2:  {"UNKNOWN", http.StatusInternalServerError},
	3:  {"INVALID_ARGUMENT", http.StatusBadRequest},
	4:  {"DEADLINE_EXCEEDED", http.StatusGatewayTimeout},
	5:  {"NOT_FOUND", http.StatusNotFound},
	6:  {"ALREADY_EXISTS", http.StatusConflict},
	7:  {"PERMISSION_DENIED", http.StatusForbidden},
	8:  {"RESOURCE_EXHAUSTED", http.StatusTooManyRequests},
	9:  {"FAILED_PRECONDITION", http.StatusBadRequest},
	10: {"ABORTED", http.StatusConflict},
	11: {"OUT_OF_RANGE", http.StatusBadRequest},
	12: {"UNIMPLEMENTED", http.StatusNotImplemented},
	13: {"INTERNAL", http.StatusInternalServerError},
	14: {"UNAVAILABLE", http.StatusServiceUnavailable},
	15: {"DATA_LOSS", http.StatusInternalServerError},
	16: {"UNAUTHENTICATED", http.StatusUnauthorized},
}

// inlinedError classifies the error of one batch request as a live call's
// error of the same status would be. Its code is a google.rpc.Code (an
// HTTP status is accepted too).
func (c *Client) inlinedError(e *genai.JobError) *copydesk.ProviderError {
	var code int32
	if e.Code != nil {
		code = *e.Code
	}
	apiErr := genai.APIError{Code: int(code), Message: e.Message}
	if code < 100 {
		s, ok := grpcStatus[code]
		if !ok {
			s.name, s.http = fmt.Sprintf("code %d", code), http.StatusInternalServerError
		}
		apiErr.Code, apiErr.Status = s.http, s.name
	}
	pe := c.errorf(kindFor(apiErr), apiErr, "batch request: HTTP %d %s: %s", apiErr.Code, apiErr.Status, cmpOr(e.Message, http.StatusText(apiErr.Code)))
	pe.Status = apiErr.Code
	return pe
}

// guard runs an SDK call and classifies its error. The SDK's batch
// converters assert the JSON's shape (an object where a list came panics
// in them): a panic becomes a ProviderInvalid error.
func (c *Client) guard(ctx context.Context, call func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = c.errorf(copydesk.ProviderInvalid, nil, "unreadable batch answer: %v", p)
		}
	}()
	if err := call(); err != nil {
		return c.classify(ctx, err)
	}
	return nil
}
