package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	anthropicsdk "github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	openaisdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// MustGateway runs Copydesk with three real providers — OpenAI, Anthropic
// and Gemini adapters on their official SDKs — all pointed at one fake that
// speaks the three wire formats, with the default routing (the catalogue's
// current models) and the alias gpt-4o for the quality class. It returns
// the server's base URL, its ADMIN key and the fake.
func MustGateway(tb testing.TB, opts providertest.Options) (string, string, *providertest.Server) {
	tb.Helper()
	fake := providertest.NewTestServer(tb, opts)
	cfg := DefaultConfig()
	cfg.Providers = []ProviderConfig{
		{Name: "openai", Type: ProviderOpenAI, BaseURL: fake.URL + "/v1/", APIKeys: []string{"sk-openai"}},
		{Name: "anthropic", Type: ProviderAnthropic, BaseURL: fake.URL, APIKeys: []string{"sk-ant"}},
		{Name: "gemini", Type: ProviderGemini, BaseURL: fake.URL, APIKeys: []string{"gm-key"}},
	}
	cfg.Routing.Aliases = map[string]string{"gpt-4o": "quality", "house-embedder": "openai/text-embedding-3-small"}
	svc, stop, err := buildModels(&cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = stop() })
	m := MustRunMain(tb, func(m *Main) { m.Routed = svc })
	return m.HTTP.URL(), MustAdminKey(tb, m), fake
}

func openaiClient(base, key string) openaisdk.Client {
	return openaisdk.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func userMessages(text string) []openaisdk.ChatCompletionMessageParamUnion {
	return []openaisdk.ChatCompletionMessageParamUnion{openaisdk.SystemMessage("Be brief."), openaisdk.UserMessage(text)}
}

// TestGatewayModelsWithOfficialClients lists and gets models through the
// official OpenAI and Anthropic clients.
func TestGatewayModelsWithOfficialClients(t *testing.T) {
	t.Parallel()
	base, key, _ := MustGateway(t, providertest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := openaiClient(base, key)

	var ids []string
	pager := client.Models.ListAutoPaging(ctx)
	for pager.Next() {
		ids = append(ids, pager.Current().ID)
	}
	if err := pager.Err(); err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, want := range []string{
		"gpt-6.2-astra", "gpt-6.1-terra", "gpt-5.4-mini", "gpt-4o-mini", "text-embedding-3-small", // OpenAI
		"claude-opus-5-5", "claude-haiku-5-5", "claude-fable-5-2", // Anthropic
		"gemini-4-neon", "gemini-3.8-flash", "gemini-embedding-001", // Gemini
		"quality", "fast", "budget", "gpt-4o", "house-embedder", // classes and aliases
	} {
		if !slices.Contains(ids, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if !slices.IsSorted(ids) {
		t.Error("the list is not sorted")
	}

	m, err := client.Models.Get(ctx, "claude-opus-5-5")
	if err != nil || m.ID != "claude-opus-5-5" || m.OwnedBy != "anthropic" || m.Created == 0 {
		t.Errorf("get claude-opus-5-5: got %+v, %v", m, err)
	}
	var extra struct {
		Kind          string `json:"kind"`
		ContextWindow int    `json:"context_window"`
	}
	if err := json.Unmarshal([]byte(m.RawJSON()), &extra); err != nil || extra.Kind != "chat" || extra.ContextWindow != 1_000_000 {
		t.Errorf("model details: got %+v, %v", extra, err)
	}
	_, err = client.Models.Get(ctx, "gpt-9")
	var apiErr *openaisdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Errorf("get gpt-9: got %v, want 404 model_not_found", err)
	}

	ac := anthropicsdk.NewClient(anthropicoption.WithBaseURL(base), anthropicoption.WithAPIKey(key), anthropicoption.WithMaxRetries(0))
	page, err := ac.Models.List(ctx, anthropicsdk.ModelListParams{})
	if err != nil {
		t.Fatalf("anthropic list: %v", err)
	}
	found := false
	for _, m := range page.Data {
		found = found || m.ID == "claude-haiku-5-5" && !m.CreatedAt.IsZero()
	}
	if !found || len(page.Data) != len(ids) {
		t.Errorf("anthropic list: %d models (want %d), claude-haiku-5-5 found %v", len(page.Data), len(ids), found)
	}
}

// TestGatewayChatByName sends catalogued names, provider/model, an alias and
// an unknown name through the official OpenAI client, and checks which
// provider's wire format the fake received each in.
func TestGatewayChatByName(t *testing.T) {
	t.Parallel()
	base, key, fake := MustGateway(t, providertest.Options{Responder: func(r providertest.Request) string {
		return "answer from " + r.Provider + " " + r.Model
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := openaiClient(base, key)
	for i, tc := range []struct {
		model, wantFormat, wantModel string
	}{
		{"gpt-6.1-terra", providertest.FormatOpenAI, "gpt-6.1-terra"},
		{"gpt-4o-mini-2024-07-18", providertest.FormatOpenAI, "gpt-4o-mini-2024-07-18"},
		{"claude-haiku-5-5", providertest.FormatAnthropic, "claude-haiku-5-5"},
		{"anthropic/claude-opus-5-5", providertest.FormatAnthropic, "claude-opus-5-5"},
		{"gemini-3.8-flash", providertest.FormatGemini, "gemini-3.8-flash"},
		{"gpt-4o", providertest.FormatOpenAI, "gpt-6.1-sol"}, // alias of the quality class
		{"fast", providertest.FormatOpenAI, "gpt-6.1-terra"},
	} {
		resp, err := client.Chat.Completions.New(ctx, openaisdk.ChatCompletionNewParams{Model: tc.model, Messages: userMessages("question " + string(rune('a'+i)))})
		if err != nil {
			t.Errorf("%s: %v", tc.model, err)
			continue
		}
		got, _ := fake.LastRequest()
		if got.Provider != tc.wantFormat || got.Model != tc.wantModel {
			t.Errorf("%s: the fake got %s/%s, want %s/%s", tc.model, got.Provider, got.Model, tc.wantFormat, tc.wantModel)
		}
		if want := "answer from " + tc.wantFormat + " " + tc.wantModel; resp.Choices[0].Message.Content != want || resp.Model != tc.wantModel {
			t.Errorf("%s: got %q from %q, want %q from %q", tc.model, resp.Choices[0].Message.Content, resp.Model, want, tc.wantModel)
		}
	}

	// Unknown names answer 404 model_not_found in OpenAI's shape, with the
	// way to find valid names; an embedding model is refused for chat.
	for _, tc := range []struct {
		model  string
		status int
		code   string
	}{
		{"gpt-9", 404, "model_not_found"},
		{"anthropic/gpt-6.1-sol", 404, "model_not_found"},
		{"text-embedding-3-small", 400, "invalid"},
	} {
		_, err := client.Chat.Completions.New(ctx, openaisdk.ChatCompletionNewParams{Model: tc.model, Messages: userMessages("x")})
		var apiErr *openaisdk.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Code != tc.code {
			t.Errorf("%s: got %v, want %d %s", tc.model, err, tc.status, tc.code)
			continue
		}
		if tc.status == 404 && (apiErr.Param != "model" || !strings.Contains(apiErr.Message, "GET /v1/models")) {
			t.Errorf("%s: got param %q message %q, want param model and a hint", tc.model, apiErr.Param, apiErr.Message)
		}
	}

	// Streaming through the Anthropic upstream: every chunk names the
	// model, and the OpenAI accumulator gets text and usage.
	stream := client.Chat.Completions.NewStreaming(ctx, openaisdk.ChatCompletionNewParams{
		Model: "claude-haiku-5-5", Messages: userMessages("stream please"),
		StreamOptions: openaisdk.ChatCompletionStreamOptionsParam{IncludeUsage: openaisdk.Bool(true)},
	})
	var acc openaisdk.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		c := stream.Current()
		if c.Model != "claude-haiku-5-5" {
			t.Errorf("chunk %d names model %q, want claude-haiku-5-5", chunks, c.Model)
		}
		acc.AddChunk(c)
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != "answer from anthropic claude-haiku-5-5" || acc.Usage.TotalTokens == 0 || chunks < 3 {
		t.Errorf("stream: got %q usage %+v in %d chunks", acc.Choices[0].Message.Content, acc.Usage, chunks)
	}
}

// TestGatewayAnthropicMessages drives POST /v1/messages with the official
// Anthropic client: to Claude, and streamed through the OpenAI and Gemini
// upstreams (translated both ways); token counting; errors in Anthropic's
// shape; both ways of sending the key.
func TestGatewayAnthropicMessages(t *testing.T) {
	t.Parallel()
	base, key, fake := MustGateway(t, providertest.Options{Responder: func(r providertest.Request) string {
		return "Hello from " + r.Provider + " to " + r.Prompt
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, auth := range []struct {
		name string
		opt  anthropicoption.RequestOption
	}{
		{"x-api-key", anthropicoption.WithAPIKey(key)},
		{"bearer", anthropicoption.WithAuthToken(key)},
	} {
		client := anthropicsdk.NewClient(anthropicoption.WithBaseURL(base), auth.opt, anthropicoption.WithMaxRetries(0))
		msg, err := client.Messages.New(ctx, anthropicsdk.MessageNewParams{
			Model: "claude-opus-5-5", MaxTokens: 256,
			System:   []anthropicsdk.TextBlockParam{{Text: "Be brief."}},
			Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock("the world " + auth.name))},
		})
		if err != nil {
			t.Fatalf("%s: %v", auth.name, err)
		}
		got, _ := fake.LastRequest()
		if got.Provider != providertest.FormatAnthropic || got.System != "Be brief." || got.MaxTokens != 256 {
			t.Errorf("%s: the fake got %+v", auth.name, got)
		}
		if len(msg.Content) != 1 || msg.Content[0].Text != "Hello from anthropic to the world "+auth.name || msg.StopReason != anthropicsdk.StopReasonEndTurn ||
			msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens == 0 || msg.Model != "claude-opus-5-5" || !strings.HasPrefix(msg.ID, "msg_") {
			t.Errorf("%s: got %+v", auth.name, msg)
		}
	}

	client := anthropicsdk.NewClient(anthropicoption.WithBaseURL(base), anthropicoption.WithAPIKey(key), anthropicoption.WithMaxRetries(0))
	for _, tc := range []struct {
		model, format string
	}{
		{"gpt-6.1-sol", providertest.FormatOpenAI},
		{"gemini-4-hydrogen", providertest.FormatGemini},
		{"claude-haiku-5-5", providertest.FormatAnthropic},
	} {
		stream := client.Messages.NewStreaming(ctx, anthropicsdk.MessageNewParams{
			Model: anthropicsdk.Model(tc.model), MaxTokens: 512,
			Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock("a streamed question for " + tc.model))},
		})
		var msg anthropicsdk.Message
		var types []string
		for stream.Next() {
			ev := stream.Current()
			types = append(types, ev.Type)
			if err := msg.Accumulate(ev); err != nil {
				t.Fatalf("%s: accumulate: %v", tc.model, err)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("%s: %v", tc.model, err)
		}
		got, _ := fake.LastRequest()
		want := "Hello from " + tc.format + " to a streamed question for " + tc.model
		if got.Provider != tc.format || !got.Stream || len(msg.Content) != 1 || msg.Content[0].Text != want {
			t.Errorf("%s: fake got %s stream=%v; message %+v, want text %q", tc.model, got.Provider, got.Stream, msg.Content, want)
		}
		u := providertest.Tokens(got, want)
		if msg.Usage.InputTokens != int64(u.InputTokens) || msg.Usage.OutputTokens != int64(u.OutputTokens) || msg.StopReason != anthropicsdk.StopReasonEndTurn || msg.Model != tc.model {
			t.Errorf("%s: got usage %+v stop %q model %q, want %+v end_turn", tc.model, msg.Usage, msg.StopReason, msg.Model, u)
		}
		if types[0] != "message_start" || types[len(types)-1] != "message_stop" || !slices.Contains(types, "content_block_delta") {
			t.Errorf("%s: events %v", tc.model, types)
		}
	}

	// Token counting: by Anthropic's counting API for a Claude model, an
	// estimate for an OpenAI one; no model call either way.
	calls := fake.Calls()
	params := anthropicsdk.MessageCountTokensParams{Model: "claude-haiku-5-5",
		System:   anthropicsdk.MessageCountTokensParamsSystemUnion{OfString: anthropicsdk.String("You count.")},
		Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock("one two three four"))}}
	n, err := client.Messages.CountTokens(ctx, params)
	if err != nil || n.InputTokens != 6 || len(fake.CountCalls()) != 1 {
		t.Errorf("count for Claude: got %+v, %v (%d counting calls), want 6 from the provider", n, err, len(fake.CountCalls()))
	}
	params.Model = "gpt-6.1-sol"
	if n, err := client.Messages.CountTokens(ctx, params); err != nil || n.InputTokens <= 0 || len(fake.CountCalls()) != 1 {
		t.Errorf("count for GPT: got %+v, %v, want an estimate without a provider call", n, err)
	}
	if fake.Calls() != calls {
		t.Errorf("counting made %d model calls, want none", fake.Calls()-calls)
	}

	// Errors in Anthropic's shape.
	for _, tc := range []struct {
		params anthropicsdk.MessageNewParams
		status int
		typ    string
	}{
		{anthropicsdk.MessageNewParams{Model: "claude-nope", MaxTokens: 10, Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock("x"))}}, 404, "not_found_error"},
		{anthropicsdk.MessageNewParams{Model: "claude-haiku-5-5", MaxTokens: 10, Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock("x"))},
			Tools: []anthropicsdk.ToolUnionParam{anthropicsdk.ToolUnionParamOfTool(anthropicsdk.ToolInputSchemaParam{}, "get_weather")}}, 400, "invalid_request_error"},
	} {
		_, err := client.Messages.New(ctx, tc.params)
		var apiErr *anthropicsdk.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || !strings.Contains(apiErr.RawJSON(), `"type":"`+tc.typ+`"`) {
			t.Errorf("%s: got %v, want %d %s", tc.params.Model, err, tc.status, tc.typ)
		}
	}
	noKey := anthropicsdk.NewClient(anthropicoption.WithBaseURL(base), anthropicoption.WithAPIKey("sk-ant-not-ours"), anthropicoption.WithMaxRetries(0))
	_, err = noKey.Messages.New(ctx, anthropicsdk.MessageNewParams{Model: "claude-haiku-5-5", MaxTokens: 10, Messages: []anthropicsdk.MessageParam{anthropicsdk.NewUserMessage(anthropicsdk.NewTextBlock("x"))}})
	var apiErr *anthropicsdk.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || !strings.Contains(apiErr.RawJSON(), "authentication_error") {
		t.Errorf("foreign key: got %v, want 401 authentication_error", err)
	}
}

// TestGatewayEmbeddings embeds through the official OpenAI client: OpenAI
// and Gemini models, the permanent cache (the repeat costs no provider
// call), base64 encoding, cost in the ledger.
func TestGatewayEmbeddings(t *testing.T) {
	t.Parallel()
	base, key, fake := MustGateway(t, providertest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := openaiClient(base, key)
	inputs := []string{"fresh bread in Utrecht", "sourdough every morning"}
	for _, tc := range []struct {
		model, format string
		dims          int
	}{
		{"text-embedding-3-small", providertest.FormatOpenAI, 0},
		{"house-embedder", providertest.FormatOpenAI, 0},
		{"gemini-embedding-001", providertest.FormatGemini, 16},
	} {
		params := openaisdk.EmbeddingNewParams{Model: tc.model, Input: openaisdk.EmbeddingNewParamsInputUnion{OfArrayOfStrings: inputs}}
		if tc.dims > 0 {
			params.Dimensions = openaisdk.Int(int64(tc.dims))
		}
		calls := fake.Calls()
		res, err := client.Embeddings.New(ctx, params)
		if err != nil {
			t.Fatalf("%s: %v", tc.model, err)
		}
		got, _ := fake.LastRequest()
		if fake.Calls() != calls+1 || got.Provider != tc.format || !slices.Equal(got.Input, inputs) {
			t.Errorf("%s: %d calls, the fake got %+v", tc.model, fake.Calls()-calls, got)
		}
		if len(res.Data) != 2 || res.Usage.PromptTokens != int64(providertest.EmbeddingTokens(inputs)) {
			t.Fatalf("%s: got %d vectors, usage %+v", tc.model, len(res.Data), res.Usage)
		}
		for i, d := range res.Data {
			want := providertest.Embedding(inputs[i], tc.dims)
			if int(d.Index) != i || len(d.Embedding) != len(want) || float32(d.Embedding[0]) != want[0] {
				t.Errorf("%s: vector %d: got index %d, %d numbers", tc.model, i, d.Index, len(d.Embedding))
			}
		}
		// The same request again: from the cache, no provider call.
		calls = fake.Calls()
		again, err := client.Embeddings.New(ctx, params)
		if err != nil || fake.Calls() != calls || again.Data[1].Embedding[0] != res.Data[1].Embedding[0] {
			t.Errorf("%s repeat: %v, %d provider calls, want the cached vectors and none", tc.model, err, fake.Calls()-calls)
		}
	}

	// base64, as the Python and Node SDKs ask by default.
	r := call(t, base, "POST", "/v1/embeddings", key, map[string]any{"model": "text-embedding-3-large", "input": "hello world", "encoding_format": "base64"})
	MustStatus(t, r, 200, "base64 embeddings")
	var b64 struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	r.json(t, &b64)
	raw, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
	want := providertest.Embedding("hello world", 0)
	if err != nil || len(raw) != 4*len(want) || math.Float32frombits(binary.LittleEndian.Uint32(raw)) != want[0] {
		t.Errorf("base64 vector: %d bytes, %v", len(raw), err)
	}
	if r.Header.Get("X-Copydesk-Cache") != "miss" || r.Header.Get("X-Copydesk-Provider") != "openai" {
		t.Errorf("route headers: %v", r.Header)
	}

	for _, tc := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"model": "gpt-6.1-sol", "input": "x"}, 400, "invalid"},
		{map[string]any{"model": "nope-embedding", "input": "x"}, 404, "model_not_found"},
		{map[string]any{"model": "text-embedding-3-small", "input": []int{1, 2, 3}}, 400, "invalid"},
		{map[string]any{"model": "text-embedding-3-small", "input": []string{}}, 400, "invalid"},
		{map[string]any{"model": "text-embedding-3-small", "input": "x", "encoding_format": "int8"}, 400, "invalid"},
		{map[string]any{"input": "x"}, 400, "invalid"},
	} {
		r := call(t, base, "POST", "/v1/embeddings", key, tc.body)
		if r.Status != tc.status || !strings.Contains(string(r.Body), `"code":"`+tc.code+`"`) {
			t.Errorf("%v: got %d %s, want %d %s", tc.body, r.Status, r.Body, tc.status, tc.code)
		}
	}

	// Embeddings are costed per input token and land in the ledger.
	var usage struct {
		Rows []copydesk.UsageRow `json:"rows"`
	}
	r = call(t, base, "GET", "/v1/usage?group=kind", key, nil)
	MustStatus(t, r, 200, "usage")
	r.json(t, &usage)
	found := false
	for _, row := range usage.Rows {
		if row.Kind == "embedding" {
			found = true
			if row.Cost <= 0 || row.InputTokens == 0 {
				t.Errorf("embedding usage row: %+v, want a cost from the input tokens", row)
			}
		}
	}
	if !found {
		t.Errorf("no embedding row in usage: %s", r.Body)
	}
	// The calls were made with an API key: grouped by key, they are its row.
	r = call(t, base, "GET", "/v1/usage?group=key", key, nil)
	MustStatus(t, r, 200, "usage by key")
	usage.Rows = nil
	r.json(t, &usage)
	if len(usage.Rows) != 1 || !strings.HasPrefix(usage.Rows[0].KeyID, copydesk.APIKeyIDPrefix) || usage.Rows[0].Cost <= 0 || usage.Rows[0].Model != "" {
		t.Errorf("usage by key: %s, want one row naming the caller's key, with its cost", r.Body)
	}
}

// TestGatewayKeyModelLists limits a key to some models: the list shows only
// those, other models answer 403, and the key cannot grant more.
func TestGatewayKeyModelLists(t *testing.T) {
	t.Parallel()
	base, admin, _ := MustGateway(t, providertest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := call(t, base, "POST", "/v1/keys", admin, map[string]any{"name": "limited", "models": []string{"fast", "gpt-6-luna", "anthropic/claude-haiku-5-5"}})
	MustStatus(t, r, 201, "create a limited key")
	var created struct {
		Key    string          `json:"key"`
		APIKey copydesk.APIKey `json:"api_key"`
	}
	r.json(t, &created)
	if len(created.APIKey.Models) != 3 {
		t.Fatalf("created key models: %v", created.APIKey.Models)
	}
	client := openaiClient(base, created.Key)
	var ids []string
	pager := client.Models.ListAutoPaging(ctx)
	for pager.Next() {
		ids = append(ids, pager.Current().ID)
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"claude-haiku-5-5", "fast", "gpt-6-luna"}; !slices.Equal(ids, want) {
		t.Errorf("limited list: got %v, want %v", ids, want)
	}
	for _, tc := range []struct {
		model string
		ok    bool
	}{
		{"gpt-6-luna", true},
		{"openai/gpt-6-luna", true},
		{"fast", true},
		{"claude-haiku-5-5", true},
		{"gemini/gemini-4-neon", false},
		{"claude-opus-5-5", false},
		{"auto", false}, // the rules would pick the quality class
		{"gpt-4o", false},
	} {
		_, err := client.Chat.Completions.New(ctx, openaisdk.ChatCompletionNewParams{Model: tc.model, Messages: userMessages("x " + tc.model)})
		var apiErr *openaisdk.Error
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v, want allowed", tc.model, err)
		case !tc.ok && (!errors.As(err, &apiErr) || apiErr.StatusCode != 403 || apiErr.Type != "permission_error"):
			t.Errorf("%s: got %v, want 403 permission_error", tc.model, err)
		}
	}
	if _, err := client.Models.Get(ctx, "claude-opus-5-5"); err == nil {
		t.Error("get a model the key may not use: want 404")
	}
	r = call(t, base, "POST", "/v1/keys", created.Key, map[string]any{"models": []string{"claude-opus-5-5"}})
	MustStatus(t, r, 403, "grant a model the key lacks")
	r = call(t, base, "POST", "/v1/embeddings", created.Key, map[string]any{"model": "text-embedding-3-small", "input": "x"})
	MustStatus(t, r, 403, "embeddings with a chat-only key")
}
