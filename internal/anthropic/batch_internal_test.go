package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestSubmitBatchTooLarge refuses a batch above the API's size limit
// (lowered here to 4 KB) without uploading it.
func TestSubmitBatchTooLarge(t *testing.T) {
	defer func(n int) { maxBatchBytes = n }(maxBatchBytes)
	maxBatchBytes = 4 << 10
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer ts.Close()
	c, err := New(Config{APIKey: "test-key", BaseURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []copydesk.BatchRequest
	for i := range 40 {
		reqs = append(reqs, copydesk.BatchRequest{CustomID: fmt.Sprintf("cd%d", i),
			Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: strings.Repeat("word ", 40)}}}})
	}
	_, err = c.SubmitBatch(context.Background(), "bsub_x", "claude-sim", reqs)
	var pe *copydesk.ProviderError
	if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderBadRequest || !strings.Contains(pe.Message, "fewer requests") {
		t.Fatalf("got %v, want a bad_request ProviderError asking for fewer requests", err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("got %d requests at the provider, want 0", n)
	}
	if _, err := c.SubmitBatch(context.Background(), "bsub_x", "claude-sim", reqs[:2]); err == nil || calls.Load() != 1 {
		t.Errorf("a small batch: got %v after %d calls, want it sent (and the empty answer refused)", err, calls.Load())
	}
}
