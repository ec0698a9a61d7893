package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/openai"
)

// TestFakeProviderBatchFlags starts `copydesk fake-provider --batch-expire`
// and sends it a batch through the OpenAI adapter: the batch ends expired
// with every request failed as a timeout. A negative batch flag is a usage
// error.
func TestFakeProviderBatchFlags(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runFakeProvider(ctx, []string{"--addr", addr, "--batch-expire"}, &stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("fake-provider: %v", err)
		}
	}()
	c, err := openai.New(openai.Config{Name: "fake", APIKey: "k", BaseURL: "http://" + addr + "/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	waitFor(t, 10*time.Second, "the fake provider to listen", func() bool {
		id, err = c.SubmitBatch(ctx, "bsub_test", "gpt-4o-mini", []copydesk.BatchRequest{
			{CustomID: "cd1", Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "Hello"}}}}})
		return err == nil
	})
	st, err := c.PollBatch(ctx, id)
	if err != nil || !st.Done || st.Status != "expired" || len(st.Results) != 1 || st.Results[0].Err == nil || st.Results[0].Err.Kind != copydesk.ProviderTimeout {
		t.Fatalf("PollBatch: got %+v, %v; want done, expired, the request failed as a timeout", st, err)
	}
	if !strings.Contains(stderr.String(), "/v1/messages/batches") {
		t.Errorf("banner %q does not name the batch APIs", stderr.String())
	}

	var usage *UsageError
	if err := runFakeProvider(context.Background(), []string{"--batch-fail-every", "-1"}, &bytes.Buffer{}); !errors.As(err, &usage) {
		t.Errorf("--batch-fail-every -1: got %v, want a usage error", err)
	}
}
