package http

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// fakeModels answers every call with "Hello" (in two deltas when
// streaming) and embeddings of one vector per input; err fails calls.
type fakeModels struct {
	mu    sync.Mutex
	calls []copydesk.ModelCall
	err   error
}

func (f *fakeModels) Stream(_ context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	res := &copydesk.ModelResult{Usage: copydesk.UsageRecord{Provider: "fake", Model: "gpt-test"}, Simulated: true,
		Response: &copydesk.ModelResponse{Text: "Hello", FinishReason: "stop", Usage: copydesk.Usage{InputTokens: 3, OutputTokens: 1}}}
	for range call.Request.Input {
		res.Response.Embeddings = append(res.Response.Embeddings, copydesk.Vector{0.5, -1})
	}
	if onDelta != nil {
		for _, d := range []string{"Hel", "lo"} {
			if err := onDelta(d); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

func (f *fakeModels) CountTokens(_ context.Context, req copydesk.ModelRequest) (int, error) {
	if req.Model == "unknown" {
		return 0, copydesk.Errorf(copydesk.ENOMODEL, "the model %q is not served", req.Model)
	}
	return 7, nil
}

// fakeDirectory serves "gpt-test" (chat) and "embed-test" (embeddings).
type fakeDirectory struct{}

var fakeModelList = []copydesk.ModelInfo{
	{ID: "embed-test", Kind: copydesk.ModelKindEmbedding, Provider: "fake", Model: "embed-test"},
	{ID: "gpt-test", Kind: copydesk.ModelKindChat, Provider: "fake", Model: "gpt-test"},
}

func (fakeDirectory) Models() []copydesk.ModelInfo { return fakeModelList }

func (fakeDirectory) ResolveModel(call copydesk.ModelCall) (copydesk.ModelInfo, error) {
	embedding := call.Kind == EmbeddingKind
	for _, m := range fakeModelList {
		if m.ID == call.Request.Model || call.Request.Model == "" && !embedding {
			if (m.Kind == copydesk.ModelKindEmbedding) != embedding {
				return m, copydesk.Errorf(copydesk.EINVALID, "%s is not a model of this kind", m.ID)
			}
			return m, nil
		}
	}
	return copydesk.ModelInfo{}, copydesk.Errorf(copydesk.ENOMODEL, "the model %q does not exist", call.Request.Model)
}

func MustGateway(tb testing.TB) (*testServer, *fakeModels) {
	models := &fakeModels{}
	ts := MustServer(tb, func(s *Server) { s.Models, s.Directory, s.Tokens = models, fakeDirectory{}, models })
	ts.auth.extra = map[string]copydesk.Principal{
		"embedonly": {UserID: "usr_e", CustomerID: "cus_a", Role: copydesk.RoleUser, Method: auth.MethodKey, KeyID: "key_e", Models: []string{"embed-test"}},
	}
	return ts, models
}

func TestChatCompletions(t *testing.T) {
	t.Parallel()
	ts, models := MustGateway(t)
	chat := map[string]any{"model": "gpt-test", "messages": []any{map[string]any{"role": "user", "content": "Say hi"}}, "max_tokens": 16}
	w := ts.do(t, "POST", "/v1/chat/completions", "user", chat)
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"content":"Hello"`) || !strings.Contains(w.Body.String(), `"finish_reason":"stop"`) ||
		w.Header().Get("X-Copydesk-Provider") != "fake" || w.Header().Get("X-Copydesk-Simulated") != "true" {
		t.Errorf("chat: got %s (%v)", w.Body.String(), w.Header())
	}
	if c := models.calls[0]; c.CustomerID != "cus_a" || c.UserID != "usr_user" || c.KeyID != "key_user" || c.Priority != copydesk.PriorityCritical {
		t.Errorf("call: got %+v", c)
	}
	chat["stream"] = true
	w = ts.do(t, "POST", "/v1/chat/completions", "user", chat)
	MustStatus(t, w, 200, "")
	body := w.Body.String()
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") || !strings.Contains(body, `"content":"Hel"`) ||
		!strings.Contains(body, `"content":"lo"`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("chat stream: got %q", body)
	}
	MustStatus(t, ts.do(t, "POST", "/v1/chat/completions", "user", map[string]any{"model": "gpt-test", "messages": []any{}}), 400, "invalid")
	MustStatus(t, ts.do(t, "POST", "/v1/chat/completions", "user", map[string]any{"model": "nope", "messages": chat["messages"]}), 404, "model_not_found")
	MustStatus(t, ts.do(t, "POST", "/v1/chat/completions", "embedonly", map[string]any{"model": "gpt-test", "messages": chat["messages"]}), 403, "forbidden")
	models.err = &copydesk.ProviderError{Provider: "fake", Kind: copydesk.ProviderOverloaded, Status: 529, Message: "secret upstream detail"}
	delete(chat, "stream")
	w = ts.do(t, "POST", "/v1/chat/completions", "user", chat)
	MustStatus(t, w, 503, "unavailable")
	if strings.Contains(w.Body.String(), "secret upstream detail") {
		t.Errorf("provider error leaked: %s", w.Body.String())
	}
	// Without a provider the gateway says so.
	none := MustServer(t, nil)
	MustStatus(t, none.do(t, "POST", "/v1/chat/completions", "user", chat), 503, "no_provider")
}

func TestMessages(t *testing.T) {
	t.Parallel()
	ts, _ := MustGateway(t)
	msg := map[string]any{"model": "gpt-test", "max_tokens": 16, "messages": []any{map[string]any{"role": "user", "content": "Say hi"}}}
	w := ts.do(t, "POST", "/v1/messages", "user", msg, "Anthropic-Version", "2023-06-01")
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["type"] != "message" || m["role"] != "assistant" || !strings.Contains(w.Body.String(), `"text":"Hello"`) {
		t.Errorf("messages: got %s", w.Body.String())
	}
	msg["stream"] = true
	w = ts.do(t, "POST", "/v1/messages", "user", msg, "X-Api-Key", "user")
	MustStatus(t, w, 200, "")
	for _, ev := range []string{"event: message_start", "event: content_block_delta", `"text":"Hel"`, "event: message_stop"} {
		if !strings.Contains(w.Body.String(), ev) {
			t.Errorf("messages stream: no %q in %q", ev, w.Body.String())
		}
	}
	// Errors on the Anthropic path come in Anthropic's shape.
	w = ts.do(t, "POST", "/v1/messages", "user", map[string]any{"model": "gpt-test", "messages": []any{}})
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"type":"error"`) || !strings.Contains(w.Body.String(), `"invalid_request_error"`) {
		t.Errorf("messages error: got %d %s", w.Code, w.Body.String())
	}
	w = ts.do(t, "POST", "/v1/messages/count_tokens", "user", map[string]any{"model": "gpt-test", "messages": msg["messages"]})
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"input_tokens":7}` {
		t.Errorf("count_tokens: got %d %s", w.Code, w.Body.String())
	}
	w = ts.do(t, "POST", "/v1/messages/count_tokens", "user", map[string]any{"model": "unknown", "messages": msg["messages"]})
	if w.Code != 404 {
		t.Errorf("count_tokens of an unknown model: got %d %s", w.Code, w.Body.String())
	}
	w = MustServer(t, nil).do(t, "POST", "/v1/messages/count_tokens", "user", map[string]any{"model": "gpt-test", "messages": msg["messages"]})
	if w.Code != 503 {
		t.Errorf("count_tokens without a counter: got %d %s", w.Code, w.Body.String())
	}
}

func TestEmbeddings(t *testing.T) {
	t.Parallel()
	ts, _ := MustGateway(t)
	w := ts.do(t, "POST", "/v1/embeddings", "embedonly", map[string]any{"model": "embed-test", "input": []string{"a", "b"}})
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"embedding":[0.5,-1]`) || !strings.Contains(w.Body.String(), `"index":1`) {
		t.Errorf("embeddings: got %s", w.Body.String())
	}
	w = ts.do(t, "POST", "/v1/embeddings", "user", map[string]any{"model": "embed-test", "input": "a", "encoding_format": "base64"})
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"embedding":"AAAAPwAAgL8="`) {
		t.Errorf("base64 embeddings: got %s", w.Body.String())
	}
	MustStatus(t, ts.do(t, "POST", "/v1/embeddings", "user", map[string]any{"model": "embed-test"}), 400, "invalid")
	MustStatus(t, ts.do(t, "POST", "/v1/embeddings", "user", map[string]any{"model": "gpt-test", "input": "a"}), 400, "invalid")
}

func TestModels(t *testing.T) {
	t.Parallel()
	ts, _ := MustGateway(t)
	w := ts.do(t, "GET", "/v1/models", "user", nil)
	MustStatus(t, w, 200, "")
	if !strings.Contains(w.Body.String(), `"id":"gpt-test"`) || !strings.Contains(w.Body.String(), `"id":"embed-test"`) {
		t.Errorf("models: got %s", w.Body.String())
	}
	w = ts.do(t, "GET", "/v1/models", "embedonly", nil, "Anthropic-Version", "2023-06-01")
	MustStatus(t, w, 200, "")
	if strings.Contains(w.Body.String(), "gpt-test") || !strings.Contains(w.Body.String(), `"first_id":"embed-test"`) {
		t.Errorf("models of a key limited to embed-test: got %s", w.Body.String())
	}
	MustStatus(t, ts.do(t, "GET", "/v1/models/gpt-test", "user", nil), 200, "")
	MustStatus(t, ts.do(t, "GET", "/v1/models/embed-test", "user", nil, "Anthropic-Version", "2023-06-01"), 200, "")
	MustStatus(t, ts.do(t, "GET", "/v1/models/gpt-test", "embedonly", nil), 404, "model_not_found")
	MustStatus(t, ts.do(t, "GET", "/v1/models/nope", "user", nil), 404, "model_not_found")
}

func TestCacheOps(t *testing.T) {
	t.Parallel()
	var purged copydesk.CacheFilter
	an := &fakeAnalysis{resp: &copydesk.AnalysisResponse{Status: "pending", ResultKey: reportKey, JobID: "job_w"}}
	ts := MustServer(t, func(s *Server) {
		s.Analysis = an
		s.Cache = CacheOps{Stats: func(context.Context) any { return map[string]int{"entries": 3} },
			Purge: func(_ context.Context, f copydesk.CacheFilter) (any, error) { purged = f; return 2, nil }}
	})
	w := ts.do(t, "POST", "/v1/cache/purge", "client", map[string]any{"kind": "generation.live"})
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["purged"] != float64(2) || purged.CustomerID != "cus_a" {
		t.Errorf("purge: got %v, filter %+v (a CLIENT purges its own customer's entries)", m, purged)
	}
	MustStatus(t, ts.do(t, "POST", "/v1/cache/purge", "admin", map[string]any{}), 400, "invalid")
	MustStatus(t, ts.do(t, "POST", "/v1/cache/purge", "client", map[string]any{"customer_id": "cus_b"}), 403, "forbidden")
	MustStatus(t, ts.do(t, "POST", "/v1/cache/purge", "admin", map[string]any{"tier": "forever"}), 400, "invalid")
	w = ts.do(t, "POST", "/v1/cache/warm", "client", map[string]any{"items": []any{map[string]any{"content": "Warm me."}}})
	MustStatus(t, w, 202, "")
	if !strings.Contains(w.Body.String(), `"stream_url":"/v1/jobs/job_w/events"`) || an.got[0].Priority != "low" {
		t.Errorf("warm: got %s, request %+v", w.Body.String(), an.got)
	}
	MustStatus(t, ts.do(t, "POST", "/v1/cache/warm", "client", map[string]any{"items": []any{}}), 400, "invalid")
	an.err = copydesk.Errorf(copydesk.EINVALID, "content is required")
	w = ts.do(t, "POST", "/v1/cache/warm", "client", map[string]any{"items": []any{map[string]any{"content": ""}}})
	MustStatus(t, w, 400, "invalid")
	if !strings.Contains(w.Body.String(), "items[0]: content is required") {
		t.Errorf("warm error: got %s", w.Body.String())
	}
}

func TestPrices(t *testing.T) {
	t.Parallel()
	fail := false
	ts := MustServer(t, func(s *Server) {
		s.Prices = func(context.Context) (any, error) {
			if fail {
				return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "no price table")
			}
			return map[string]any{"currency": "EUR", "prices": []any{map[string]any{"model": "m", "source": "config"}}}, nil
		}
	})
	w := ts.do(t, "GET", "/v1/prices", "client", nil)
	MustStatus(t, w, 200, "")
	if m := decode(t, w); m["currency"] != "EUR" || len(m["prices"].([]any)) != 1 || w.Header().Get("Cache-Control") != "private, no-cache" {
		t.Errorf("prices: got %v, Cache-Control %q", m, w.Header().Get("Cache-Control"))
	}
	MustStatus(t, ts.do(t, "GET", "/v1/prices", "user", nil), 403, "forbidden")
	fail = true
	MustStatus(t, ts.do(t, "GET", "/v1/prices", "admin", nil), 503, "unavailable")
}
