package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
)

type gemContent struct {
	Role  string    `json:"role,omitempty"`
	Parts []gemPart `json:"parts"`
}

type gemPart struct {
	Text string `json:"text"`
}

type gemRequest struct {
	Contents          []gemContent `json:"contents"`
	SystemInstruction *gemContent  `json:"systemInstruction"`
	GenerationConfig  *struct {
		MaxOutputTokens    int             `json:"maxOutputTokens"`
		Temperature        *float64        `json:"temperature"`
		ResponseMIMEType   string          `json:"responseMimeType"`
		ResponseSchema     json.RawMessage `json:"responseSchema"`
		ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
	} `json:"generationConfig"`
}

func partsText(c *gemContent) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range c.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// parseGemini decodes a Gemini generateContent request. The model and the
// method come from the path segment "{model}:{method}".
func parseGemini(r *http.Request) (Request, string, error) {
	model, method, ok := strings.Cut(r.PathValue("call"), ":")
	if !ok || model == "" {
		return Request{}, "", errors.New("path must be models/{model}:{method}")
	}
	if method != "generateContent" && method != "streamGenerateContent" {
		return Request{}, "", fmt.Errorf("unknown method %q", method)
	}
	var in gemRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		return Request{}, "", errors.New("invalid JSON payload received: " + err.Error())
	}
	if len(in.Contents) == 0 {
		return Request{}, "", errors.New("* GenerateContentRequest.contents: contents is not specified")
	}
	req := Request{
		Provider: FormatGemini,
		Model:    model,
		System:   partsText(in.SystemInstruction),
		Stream:   method == "streamGenerateContent",
		Key:      cmpOrString(r.Header.Get("x-goog-api-key"), r.URL.Query().Get("key")),
	}
	for i := range in.Contents {
		role := "user"
		switch in.Contents[i].Role {
		case "", "user":
		case "model":
			role = "assistant"
		default:
			return Request{}, "", fmt.Errorf("* GenerateContentRequest.contents[%d].role: unknown role %q", i, in.Contents[i].Role)
		}
		req.Messages = append(req.Messages, copydesk.Message{Role: role, Content: partsText(&in.Contents[i])})
	}
	req.Prompt = lastUser(req.Messages)
	if gc := in.GenerationConfig; gc != nil {
		req.MaxTokens = gc.MaxOutputTokens
		req.Temperature = gc.Temperature
		if gc.ResponseMIMEType == "application/json" {
			req.JSON = true
		}
		if len(gc.ResponseJSONSchema) > 0 && string(gc.ResponseJSONSchema) != "null" {
			req.Schema = gc.ResponseJSONSchema
		} else if len(gc.ResponseSchema) > 0 && string(gc.ResponseSchema) != "null" {
			req.Schema = gc.ResponseSchema
		}
		if isTranslationSchema(req.Schema) {
			req.SchemaName = TranslationSchemaName
		}
	}
	if req.Stream && r.URL.Query().Get("alt") != "sse" {
		return Request{}, "", errors.New("streamGenerateContent without alt=sse is not supported by the fake")
	}
	return req, method, nil
}

// isTranslationSchema reports whether schema asks for what a translation
// call asks ({"translations": [{"n", "text"}…]}): Gemini's wire format names
// no schema, so a translation call is known by its schema's shape.
func isTranslationSchema(schema json.RawMessage) bool {
	var s struct {
		Properties map[string]struct {
			Type  string `json:"type"`
			Items struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"items"`
		} `json:"properties"`
	}
	if len(schema) == 0 || json.Unmarshal(schema, &s) != nil || len(s.Properties) != 1 {
		return false
	}
	t, ok := s.Properties["translations"]
	_, hasN := t.Items.Properties["n"]
	_, hasText := t.Items.Properties["text"]
	return ok && strings.EqualFold(t.Type, "array") && hasN && hasText
}

type gemError struct {
	Error gemErrorBody `json:"error"`
}

type gemErrorBody struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

func gemErrorFor(status int, b Behaviour) gemError {
	e := gemErrorBody{Code: status}
	switch {
	case status == http.StatusTooManyRequests:
		e.Status, e.Message = "RESOURCE_EXHAUSTED", "[simulated] Resource has been exhausted (e.g. check quota)."
		e.Details = []map[string]any{
			{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []any{map[string]any{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests"}}},
			{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": fmt.Sprintf("%gs", b.retryAfter().Seconds())},
		}
	case status == http.StatusUnauthorized:
		e.Status, e.Message = "UNAUTHENTICATED", "[simulated] API key not valid. Please pass a valid API key."
	case status == http.StatusForbidden || status == http.StatusPaymentRequired:
		e.Status, e.Message = "PERMISSION_DENIED", "[simulated] The caller does not have permission."
	case status == http.StatusServiceUnavailable || status == 529:
		e.Status, e.Message = "UNAVAILABLE", "[simulated] The model is overloaded. Please try again later."
	case status >= 500:
		e.Status, e.Message = "INTERNAL", "[simulated] An internal error has occurred."
	default:
		e.Status, e.Message = "INVALID_ARGUMENT", "[simulated] Request contains an invalid argument."
	}
	return gemError{e}
}

type gemUsage struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount         int `json:"totalTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount,omitempty"`
}

type gemCandidate struct {
	Content      gemContent `json:"content"`
	FinishReason string     `json:"finishReason,omitempty"`
	Index        int        `json:"index"`
}

type gemResponse struct {
	Candidates    []gemCandidate `json:"candidates"`
	UsageMetadata gemUsage       `json:"usageMetadata"`
	ModelVersion  string         `json:"modelVersion"`
	ResponseID    string         `json:"responseId"`
}

func (c *call) gemUsage(output int) gemUsage {
	return gemUsage{PromptTokenCount: c.inTok, CandidatesTokenCount: output, TotalTokenCount: c.inTok + output, CachedContentTokenCount: c.cached}
}

// gemFinish is the finishReason of the call's whole answer.
func (c *call) gemFinish() string {
	if c.limited {
		return "MAX_TOKENS"
	}
	return "STOP"
}

// gemResponse is a generateContent answer (or stream chunk) of text.
func (c *call) gemResponse(text, finish string, u gemUsage) gemResponse {
	return gemResponse{
		Candidates:    []gemCandidate{{Content: gemContent{Role: "model", Parts: []gemPart{{Text: text}}}, FinishReason: finish}},
		UsageMetadata: u, ModelVersion: c.req.Model, ResponseID: c.id,
	}
}

func (s *Server) serveGemini(w http.ResponseWriter, r *http.Request) {
	switch _, method, _ := strings.Cut(r.PathValue("call"), ":"); method {
	case "batchEmbedContents", "embedContent":
		s.serveGeminiEmbed(w, r, method)
		return
	case "countTokens":
		s.serveGeminiCount(w, r)
		return
	case "batchGenerateContent":
		s.serveGeminiBatchCreate(w, r)
		return
	}
	req, _, err := parseGemini(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, gemError{gemErrorBody{Code: 400, Status: "INVALID_ARGUMENT", Message: "[simulated] " + err.Error()}})
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
		writeJSON(w, st, gemErrorFor(st, c.b))
		return
	}
	finish := c.gemFinish()
	resp := c.gemResponse
	if !req.Stream {
		if !sleep(ctx, c.latency) {
			return
		}
		writeJSON(w, http.StatusOK, resp(c.text, finish, c.gemUsage(c.outTok)))
		return
	}
	// Gemini's SDK accepts only single-line data: events (no event:, id: or
	// comment lines).
	ev := startSSE(w)
	if !sleep(ctx, c.ttft) {
		return
	}
	last := len(c.deltas) - 1
	for i, d := range c.deltas {
		if (c.b.Kind == MidStreamError || c.b.Kind == Truncated) && i == c.cut() {
			break
		}
		if i > 0 && !sleep(ctx, c.gap()) {
			return
		}
		if i == last && c.b.Kind != MidStreamError && c.b.Kind != Truncated {
			ev.event("", resp(d, finish, c.gemUsage(c.outTok)))
		} else {
			ev.event("", resp(d, "", c.gemUsage(0)))
		}
	}
	if c.b.Kind == MidStreamError {
		ev.event("", gemErrorFor(http.StatusServiceUnavailable, c.b))
	}
}
