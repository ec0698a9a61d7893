package simulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
)

type antRequest struct {
	Model     string          `json:"model"`
	MaxTokens int             `json:"max_tokens"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Temperature *float64 `json:"temperature"`
	Stream      bool     `json:"stream"`
	Tools       []struct {
		Name        string          `json:"name"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
	OutputConfig *struct {
		Format *struct {
			Type   string          `json:"type"`
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"output_config"`
}

// parseAnthropic decodes an Anthropic Messages API request. It reports the
// name of the forced tool when the request asks for tool-use structured
// output.
func parseAnthropic(r *http.Request) (Request, string, error) {
	var in antRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		return Request{}, "", errors.New("could not parse the JSON body: " + err.Error())
	}
	switch {
	case in.Model == "":
		return Request{}, "", errors.New("model: Field required")
	case in.MaxTokens <= 0:
		return Request{}, "", errors.New("max_tokens: Field required and must be positive")
	case len(in.Messages) == 0:
		return Request{}, "", errors.New("messages: at least one message is required")
	}
	system, err := contentText(in.System)
	if err != nil {
		return Request{}, "", errors.New("system: " + err.Error())
	}
	req := Request{
		Provider:    FormatAnthropic,
		Model:       in.Model,
		System:      system,
		MaxTokens:   in.MaxTokens,
		Temperature: in.Temperature,
		Stream:      in.Stream,
		Key:         cmpOrString(r.Header.Get("x-api-key"), bearer(r)),
	}
	for _, m := range in.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return Request{}, "", errors.New("messages: unexpected role " + m.Role)
		}
		text, err := contentText(m.Content)
		if err != nil {
			return Request{}, "", errors.New("messages: " + err.Error())
		}
		req.Messages = append(req.Messages, copydesk.Message{Role: m.Role, Content: text})
	}
	req.Prompt = lastUser(req.Messages)
	tool := ""
	if tc := in.ToolChoice; tc != nil && tc.Type == "tool" {
		for _, t := range in.Tools {
			if t.Name == tc.Name {
				tool = t.Name
				req.JSON, req.Schema, req.SchemaName = true, t.InputSchema, t.Name
			}
		}
		if tool == "" {
			return Request{}, "", errors.New("tool_choice: tool " + tc.Name + " not found in tools")
		}
	}
	if oc := in.OutputConfig; oc != nil && oc.Format != nil && oc.Format.Type == "json_schema" {
		req.JSON, req.Schema = true, oc.Format.Schema
	}
	return req, tool, nil
}

type antError struct {
	Type      string       `json:"type"`
	Error     antErrorBody `json:"error"`
	RequestID string       `json:"request_id,omitempty"`
}

type antErrorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func antErrorFor(status int, requestID string) antError {
	e := antError{Type: "error", RequestID: requestID}
	switch {
	case status == http.StatusTooManyRequests:
		e.Error = antErrorBody{"rate_limit_error", "[simulated] Number of request tokens has exceeded your per-minute rate limit"}
	case status == http.StatusUnauthorized:
		e.Error = antErrorBody{"authentication_error", "[simulated] invalid x-api-key"}
	case status == http.StatusPaymentRequired:
		e.Error = antErrorBody{"billing_error", "[simulated] Your credit balance is too low"}
	case status == http.StatusForbidden:
		e.Error = antErrorBody{"permission_error", "[simulated] Your API key does not have permission to use the specified resource"}
	case status == 529:
		e.Error = antErrorBody{"overloaded_error", "[simulated] Overloaded"}
	case status >= 500:
		e.Error = antErrorBody{"api_error", "[simulated] Internal server error"}
	default:
		e.Error = antErrorBody{"invalid_request_error", "[simulated] Invalid request"}
	}
	return e
}

type antUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
}

type antBlock struct {
	Type  string           `json:"type"`
	Text  *string          `json:"text,omitempty"`
	ID    string           `json:"id,omitempty"`
	Name  string           `json:"name,omitempty"`
	Input *json.RawMessage `json:"input,omitempty"`
}

type antMessage struct {
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	Role         string     `json:"role"`
	Model        string     `json:"model"`
	Content      []antBlock `json:"content"`
	StopReason   *string    `json:"stop_reason"`
	StopSequence *string    `json:"stop_sequence"`
	Usage        antUsage   `json:"usage"`
}

type antDelta struct {
	Type        string  `json:"type,omitempty"`
	Text        *string `json:"text,omitempty"`
	PartialJSON *string `json:"partial_json,omitempty"`
	StopReason  *string `json:"stop_reason,omitempty"`
}

type antEvent struct {
	Type         string      `json:"type"`
	Message      *antMessage `json:"message,omitempty"`
	Index        *int        `json:"index,omitempty"`
	ContentBlock *antBlock   `json:"content_block,omitempty"`
	Delta        *antDelta   `json:"delta,omitempty"`
	Usage        *antUsage   `json:"usage,omitempty"`
}

// antUsage reports usage the Anthropic way: input_tokens excludes tokens read
// from the prompt cache.
func (c *call) antUsage(output int) antUsage {
	return antUsage{InputTokens: c.inTok - c.cached, OutputTokens: output, CacheReadInputTokens: c.cached}
}

// antStop is the stop reason of an answer: max_tokens when it was cut,
// tool_use when it calls the forced tool, else end_turn.
func (c *call) antStop(tool string) string {
	switch {
	case c.limited:
		return "max_tokens"
	case tool != "":
		return "tool_use"
	}
	return "end_turn"
}

// antAnswer is the message a non-streaming call is answered with: one text
// block, or one tool_use block of the forced tool whose input is the answer.
// A message batch answers its requests with it too.
func (c *call) antAnswer(tool string) antMessage {
	var block antBlock
	if tool != "" {
		input := json.RawMessage(c.text)
		if !json.Valid(input) {
			input = json.RawMessage("{}")
		}
		block = antBlock{Type: "tool_use", ID: "toolu_" + c.id, Name: tool, Input: &input}
	} else {
		text := c.text
		block = antBlock{Type: "text", Text: &text}
	}
	stop := c.antStop(tool)
	return antMessage{
		ID: "msg_" + c.id, Type: "message", Role: "assistant", Model: c.req.Model,
		Content: []antBlock{block}, StopReason: &stop, Usage: c.antUsage(c.outTok),
	}
}

func (s *Server) serveAnthropic(w http.ResponseWriter, r *http.Request) {
	req, tool, err := parseAnthropic(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, antError{Type: "error", Error: antErrorBody{"invalid_request_error", "[simulated] " + err.Error()}})
		return
	}
	c := s.begin(req)
	if !s.allowed(req.Key) {
		c.b = Behaviour{Kind: Unauthorized}
	}
	ctx := r.Context()
	requestID := "req_" + c.id
	w.Header().Set("request-id", requestID)
	if st := c.b.status(req.Stream); st != 0 {
		if !sleep(ctx, c.latency) {
			return
		}
		if st == http.StatusTooManyRequests {
			c.b.setRetryAfter(w.Header())
		}
		writeJSON(w, st, antErrorFor(st, requestID))
		return
	}
	stop := c.antStop(tool)
	id := "msg_" + c.id
	if !req.Stream {
		if !sleep(ctx, c.latency) {
			return
		}
		writeJSON(w, http.StatusOK, c.antAnswer(tool))
		return
	}
	ev := startSSE(w)
	ev.event("message_start", antEvent{Type: "message_start", Message: &antMessage{
		ID: id, Type: "message", Role: "assistant", Model: req.Model,
		Content: []antBlock{}, Usage: c.antUsage(1),
	}})
	zero := 0
	if tool != "" {
		input := json.RawMessage("{}")
		ev.event("content_block_start", antEvent{Type: "content_block_start", Index: &zero,
			ContentBlock: &antBlock{Type: "tool_use", ID: "toolu_" + c.id, Name: tool, Input: &input}})
	} else {
		empty := ""
		ev.event("content_block_start", antEvent{Type: "content_block_start", Index: &zero,
			ContentBlock: &antBlock{Type: "text", Text: &empty}})
	}
	ev.raw("ping", []byte(`{"type": "ping"}`))
	if !sleep(ctx, c.ttft) {
		return
	}
	half := -1
	for i, d := range c.deltas {
		if (c.b.Kind == MidStreamError || c.b.Kind == Truncated) && i == c.cut() {
			break
		}
		if i > 0 && !sleep(ctx, c.gap()) {
			return
		}
		delta := &antDelta{Type: "text_delta", Text: &d}
		if tool != "" {
			delta = &antDelta{Type: "input_json_delta", PartialJSON: &d}
		}
		ev.event("content_block_delta", antEvent{Type: "content_block_delta", Index: &zero, Delta: delta})
		if i == len(c.deltas)/2 && len(c.deltas) > 2 {
			half = countWords(strings.Join(c.deltas[:i+1], ""))
		}
	}
	switch c.b.Kind {
	case MidStreamError:
		ev.event("error", antErrorFor(529, requestID))
		return
	case Truncated:
		return
	}
	ev.event("content_block_stop", antEvent{Type: "content_block_stop", Index: &zero})
	if half > 0 {
		// Anthropic's message_delta usage is a running total: a first
		// delta with the count so far, then the final count.
		u := c.antUsage(half)
		ev.event("message_delta", antEvent{Type: "message_delta", Delta: &antDelta{}, Usage: &u})
	}
	u := c.antUsage(c.outTok)
	ev.event("message_delta", antEvent{Type: "message_delta", Delta: &antDelta{StopReason: &stop}, Usage: &u})
	ev.event("message_stop", antEvent{Type: "message_stop"})
}
