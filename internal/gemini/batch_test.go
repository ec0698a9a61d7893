package gemini_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/gemini"
	"github.com/copydesk/copydesk/internal/providertest"
)

func batchReqs(n int) []copydesk.BatchRequest {
	var reqs []copydesk.BatchRequest
	for i := range n {
		reqs = append(reqs, copydesk.BatchRequest{CustomID: "cd" + string(rune('a'+i)),
			Request: copydesk.ModelRequest{System: "be brief", Messages: []copydesk.Message{{Role: "user", Content: "say " + string(rune('a'+i))}}, MaxTokens: 50}})
	}
	return reqs
}

func TestBatchAgainstTheFake(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		b          providertest.BatchBehaviour
		status     string
		ok, failed int
		failKind   copydesk.ProviderErrorKind
	}{
		{"completed", providertest.BatchBehaviour{}, "JOB_STATE_SUCCEEDED", 4, 0, ""},
		{"partial failures", providertest.BatchBehaviour{FailEvery: 2}, "JOB_STATE_SUCCEEDED", 2, 2, copydesk.ProviderServer},
		// Gemini keeps no results of an expired batch: every request is
		// missing, and the poller fails the missing ones as timeouts.
		{"expired", providertest.BatchBehaviour{Expire: true}, "JOB_STATE_EXPIRED", 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := providertest.NewTestServer(t, providertest.Options{Default: providertest.Behaviour{CachedTokens: 2}})
			b := tt.b
			b.Delay = time.Hour
			srv.SetBatch(b)
			c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL})
			reqs := batchReqs(4)
			id, err := c.SubmitBatch(ctx, "bsub_"+tt.name, "gemini-sim", reqs)
			if err != nil || !strings.HasPrefix(id, "batches/") {
				t.Fatalf("SubmitBatch: got %q, %v; want a batches/ name", id, err)
			}
			if found, err := c.FindBatch(ctx, "bsub_"+tt.name, time.Now().Add(-time.Minute)); err != nil || found != id {
				t.Fatalf("FindBatch by label: got %q, %v; want %s", found, err, id)
			}
			if found, err := c.FindBatch(ctx, "bsub_other", time.Now().Add(-time.Minute)); err != nil || found != "" {
				t.Fatalf("FindBatch of another label: got %q, %v; want none", found, err)
			}
			st, err := c.PollBatch(ctx, id)
			if err != nil || st.Done || st.Status != "JOB_STATE_RUNNING" {
				t.Fatalf("PollBatch while running: got %+v, %v; want JOB_STATE_RUNNING", st, err)
			}
			b.Delay = 0 // finishes the batch already created
			srv.SetBatch(b)
			st, err = c.PollBatch(ctx, id)
			if err != nil || !st.Done || st.Status != tt.status {
				t.Fatalf("PollBatch: got %+v, %v; want done, %s", st, err, tt.status)
			}
			prompt := map[string]string{}
			for _, r := range reqs {
				prompt[r.CustomID] = r.Request.Messages[0].Content
			}
			var ok, failed int
			for _, r := range st.Results {
				switch {
				case r.Err != nil:
					failed++
					if r.Err.Kind != tt.failKind || r.Err.Provider != "gm" {
						t.Errorf("%s: got error %+v, want kind %s from gm", r.CustomID, r.Err, tt.failKind)
					}
				case r.Response != nil:
					ok++
					u := r.Response.Usage
					if !strings.HasPrefix(r.Response.Text, providertest.SimulatedPrefix) || u.InputTokens == 0 || u.OutputTokens == 0 || u.CachedTokens != 2 ||
						r.Response.Model != "gemini-sim" || r.Response.FinishReason != "STOP" {
						t.Errorf("%s: got %+v, want a simulated answer of gemini-sim with usage (2 cached tokens) and STOP", r.CustomID, r.Response)
					}
					// The answer quotes its prompt: the custom id matched.
					if p, known := prompt[r.CustomID]; !known || !strings.Contains(r.Response.Text, `"`+p+`"`) {
						t.Errorf("%s: got answer %q, want the answer to %q", r.CustomID, r.Response.Text, p)
					}
				}
			}
			if ok != tt.ok || failed != tt.failed {
				t.Errorf("got %d answers and %d failures, want %d and %d", ok, failed, tt.ok, tt.failed)
			}
			if n, batches := srv.BatchRequests(); n != 4 || batches != 1 {
				t.Errorf("fake got %d requests in %d batches, want 4 in 1", n, batches)
			}
			if d := srv.BatchDuplicates(); d != 0 {
				t.Errorf("fake counted %d duplicate custom ids, want 0", d)
			}
			for _, r := range srv.Requests() {
				if !r.Batch || r.System != "be brief" || r.MaxTokens != 50 || r.Model != "gemini-sim" {
					t.Errorf("fake got %+v, want a batch request to gemini-sim with the system instruction and 50 max tokens", r)
				}
			}
		})
	}
}

// A request's error behaviour becomes that request's error, classified as
// the live call's error of the same status.
func TestBatchRequestErrors(t *testing.T) {
	ctx := context.Background()
	srv := providertest.NewTestServer(t, providertest.Options{})
	srv.Enqueue(providertest.Behaviour{Kind: providertest.RateLimited}, providertest.Behaviour{Kind: providertest.BadRequest})
	c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL})
	id, err := c.SubmitBatch(ctx, "bsub_errors", "gemini-sim", batchReqs(3))
	if err != nil {
		t.Fatalf("SubmitBatch: %v", err)
	}
	st, err := c.PollBatch(ctx, id)
	if err != nil || !st.Done || len(st.Results) != 3 {
		t.Fatalf("PollBatch: got %+v, %v; want done with 3 results", st, err)
	}
	want := map[string]copydesk.ProviderErrorKind{"cda": copydesk.ProviderRateLimited, "cdb": copydesk.ProviderBadRequest, "cdc": ""}
	for _, r := range st.Results {
		var got copydesk.ProviderErrorKind
		if r.Err != nil {
			got = r.Err.Kind
		}
		if got != want[r.CustomID] || (r.Err == nil) == (r.Response == nil) {
			t.Errorf("%s: got %+v, want error kind %q", r.CustomID, r, want[r.CustomID])
		}
	}
}

// FindBatch pages through the list (100 a page) back to since.
func TestFindBatchPages(t *testing.T) {
	ctx := context.Background()
	srv := providertest.NewTestServer(t, providertest.Options{})
	c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL})
	var first string
	for i := range 102 {
		id, err := c.SubmitBatch(ctx, fmt.Sprintf("bsub_%d", i), "gemini-sim", batchReqs(1))
		if err != nil {
			t.Fatalf("SubmitBatch %d: %v", i, err)
		}
		if i == 0 {
			first = id
		}
	}
	if found, err := c.FindBatch(ctx, "bsub_0", time.Now().Add(-time.Minute)); err != nil || found != first {
		t.Fatalf("FindBatch of the oldest (second page): got %q, %v; want %s", found, err, first)
	}
	if found, err := c.FindBatch(ctx, "bsub_0", time.Now().Add(time.Minute)); err != nil || found != "" {
		t.Fatalf("FindBatch since after its creation: got %q, %v; want none", found, err)
	}
}

// A provider answer the adapter cannot read is a ProviderError, never a
// panic or a result given to the wrong request.
func TestBatchMalformedAnswers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, body string
		kind       copydesk.ProviderErrorKind // "" : no error, see check
		msg        string                     // in the error's message
		check      func(*testing.T, *copydesk.BatchState)
	}{
		{name: "output is not a list", kind: copydesk.ProviderInvalid, msg: "unreadable batch answer",
			body: `{"name":"batches/x","metadata":{"state":"BATCH_STATE_SUCCEEDED","output":{"inlinedResponses":{"inlinedResponses":"oops"}}}}`},
		{name: "not JSON", kind: copydesk.ProviderServer, msg: "unreadable answer", body: `<html>gateway</html>`},
		{name: "responses without metadata are not matched by position",
			body: `{"name":"batches/x","metadata":{"state":"BATCH_STATE_SUCCEEDED","output":{"inlinedResponses":{"inlinedResponses":[
				{"response":{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"STOP"}]}}]}}}}`,
			check: func(t *testing.T, st *copydesk.BatchState) {
				if !st.Done || len(st.Results) != 0 || !strings.Contains(st.Status, "1 of 1 responses without metadata") {
					t.Errorf("got %+v, want done, no results, the unmatched response counted in Status", st)
				}
			}},
		{name: "inlined errors and an answer without candidates",
			body: `{"name":"batches/x","metadata":{"state":"BATCH_STATE_SUCCEEDED","model":"models/m","output":{"inlinedResponses":{"inlinedResponses":[
				{"error":{"code":8,"message":"quota"},"metadata":{"key":"a"}},
				{"error":{"code":4},"metadata":{"key":"b"}},
				{"response":{"candidates":[]},"metadata":{"key":"c"}},
				{"metadata":{"key":"d"}}]}}}}`,
			check: func(t *testing.T, st *copydesk.BatchState) {
				want := map[string]copydesk.ProviderErrorKind{"a": copydesk.ProviderRateLimited, "b": copydesk.ProviderTimeout,
					"c": copydesk.ProviderInvalid, "d": copydesk.ProviderInvalid}
				if len(st.Results) != len(want) {
					t.Fatalf("got %d results, want %d", len(st.Results), len(want))
				}
				for _, r := range st.Results {
					if r.Err == nil || r.Err.Kind != want[r.CustomID] {
						t.Errorf("%s: got %+v, want error kind %s", r.CustomID, r, want[r.CustomID])
					}
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL})
			st, err := c.PollBatch(ctx, "batches/x")
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("PollBatch: %v", err)
				}
				tt.check(t, st)
				return
			}
			var pe *copydesk.ProviderError
			if !errors.As(err, &pe) || pe.Kind != tt.kind || !strings.Contains(pe.Message, tt.msg) {
				t.Fatalf("PollBatch: got %+v, %v; want a ProviderError of kind %s saying %q", st, err, tt.kind, tt.msg)
			}
		})
	}
	t.Run("created batch without a batches/ name", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"name":"operations/1"}`))
		}))
		defer srv.Close()
		c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL})
		_, err := c.SubmitBatch(ctx, "bsub", "m", batchReqs(1))
		var pe *copydesk.ProviderError
		if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid {
			t.Fatalf("SubmitBatch: got %v, want a ProviderError of kind invalid", err)
		}
	})
	t.Run("not a batch name", func(t *testing.T) {
		c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: "http://127.0.0.1:1"})
		_, err := c.PollBatch(ctx, "batch_123")
		var pe *copydesk.ProviderError
		if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderBadRequest {
			t.Fatalf("PollBatch: got %v, want a ProviderError of kind bad_request", err)
		}
	})
}

// Errors creating a batch are classified as a live call's.
func TestSubmitBatchErrors(t *testing.T) {
	ctx := context.Background()
	srv := providertest.NewTestServer(t, providertest.Options{Keys: []string{"good"}})
	c := MustNew(t, gemini.Config{Name: "gm", APIKey: "bad", BaseURL: srv.URL})
	_, err := c.SubmitBatch(ctx, "bsub", "gemini-sim", batchReqs(2))
	var pe *copydesk.ProviderError
	if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderAuth {
		t.Fatalf("SubmitBatch with a bad key: got %v, want a ProviderError of kind auth", err)
	}
	if _, err := c.SubmitBatch(ctx, "bsub", "gemini-sim", nil); !errors.As(err, &pe) || pe.Kind != copydesk.ProviderBadRequest {
		t.Fatalf("SubmitBatch of nothing: got %v, want bad_request", err)
	}
	if n, _ := srv.BatchRequests(); n != 0 {
		t.Errorf("fake got %d batch requests, want 0", n)
	}
}

// A submission above BatchMaxBytes goes out as several Gemini batches
// under one id; polling and finding treat them as one.
func TestBatchSplitsAboveTheInlineLimit(t *testing.T) {
	ctx := context.Background()
	srv := providertest.NewTestServer(t, providertest.Options{})
	srv.SetBatch(providertest.BatchBehaviour{Delay: time.Hour})
	// One request of batchReqs is 180 bytes as JSON: two fit in 400.
	c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL, BatchMaxBytes: 400})
	id, err := c.SubmitBatch(ctx, "bsub_big", "gemini-sim", batchReqs(5))
	if err != nil {
		t.Fatalf("SubmitBatch: %v", err)
	}
	if parts := strings.Split(id, ","); len(parts) != 3 {
		t.Fatalf("got id %q, want the names of 3 batches joined by commas", id)
	}
	if n, batches := srv.BatchRequests(); n != 5 || batches != 3 {
		t.Errorf("fake got %d requests in %d batches, want 5 in 3", n, batches)
	}
	if _, err := c.SubmitBatch(ctx, "bsub_small", "gemini-sim", batchReqs(1)); err != nil {
		t.Fatalf("SubmitBatch: %v", err)
	}
	if found, err := c.FindBatch(ctx, "bsub_big", time.Now().Add(-time.Minute)); err != nil || found != id {
		t.Fatalf("FindBatch: got %q, %v; want %s", found, err, id)
	}
	st, err := c.PollBatch(ctx, id)
	if err != nil || st.Done || len(st.Results) != 0 || st.Status != "JOB_STATE_RUNNING,JOB_STATE_RUNNING,JOB_STATE_RUNNING" {
		t.Fatalf("PollBatch while running: got %+v, %v; want not done", st, err)
	}
	srv.SetBatch(providertest.BatchBehaviour{})
	st, err = c.PollBatch(ctx, id)
	if err != nil || !st.Done || len(st.Results) != 5 || st.Status != "JOB_STATE_SUCCEEDED,JOB_STATE_SUCCEEDED,JOB_STATE_SUCCEEDED" {
		t.Fatalf("PollBatch: got %+v, %v; want done with 5 results", st, err)
	}
	seen := map[string]bool{}
	for _, r := range st.Results {
		if r.Response == nil || seen[r.CustomID] {
			t.Errorf("%s: got %+v (seen before: %v), want one answer", r.CustomID, r, seen[r.CustomID])
		}
		seen[r.CustomID] = true
	}

	one := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL, BatchMaxBytes: 100})
	var pe *copydesk.ProviderError
	if _, err := one.SubmitBatch(ctx, "bsub_huge", "gemini-sim", batchReqs(1)); !errors.As(err, &pe) || pe.Kind != copydesk.ProviderBadRequest {
		t.Errorf("SubmitBatch of a request above the limit: got %v, want bad_request", err)
	}
	if _, err := gemini.New(gemini.Config{APIKey: "k", BatchMaxBytes: gemini.DefaultBatchMaxBytes + 1}); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("New with BatchMaxBytes above the API's limit: got %v, want EINVALID", err)
	}
}

// A part that cannot be created does not fail the parts created before
// it: their requests must not go out again.
func TestBatchSplitPartFails(t *testing.T) {
	ctx := context.Background()
	fake := providertest.NewTestServer(t, providertest.Options{})
	var creates atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ":batchGenerateContent") {
			if creates.Add(1) == 2 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"error":{"code":429,"message":"[simulated] quota","status":"RESOURCE_EXHAUSTED"}}`))
				return
			}
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: srv.URL, BatchMaxBytes: 400})
	id, err := c.SubmitBatch(ctx, "bsub_part", "gemini-sim", batchReqs(4))
	if err != nil || strings.Contains(id, ",") || !strings.HasPrefix(id, "batches/") {
		t.Fatalf("SubmitBatch: got %q, %v; want the first part's name alone", id, err)
	}
	st, err := c.PollBatch(ctx, id)
	if err != nil || !st.Done || len(st.Results) != 2 {
		t.Fatalf("PollBatch: got %+v, %v; want the first part's 2 answers", st, err)
	}
	if found, err := c.FindBatch(ctx, "bsub_part", time.Now().Add(-time.Minute)); err != nil || found != id {
		t.Fatalf("FindBatch: got %q, %v; want the part created, %s", found, err, id)
	}
	if _, err := c.SubmitBatch(ctx, "bsub_first", "gemini-sim", batchReqs(1)); err != nil {
		t.Fatalf("SubmitBatch: %v", err)
	}
	creates.Store(1) // the next create fails: the first part of a submission
	var pe *copydesk.ProviderError
	if _, err := c.SubmitBatch(ctx, "bsub_none", "gemini-sim", batchReqs(4)); !errors.As(err, &pe) || pe.Kind != copydesk.ProviderRateLimited {
		t.Errorf("SubmitBatch whose first part fails: got %v, want rate_limited", err)
	}
}

// TestBatchErrorDetails: the real API's per-request errors are
// google.rpc.Status objects whose details are objects, which the SDK's
// JobError declares strings. A proxy in front of the fake adds such
// details to every failed request; the batch is still read, and the
// failures classified.
func TestBatchErrorDetails(t *testing.T) {
	ctx := context.Background()
	srv := providertest.NewTestServer(t, providertest.Options{})
	srv.SetBatch(providertest.BatchBehaviour{FailEvery: 2})
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	details := []byte(`"error":{"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"OVERLOADED","metadata":{"n":"1"}}],`)
	var rewritten atomic.Int32
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || !strings.Contains(resp.Request.URL.Path, "/batches/") {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if n := bytes.Count(body, []byte(`"error":{`)); n > 0 {
			rewritten.Add(int32(n))
			body = bytes.ReplaceAll(body, []byte(`"error":{`), details)
		}
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	c := MustNew(t, gemini.Config{Name: "gm", APIKey: "test-key", BaseURL: front.URL})
	id, err := c.SubmitBatch(ctx, "bsub_details", "gemini-sim", batchReqs(4))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.PollBatch(ctx, id)
	if err != nil || !st.Done || rewritten.Load() == 0 {
		t.Fatalf("PollBatch: got %+v, %v after %d errors given details; want the batch read", st, err, rewritten.Load())
	}
	var ok, failed int
	for _, r := range st.Results {
		switch {
		case r.Err != nil && r.Err.Kind == copydesk.ProviderServer:
			failed++
		case r.Response != nil:
			ok++
		}
	}
	if ok != 2 || failed != 2 {
		t.Errorf("got %d answers and %d server failures, want 2 and 2", ok, failed)
	}
}
