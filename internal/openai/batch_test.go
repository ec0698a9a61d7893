package openai_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/openai"
	"github.com/copydesk/copydesk/internal/providertest"
)

func batchReqs(n int) []copydesk.BatchRequest {
	var reqs []copydesk.BatchRequest
	for i := range n {
		reqs = append(reqs, copydesk.BatchRequest{CustomID: "cd" + string(rune('a'+i)),
			Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "say " + string(rune('a'+i))}}, MaxTokens: 50}})
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
		{"completed", providertest.BatchBehaviour{}, "completed", 4, 0, ""},
		{"partial failures", providertest.BatchBehaviour{FailEvery: 2}, "completed", 2, 2, copydesk.ProviderServer},
		{"expired", providertest.BatchBehaviour{Expire: true}, "expired", 0, 4, copydesk.ProviderTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := providertest.NewTestServer(t, providertest.Options{})
			b := tt.b
			b.Delay = time.Hour
			srv.SetBatch(b)
			c := MustNew(t, openai.Config{Name: "oa", APIKey: "k", BaseURL: srv.URL + "/v1/"})
			id, err := c.SubmitBatch(ctx, "bsub_"+tt.status, "gpt-sim", batchReqs(4))
			if err != nil {
				t.Fatalf("SubmitBatch: %v", err)
			}
			if found, err := c.FindBatch(ctx, "bsub_"+tt.status, time.Now().Add(-time.Minute)); err != nil || found != id {
				t.Fatalf("FindBatch by label: got %q, %v; want %s", found, err, id)
			}
			if found, err := c.FindBatch(ctx, "bsub_other", time.Now().Add(-time.Minute)); err != nil || found != "" {
				t.Fatalf("FindBatch of another label: got %q, %v; want none", found, err)
			}
			st, err := c.PollBatch(ctx, id)
			if err != nil || st.Done || st.Status != "in_progress" {
				t.Fatalf("PollBatch while running: got %+v, %v; want in_progress", st, err)
			}
			b.Delay = 0 // finishes the batch already created
			srv.SetBatch(b)
			st, err = c.PollBatch(ctx, id)
			if err != nil || !st.Done || st.Status != tt.status {
				t.Fatalf("PollBatch: got %+v, %v; want done, %s", st, err, tt.status)
			}
			var ok, failed int
			for _, r := range st.Results {
				switch {
				case r.Err != nil:
					failed++
					if r.Err.Kind != tt.failKind {
						t.Errorf("%s: got error kind %s, want %s", r.CustomID, r.Err.Kind, tt.failKind)
					}
				case r.Response != nil:
					ok++
					if !strings.HasPrefix(r.Response.Text, providertest.SimulatedPrefix) || r.Response.Usage.InputTokens == 0 || r.Response.Model != "gpt-sim" {
						t.Errorf("%s: got %+v, want a simulated answer of gpt-sim with usage", r.CustomID, r.Response)
					}
				}
			}
			if ok != tt.ok || failed != tt.failed {
				t.Errorf("got %d answers and %d failures, want %d and %d", ok, failed, tt.ok, tt.failed)
			}
			if n, batches := srv.BatchRequests(); n != 4 || batches != 1 {
				t.Errorf("fake got %d requests in %d batches, want 4 in 1", n, batches)
			}
		})
	}
}
