package simulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// maxBody caps request bodies the fake reads.
const maxBody = 8 << 20

type oaiRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	MaxTokens           *int     `json:"max_tokens"`
	MaxCompletionTokens *int     `json:"max_completion_tokens"`
	Temperature         *float64 `json:"temperature"`
	Stream              bool     `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// contentText reads a message content that is a string or an array of
// {"type":"text","text":…} parts.
func contentText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("content must be a string or an array of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// parseOpenAI decodes an OpenAI chat completion request.
func parseOpenAI(r *http.Request) (Request, error) {
	var in oaiRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		return Request{}, errors.New("could not parse the JSON body: " + err.Error())
	}
	if in.Model == "" {
		return Request{}, errors.New("you must provide a model parameter")
	}
	if len(in.Messages) == 0 {
		return Request{}, errors.New("messages must be a non-empty array")
	}
	req := Request{
		Provider:    FormatOpenAI,
		Model:       in.Model,
		Temperature: in.Temperature,
		Stream:      in.Stream,
		Key:         cmpOrString(bearer(r), r.Header.Get("api-key")),
	}
	var system []string
	for _, m := range in.Messages {
		text, err := contentText(m.Content)
		if err != nil {
			return Request{}, err
		}
		switch m.Role {
		case "system", "developer":
			system = append(system, text)
		case "user", "assistant":
			req.Messages = append(req.Messages, copydesk.Message{Role: m.Role, Content: text})
		default:
			return Request{}, errors.New("unsupported message role " + m.Role)
		}
	}
	req.System = strings.Join(system, "\n")
	req.Prompt = lastUser(req.Messages)
	if in.MaxCompletionTokens != nil {
		req.MaxTokens = *in.MaxCompletionTokens
	} else if in.MaxTokens != nil {
		req.MaxTokens = *in.MaxTokens
	}
	if in.StreamOptions != nil {
		req.IncludeUsage = in.StreamOptions.IncludeUsage
	}
	if rf := in.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_schema":
			req.JSON = true
			if rf.JSONSchema != nil {
				req.Schema = rf.JSONSchema.Schema
				req.SchemaName = rf.JSONSchema.Name
			}
		case "json_object":
			req.JSON = true
		}
	}
	return req, nil
}

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type oaiError struct {
	Error oaiErrorBody `json:"error"`
}

type oaiErrorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func oaiErrorFor(status int) oaiError {
	code := func(s string) *string { return &s }
	switch {
	case status == http.StatusTooManyRequests:
		return oaiError{oaiErrorBody{Message: "[simulated] Rate limit reached for requests. Please try again later.", Type: "requests", Code: code("rate_limit_exceeded")}}
	case status == http.StatusUnauthorized:
		return oaiError{oaiErrorBody{Message: "[simulated] Incorrect API key provided.", Type: "invalid_request_error", Code: code("invalid_api_key")}}
	case status == http.StatusPaymentRequired || status == http.StatusForbidden:
		return oaiError{oaiErrorBody{Message: "[simulated] You exceeded your current quota or lack access.", Type: "insufficient_quota", Code: code("insufficient_quota")}}
	case status == http.StatusServiceUnavailable || status == 529:
		return oaiError{oaiErrorBody{Message: "[simulated] The engine is currently overloaded, please try again later.", Type: "server_error"}}
	case status >= 500:
		return oaiError{oaiErrorBody{Message: "[simulated] The server had an error while processing your request.", Type: "server_error"}}
	default:
		return oaiError{oaiErrorBody{Message: "[simulated] Invalid request.", Type: "invalid_request_error"}}
	}
}

type oaiUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

type oaiMessage struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
	Refusal *string `json:"refusal"`
}

type oaiChoice struct {
	Index        int         `json:"index"`
	Message      *oaiMessage `json:"message,omitempty"`
	Delta        *oaiMessage `json:"delta,omitempty"`
	Logprobs     *struct{}   `json:"logprobs"`
	FinishReason *string     `json:"finish_reason"`
}

type oaiResponse struct {
	ID                string      `json:"id"`
	Object            string      `json:"object"`
	Created           int64       `json:"created"`
	Model             string      `json:"model"`
	Choices           []oaiChoice `json:"choices"`
	Usage             *oaiUsage   `json:"usage"`
	SystemFingerprint string      `json:"system_fingerprint"`
}

func (c *call) oaiUsage() *oaiUsage {
	u := &oaiUsage{PromptTokens: c.inTok, CompletionTokens: c.outTok, TotalTokens: c.inTok + c.outTok}
	u.PromptTokensDetails.CachedTokens = c.cached
	return u
}

func (c *call) finishReason(stop, length string) *string {
	if c.limited {
		return &length
	}
	return &stop
}

func (s *Server) serveOpenAI(w http.ResponseWriter, r *http.Request) {
	req, err := parseOpenAI(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] " + err.Error(), Type: "invalid_request_error"}})
		return
	}
	c := s.begin(req)
	if !s.allowed(req.Key) {
		c.b = Behaviour{Kind: Unauthorized}
	}
	ctx := r.Context()
	if st := c.b.status(req.Stream); st != 0 {
		if !sleep(ctx, c.latency) {
			return
		}
		if st == http.StatusTooManyRequests {
			c.b.setRetryAfter(w.Header())
		}
		w.Header().Set("x-request-id", "req_"+c.id)
		writeJSON(w, st, oaiErrorFor(st))
		return
	}
	id := "chatcmpl-" + c.id
	created := time.Now().Unix()
	if !req.Stream {
		if !sleep(ctx, c.latency) {
			return
		}
		text := c.text
		writeJSON(w, http.StatusOK, oaiResponse{
			ID: id, Object: "chat.completion", Created: created, Model: req.Model,
			Choices:           []oaiChoice{{Message: &oaiMessage{Role: "assistant", Content: &text}, FinishReason: c.finishReason("stop", "length")}},
			Usage:             c.oaiUsage(),
			SystemFingerprint: "fp_simulated",
		})
		return
	}
	ev := startSSE(w)
	chunk := func(delta *oaiMessage, finish *string) {
		ev.event("", oaiResponse{
			ID: id, Object: "chat.completion.chunk", Created: created, Model: req.Model,
			Choices:           []oaiChoice{{Delta: delta, FinishReason: finish}},
			SystemFingerprint: "fp_simulated",
		})
	}
	empty := ""
	chunk(&oaiMessage{Role: "assistant", Content: &empty}, nil)
	if !sleep(ctx, c.ttft) {
		return
	}
	for i, d := range c.deltas {
		if (c.b.Kind == MidStreamError || c.b.Kind == Truncated) && i == c.cut() {
			break
		}
		if i > 0 && !sleep(ctx, c.gap()) {
			return
		}
		chunk(&oaiMessage{Content: &d}, nil)
	}
	switch c.b.Kind {
	case MidStreamError:
		ev.event("", oaiErrorFor(http.StatusInternalServerError))
		return
	case Truncated:
		return
	}
	chunk(&oaiMessage{}, c.finishReason("stop", "length"))
	if req.IncludeUsage {
		ev.event("", oaiResponse{
			ID: id, Object: "chat.completion.chunk", Created: created, Model: req.Model,
			Choices: []oaiChoice{}, Usage: c.oaiUsage(), SystemFingerprint: "fp_simulated",
		})
	}
	ev.raw("", []byte("[DONE]"))
}
