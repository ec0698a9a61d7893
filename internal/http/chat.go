package http

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// ChatKind is the task kind of /v1/chat/completions calls, for routing and
// the cache tier.
const ChatKind = "chat"

// chatRequest is the part of OpenAI's chat completion request Copydesk
// serves. Other fields an SDK sends are accepted and ignored, except those
// that would change the answer in ways Copydesk cannot honour (n > 1, tools),
// which are refused.
type chatRequest struct {
	Model         string        `json:"model"`
	Messages      []chatMessage `json:"messages"`
	Stream        bool          `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	N                   *int            `json:"n"`
	Tools               json.RawMessage `json:"tools"`
	ResponseFormat      *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns the message content: a string, or the text parts of an array.
func (m chatMessage) text() (string, error) {
	// A string without escapes is its bytes (Content is valid JSON: the
	// body was decoded), as json.Unmarshal would give them: 1.2 % of a
	// cache hit's CPU went to decoding it again.
	if c := m.Content; len(c) >= 2 && c[0] == '"' && bytes.IndexByte(c, '\\') < 0 && utf8.Valid(c) {
		return string(c[1 : len(c)-1]), nil
	}
	var s string
	if err := json.Unmarshal(m.Content, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", copydesk.Errorf(copydesk.EINVALID, "messages: content must be a string or an array of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", copydesk.Errorf(copydesk.EINVALID, "messages: content part type %q is not supported; send text", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// modelRequest validates the request and turns it into a model call.
func (c *chatRequest) modelRequest() (copydesk.ModelRequest, error) {
	var req copydesk.ModelRequest
	if len(c.Messages) == 0 {
		return req, copydesk.Errorf(copydesk.EINVALID, "messages: at least one message is required")
	}
	if c.N != nil && *c.N != 1 {
		return req, copydesk.Errorf(copydesk.EINVALID, "n: only 1 choice per request is supported")
	}
	if len(c.Tools) > 0 && string(c.Tools) != "null" && string(c.Tools) != "[]" {
		return req, copydesk.Errorf(copydesk.EINVALID, "tools are not supported by this endpoint")
	}
	if c.Model != "auto" {
		req.Model = c.Model
	}
	for i, m := range c.Messages {
		text, err := m.text()
		if err != nil {
			return req, err
		}
		switch m.Role {
		case "system", "developer":
			if req.System != "" {
				req.System += "\n"
			}
			req.System += text
		case "user", "assistant":
			req.Messages = append(req.Messages, copydesk.Message{Role: m.Role, Content: text})
		default:
			return req, copydesk.Errorf(copydesk.EINVALID, "messages[%d].role %q is not one of system, developer, user, assistant", i, m.Role)
		}
	}
	if len(req.Messages) == 0 {
		return req, copydesk.Errorf(copydesk.EINVALID, "messages: at least one user message is required")
	}
	switch {
	case c.MaxCompletionTokens != nil:
		req.MaxTokens = *c.MaxCompletionTokens
	case c.MaxTokens != nil:
		req.MaxTokens = *c.MaxTokens
	}
	if req.MaxTokens < 0 || req.MaxTokens > 1_000_000 {
		return req, copydesk.Errorf(copydesk.EINVALID, "max_tokens must be between 1 and 1000000")
	}
	if t := c.Temperature; t != nil && (*t < 0 || *t > 2) {
		return req, copydesk.Errorf(copydesk.EINVALID, "temperature must be between 0 and 2")
	}
	req.Temperature = c.Temperature
	if rf := c.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_schema":
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
				return req, copydesk.Errorf(copydesk.EINVALID, "response_format.json_schema.schema is required")
			}
			req.JSONSchema, req.SchemaName = rf.JSONSchema.Schema, rf.JSONSchema.Name
		case "json_object":
			req.JSONSchema, req.SchemaName = json.RawMessage(`{"type":"object"}`), "object"
		default:
			return req, copydesk.Errorf(copydesk.EINVALID, "response_format.type %q is not one of text, json_schema, json_object", rf.Type)
		}
	}
	return req, nil
}

// chatCompletion is OpenAI's non-streaming answer.
type chatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *chatUsage   `json:"usage"`
}

type chatChoice struct {
	Index        int        `json:"index"`
	Message      chatAnswer `json:"message"`
	Logprobs     *struct{}  `json:"logprobs"` // always null, as OpenAI's without logprobs
	FinishReason string     `json:"finish_reason"`
}

type chatAnswer struct {
	Role    string  `json:"role"`
	Content string  `json:"content"`
	Refusal *string `json:"refusal"` // always null: a refusal is an error here
}

type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func usageOf(u copydesk.Usage) *chatUsage {
	cu := &chatUsage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.InputTokens + u.OutputTokens}
	cu.PromptTokensDetails.CachedTokens = u.CachedTokens
	return cu
}

func finishReason(r string) string {
	switch r {
	case "", "stop", "end_turn", "STOP", "stop_sequence":
		return "stop"
	case "length", "max_tokens", "MAX_TOKENS":
		return "length"
	}
	return r
}

func newChatID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "chatcmpl-" + hex.EncodeToString(b[:])
}

// handleChatCompletions serves OpenAI's chat completions API, streaming or
// not, through the same router, limits, cache and accounting as every
// other model call, so OpenAI SDK clients can use Copydesk by changing their
// base URL.
func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	var body chatRequest
	call, info, ok := gatewayCall(s, w, r, ChatKind, "chat completions", &body, (*chatRequest).modelRequest)
	if !ok {
		return
	}
	req := call.Request
	// Every chunk names the model expected to answer (the first choice of
	// the route), as OpenAI's chunks each name theirs.
	model := cmp.Or(info.Model, req.Model)
	id, created := newChatID(), time.Now().Unix()
	if !body.Stream {
		res, err := s.Models.Stream(r.Context(), call, nil)
		if err != nil {
			s.writeError(w, r, modelError(err))
			return
		}
		setRouteHeaders(w, res)
		c := chatCompletion{
			ID: id, Object: "chat.completion", Created: created, Model: res.Usage.Model,
			Choices: []chatChoice{{Message: chatAnswer{Role: "assistant", Content: res.Response.Text},
				FinishReason: finishReason(res.Response.FinishReason)}},
			Usage: usageOf(res.Response.Usage),
		}
		_ = writeAppended(w, http.StatusOK, func(b []byte) ([]byte, error) { return c.appendJSON(b), nil })
		return
	}

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	started := false
	head := chunkHead{id: id, created: created, model: model}
	var buf []byte // kept from chunk to chunk
	send := func(b []byte) error {
		buf = b[:0]
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	chunk := func(delta int, content, finish string) error {
		return send(head.appendChunk(buf, delta, content, finish))
	}
	begin := func() error {
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		started = true
		return chunk(deltaRole, "", "")
	}
	res, err := s.Models.Stream(r.Context(), call, func(d string) error {
		if !started {
			if err := begin(); err != nil {
				return err
			}
		}
		return chunk(deltaContent, d, "")
	})
	if err != nil {
		if !started {
			s.writeError(w, r, modelError(err))
			return
		}
		// Mid-stream: the SDK reads an error object from the stream.
		var b bytes.Buffer
		b.WriteString("data: ")
		_ = json.NewEncoder(&b).Encode(errorBody{Error: errorDetail{Code: copydesk.FailureCode(err), Message: copydesk.FailureMessage(err), RequestID: requestID(r.Context())}})
		b.WriteString("\n")
		_, _ = w.Write(b.Bytes())
		_ = rc.Flush()
		return
	}
	if !started {
		setRouteHeaders(w, res)
		if err := begin(); err != nil {
			return
		}
	}
	if err := chunk(deltaEnd, "", finishReason(res.Response.FinishReason)); err != nil {
		return
	}
	if body.StreamOptions != nil && body.StreamOptions.IncludeUsage {
		if err := send(head.appendUsageChunk(buf, usageOf(res.Response.Usage))); err != nil {
			return
		}
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	_ = rc.Flush()
}

// setRouteHeaders tells the client where its answer came from.
func setRouteHeaders(w http.ResponseWriter, res *copydesk.ModelResult) {
	h := w.Header()
	vals := []string{res.Usage.Provider, res.Usage.Model} // one allocation for both
	h[hdrCopydeskProvider] = vals[0:1:1]
	h[hdrCopydeskModel] = vals[1:2:2]
	if res.Cached {
		h[hdrCopydeskCache] = valHit
	} else {
		h[hdrCopydeskCache] = valMiss
	}
	if res.Simulated {
		h[hdrCopydeskSim] = valTrue
	}
	if res.ClampedMaxTokens > 0 {
		// The budget paid for this many output tokens, not the cap asked
		// for: the answer may stop there (finish_reason "length").
		setInt(h, hdrCopydeskClamped, res.ClampedMaxTokens)
	}
}

// modelError maps a failed model call for the HTTP answer: a provider
// failure is 502-like "unavailable" with its kind in the message; domain
// errors keep their code.
func modelError(err error) error {
	if e, ok := errors.AsType[*copydesk.Error](err); ok {
		return e
	}
	if _, ok := errors.AsType[*copydesk.ProviderError](err); ok {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "the model provider failed: %s", copydesk.FailureCode(err))
	}
	return err
}
