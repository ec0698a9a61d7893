package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	openaisdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/copydesk/copydesk/internal/providertest"
)

// TestChatCompletionsWithOfficialClient points the official openai-go
// client at Copydesk: non-streaming and streaming answers come through the
// router from a fake upstream, with usage, and a repeat is a cache hit.
func TestChatCompletionsWithOfficialClient(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{Responder: func(r providertest.Request) string {
		return "Bonjour, " + r.Prompt
	}})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	client := openaisdk.NewClient(option.WithBaseURL(m.HTTP.URL()+"/v1/"), option.WithAPIKey(testKeyFor(m.HTTP.URL())), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	params := openaisdk.ChatCompletionNewParams{
		Model:    "auto",
		Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.SystemMessage("Translate to French."), openaisdk.UserMessage("le monde")},
	}
	resp, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("non-streaming: %v", err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content != "Bonjour, le monde" || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("answer %+v", resp.Choices)
	}
	if resp.Usage.TotalTokens == 0 || resp.Model != "gpt-4o-mini" {
		t.Errorf("usage %+v model %q", resp.Usage, resp.Model)
	}
	got, ok := fake.LastRequest()
	if !ok || got.System != "Translate to French." || got.Prompt != "le monde" {
		t.Errorf("upstream got %+v", got)
	}

	// Streaming, with usage; a different prompt so it is not a cache hit.
	params.Messages[1] = openaisdk.UserMessage("la lune")
	params.StreamOptions = openaisdk.ChatCompletionStreamOptionsParam{IncludeUsage: openaisdk.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openaisdk.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("streaming: %v", err)
	}
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != "Bonjour, la lune" {
		t.Fatalf("streamed answer %+v", acc.Choices)
	}
	if chunks < 3 || acc.Usage.TotalTokens == 0 {
		t.Errorf("%d chunks, usage %+v; want several chunks and usage", chunks, acc.Usage)
	}

	// The same streaming request again is served from the cache.
	calls := fake.Calls()
	stream = client.Chat.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	for stream.Next() {
		if c := stream.Current(); len(c.Choices) > 0 {
			text.WriteString(c.Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil || text.String() != "Bonjour, la lune" || fake.Calls() != calls {
		t.Errorf("repeat: err %v text %q calls %d→%d; want the cached answer and no new call", err, text.String(), calls, fake.Calls())
	}

	// Refusals speak the OpenAI error shape with a code.
	_, err = client.Chat.Completions.New(ctx, openaisdk.ChatCompletionNewParams{Model: "auto", N: openaisdk.Int(2),
		Messages: []openaisdk.ChatCompletionMessageParamUnion{openaisdk.UserMessage("x")}})
	var apiErr *openaisdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Errorf("n=2: got %v, want a 400 API error", err)
	}
}

func TestChatCompletionsWithoutProvider(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	r := postJSON(t, m.HTTP.URL()+"/v1/chat/completions", map[string]any{"model": "auto", "messages": []map[string]string{{"role": "user", "content": "hi"}}})
	if r.Status != 503 || !strings.Contains(string(r.Body), `"no_provider"`) {
		t.Errorf("status %d body %s, want 503 no_provider", r.Status, r.Body)
	}
}
