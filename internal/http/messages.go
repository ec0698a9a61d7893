package http

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// This file serves Anthropic's Messages API (POST /v1/messages and
// /v1/messages/count_tokens) in Anthropic's wire format, so that Anthropic's
// SDKs work against Copydesk by changing their base URL. Calls go through
// the same model service as /v1/chat/completions (routing, limits, budget,
// cache, ledger) and may be routed to any provider: the request and the
// stream are translated both ways.

// messagesRequest is the part of Anthropic's Messages request Copydesk
// serves. Fields an SDK sends that do not change the answer are accepted and
// ignored (metadata, service_tier, top_p, top_k); those Copydesk cannot
// honour (tools, stop sequences, thinking budgets, non-text content) are
// refused with invalid_request_error.
type messagesRequest struct {
	Model         string             `json:"model"`
	MaxTokens     *int               `json:"max_tokens"`
	Messages      []anthropicMessage `json:"messages"`
	System        json.RawMessage    `json:"system"`
	Temperature   *float64           `json:"temperature"`
	StopSequences []string           `json:"stop_sequences"`
	Stream        bool               `json:"stream"`
	Tools         json.RawMessage    `json:"tools"`
	ToolChoice    json.RawMessage    `json:"tool_choice"`
	Thinking      *struct {
		Type string `json:"type"`
	} `json:"thinking"`
	OutputConfig *struct {
		Format *struct {
			Type   string          `json:"type"`
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"output_config"`
}

type anthropicMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// anthropicText reads content that is a string or an array of text blocks.
func anthropicText(raw json.RawMessage, field string) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", copydesk.Errorf(copydesk.EINVALID, "%s: must be a string or an array of content blocks", field)
	}
	var b strings.Builder
	for i, bl := range blocks {
		if bl.Type != "text" {
			return "", copydesk.Errorf(copydesk.EINVALID, "%s[%d]: content blocks of type %q are not supported here; send text", field, i, bl.Type)
		}
		if i > 0 && field == "system" {
			b.WriteString("\n\n")
		}
		b.WriteString(bl.Text)
	}
	return b.String(), nil
}

func present(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return t != "" && t != "null" && t != "[]" && t != "{}"
}

// modelRequest validates the request and turns it into a model call. With
// forCount, max_tokens is not required (count_tokens takes none).
func (m *messagesRequest) modelRequest(forCount bool) (copydesk.ModelRequest, error) {
	var req copydesk.ModelRequest
	switch {
	case m.Model == "":
		return req, copydesk.Errorf(copydesk.EINVALID, "model: Field required; %s", modelsHint)
	case !forCount && m.MaxTokens == nil:
		return req, copydesk.Errorf(copydesk.EINVALID, "max_tokens: Field required")
	case !forCount && (*m.MaxTokens < 1 || *m.MaxTokens > 1_000_000):
		return req, copydesk.Errorf(copydesk.EINVALID, "max_tokens: must be between 1 and 1000000")
	case len(m.Messages) == 0:
		return req, copydesk.Errorf(copydesk.EINVALID, "messages: at least one message is required")
	case present(m.Tools):
		return req, copydesk.Errorf(copydesk.EINVALID, "tools are not supported by this endpoint")
	case present(m.ToolChoice):
		return req, copydesk.Errorf(copydesk.EINVALID, "tool_choice is not supported by this endpoint")
	case len(m.StopSequences) > 0:
		return req, copydesk.Errorf(copydesk.EINVALID, "stop_sequences are not supported by this endpoint")
	case m.Thinking != nil && m.Thinking.Type != "" && m.Thinking.Type != "disabled" && m.Thinking.Type != "adaptive":
		return req, copydesk.Errorf(copydesk.EINVALID, "thinking.type %q is not supported here; leave thinking out, or send adaptive or disabled", m.Thinking.Type)
	}
	if t := m.Temperature; t != nil && (*t < 0 || *t > 1) {
		return req, copydesk.Errorf(copydesk.EINVALID, "temperature: must be between 0 and 1")
	}
	system, err := anthropicText(m.System, "system")
	if err != nil {
		return req, err
	}
	req.Model, req.System, req.Temperature = m.Model, system, m.Temperature
	if m.MaxTokens != nil {
		req.MaxTokens = *m.MaxTokens
	}
	for i, msg := range m.Messages {
		if msg.Role != "user" && msg.Role != "assistant" {
			return req, copydesk.Errorf(copydesk.EINVALID, "messages[%d].role: %q is not one of user, assistant", i, msg.Role)
		}
		text, err := anthropicText(msg.Content, "messages["+strconv.Itoa(i)+"].content")
		if err != nil {
			return req, err
		}
		req.Messages = append(req.Messages, copydesk.Message{Role: msg.Role, Content: text})
	}
	if req.Messages[0].Role != "user" {
		return req, copydesk.Errorf(copydesk.EINVALID, "messages: the first message must use the user role")
	}
	if oc := m.OutputConfig; oc != nil && oc.Format != nil {
		switch oc.Format.Type {
		case "json_schema":
			if !present(oc.Format.Schema) {
				return req, copydesk.Errorf(copydesk.EINVALID, "output_config.format.schema: Field required")
			}
			req.JSONSchema, req.SchemaName = oc.Format.Schema, "output"
		default:
			return req, copydesk.Errorf(copydesk.EINVALID, "output_config.format.type %q is not json_schema", oc.Format.Type)
		}
	}
	return req, nil
}

// stopReason maps any provider's finish reason to Anthropic's stop_reason.
func stopReason(r string) string {
	switch r {
	case "length", "max_tokens", "MAX_TOKENS":
		return "max_tokens"
	case "stop_sequence":
		return "stop_sequence"
	case "content_filter", "SAFETY", "refusal", "PROHIBITED_CONTENT", "BLOCKLIST":
		return "refusal"
	}
	return "end_turn"
}

// anthropicUsage is Anthropic's usage block: input_tokens counts only the
// uncached part of the prompt.
type anthropicUsage struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

func anthropicUsageOf(u copydesk.Usage) anthropicUsage {
	cached := min(u.CachedTokens, u.InputTokens)
	return anthropicUsage{InputTokens: u.InputTokens - cached, CacheReadInputTokens: cached, OutputTokens: u.OutputTokens}
}

type textBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// anthropicMessageBody is Anthropic's Message object.
type anthropicMessageBody struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []textBlock    `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        anthropicUsage `json:"usage"`
}

func newMessageID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}

// handleMessages serves Anthropic's Messages API, streaming or not.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	var body messagesRequest
	call, info, ok := gatewayCall(s, w, r, ChatKind, "the messages API", &body, func(b *messagesRequest) (copydesk.ModelRequest, error) { return b.modelRequest(false) })
	if !ok {
		return
	}
	req := call.Request
	id, model := newMessageID(), cmp.Or(info.Model, req.Model)
	if !body.Stream {
		res, err := s.Models.Stream(r.Context(), call, nil)
		if err != nil {
			s.writeError(w, r, modelError(err))
			return
		}
		setRouteHeaders(w, res)
		stop := stopReason(res.Response.FinishReason)
		writeJSON(w, http.StatusOK, anthropicMessageBody{
			ID: id, Type: "message", Role: "assistant", Model: cmp.Or(res.Usage.Model, model),
			Content: []textBlock{{Type: "text", Text: res.Response.Text}}, StopReason: &stop,
			Usage: anthropicUsageOf(res.Response.Usage),
		})
		return
	}

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	started := false
	event := func(name string, v any) error {
		var b bytes.Buffer
		b.WriteString("event: ")
		b.WriteString(name)
		b.WriteString("\ndata: ")
		if err := json.NewEncoder(&b).Encode(v); err != nil {
			return err
		}
		b.WriteString("\n")
		if _, err := w.Write(b.Bytes()); err != nil {
			return err
		}
		return rc.Flush()
	}
	begin := func() error {
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		started = true
		err := event("message_start", map[string]any{"type": "message_start", "message": anthropicMessageBody{
			ID: id, Type: "message", Role: "assistant", Model: model, Content: []textBlock{}, Usage: anthropicUsage{OutputTokens: 1},
		}})
		if err == nil {
			err = event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": textBlock{Type: "text"}})
		}
		if err == nil {
			err = event("ping", map[string]string{"type": "ping"})
		}
		return err
	}
	delta := func(d string) error {
		return event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]string{"type": "text_delta", "text": d}})
	}
	res, err := s.Models.Stream(r.Context(), call, func(d string) error {
		if !started {
			if err := begin(); err != nil {
				return err
			}
		}
		return delta(d)
	})
	if err != nil {
		if !started {
			s.writeError(w, r, modelError(err))
			return
		}
		// Mid-stream: Anthropic's SDKs read an error event.
		_ = event("error", anthropicErrorBody(modelError(err), requestID(r.Context())))
		return
	}
	if !started {
		setRouteHeaders(w, res)
		if err := begin(); err != nil {
			return
		}
	}
	stop := stopReason(res.Response.FinishReason)
	if event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}) != nil {
		return
	}
	if event("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
		"usage": anthropicUsageOf(res.Response.Usage)}) != nil {
		return
	}
	_ = event("message_stop", map[string]string{"type": "message_stop"})
}

// handleCountTokens serves Anthropic's token counting: the input tokens of
// a Messages request for the model it names, counted by the provider where
// its API can (Anthropic, Gemini) and estimated otherwise.
func (s *Server) handleCountTokens(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body messagesRequest
	if err := decodeJSONLenient(w, r, s.bodyLimit(r), &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, err := body.modelRequest(true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Tokens == nil {
		s.writeError(w, r, copydesk.NoProvider("token counting"))
		return
	}
	if _, err := s.resolveModel(p, copydesk.ModelCall{Kind: ChatKind, Request: req}); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.Tokens.CountTokens(r.Context(), req)
	if err != nil {
		s.writeError(w, r, modelError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"input_tokens": n})
}

// anthropicErrorTypes are Anthropic's error types by code; the rest are
// invalid_request_error.
var anthropicErrorTypes = map[string]string{
	copydesk.EUNAUTHORIZED:   "authentication_error",
	copydesk.EFORBIDDEN:      "permission_error",
	copydesk.ENOTFOUND:       "not_found_error",
	copydesk.ENOMODEL:        "not_found_error",
	copydesk.ETOOLARGE:       "request_too_large",
	copydesk.ERATELIMITED:    "rate_limit_error",
	copydesk.EBUDGETEXCEEDED: "billing_error",
	copydesk.ENOPROVIDER:     "api_error",
	copydesk.EUNAVAILABLE:    "overloaded_error",
	copydesk.EINTERNAL:       "api_error",
}

// isAnthropicPath reports whether errors on path are written in Anthropic's
// shape.
func isAnthropicPath(path string) bool {
	return path == "/v1/messages" || strings.HasPrefix(path, "/v1/messages/")
}

func anthropicErrorBody(err error, requestID string) map[string]any {
	code := copydesk.ErrorCode(err)
	return map[string]any{
		"type":       "error",
		"error":      map[string]string{"type": cmp.Or(anthropicErrorTypes[code], "invalid_request_error"), "message": copydesk.ErrorMessage(err), "code": code},
		"request_id": requestID,
	}
}

// writeAnthropicError answers with err's status and Anthropic's error shape.
func writeAnthropicError(w http.ResponseWriter, r *http.Request, err error) {
	writeJSON(w, ErrorStatus(copydesk.ErrorCode(err)), anthropicErrorBody(err, requestID(r.Context())))
}
