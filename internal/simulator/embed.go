package simulator

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// DefaultDimensions is the vector size the fake answers an embeddings call
// that asks for none.
const DefaultDimensions = 8

// Embedding returns the fake's deterministic, unit-length vector for text:
// the same text and size always give the same vector, different texts
// (almost surely) different ones.
func Embedding(text string, dims int) []float32 {
	if dims <= 0 {
		dims = DefaultDimensions
	}
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		h := fnv.New64a()
		_, _ = h.Write([]byte(text))
		_, _ = h.Write([]byte{byte(i), byte(i >> 8)})
		x := float64(h.Sum64()%2001)/1000 - 1 // in [-1, 1]
		v[i] = float32(x)
		norm += x * x
	}
	if norm > 0 {
		for i := range v {
			v[i] = float32(float64(v[i]) / math.Sqrt(norm))
		}
	}
	return v
}

// EmbeddingTokens is the fake's token count for embedding inputs: the
// words of each input, at least one per input.
func EmbeddingTokens(inputs []string) int {
	n := 0
	for _, in := range inputs {
		n += max(1, countWords(in))
	}
	return n
}

// embedCall records an embeddings request and returns its behaviour.
func (s *Server) embedCall(req Request) *call {
	req.Prompt = strings.Join(req.Input, "\n")
	return s.begin(req)
}

type oaiEmbeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

// embeddingInputs reads OpenAI's input: a string, an array of strings, or
// token arrays (one array of token ids, or arrays of them), which the fake
// embeds as their decimal text.
func embeddingInputs(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err == nil {
		return many, nil
	}
	var tokens []int
	if err := json.Unmarshal(raw, &tokens); err == nil {
		return []string{joinInts(tokens)}, nil
	}
	var arrays [][]int
	if err := json.Unmarshal(raw, &arrays); err == nil {
		out := make([]string, len(arrays))
		for i, a := range arrays {
			out[i] = joinInts(a)
		}
		return out, nil
	}
	return nil, errors.New("'input' must be a string, an array of strings, or token arrays")
}

func joinInts(a []int) string {
	parts := make([]string, len(a))
	for i, x := range a {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, " ")
}

func (s *Server) serveOpenAIEmbeddings(w http.ResponseWriter, r *http.Request) {
	var in oaiEmbeddingRequest
	err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in)
	var inputs []string
	if err == nil {
		inputs, err = embeddingInputs(in.Input)
	}
	switch {
	case err != nil:
	case in.Model == "":
		err = errors.New("you must provide a model parameter")
	case len(inputs) == 0 || len(inputs) > 2048:
		err = errors.New("'input' must hold between 1 and 2048 items")
	case in.EncodingFormat != "" && in.EncodingFormat != "float" && in.EncodingFormat != "base64":
		err = fmt.Errorf("'encoding_format' %q is not one of float, base64", in.EncodingFormat)
	case in.Dimensions != nil && *in.Dimensions <= 0:
		err = errors.New("'dimensions' must be positive")
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] " + err.Error(), Type: "invalid_request_error"}})
		return
	}
	req := Request{Provider: FormatOpenAI, Model: in.Model, Input: inputs, Key: cmpOrString(bearer(r), r.Header.Get("api-key"))}
	if in.Dimensions != nil {
		req.Dimensions = *in.Dimensions
	}
	c := s.embedCall(req)
	if !s.allowed(req.Key) {
		c.b = Behaviour{Kind: Unauthorized}
	}
	if !sleep(r.Context(), c.latency) {
		return
	}
	if st := c.b.status(false); st != 0 {
		if st == http.StatusTooManyRequests {
			c.b.setRetryAfter(w.Header())
		}
		writeJSON(w, st, oaiErrorFor(st))
		return
	}
	type datum struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}
	data := make([]datum, len(inputs))
	for i, text := range inputs {
		v := Embedding(text, req.Dimensions)
		var e any = v
		if in.EncodingFormat == "base64" {
			b := make([]byte, 4*len(v))
			for j, x := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(x))
			}
			e = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = datum{Object: "embedding", Index: i, Embedding: e}
	}
	tokens := EmbeddingTokens(inputs)
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "data": data, "model": in.Model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

type gemEmbedRequest struct {
	Model                string     `json:"model"`
	Content              gemContent `json:"content"`
	TaskType             string     `json:"taskType"`
	OutputDimensionality int        `json:"outputDimensionality"`
}

func (s *Server) serveGeminiEmbed(w http.ResponseWriter, r *http.Request, method string) {
	model, _, _ := strings.Cut(r.PathValue("call"), ":")
	var reqs []gemEmbedRequest
	var err error
	if method == "batchEmbedContents" {
		var in struct {
			Requests []gemEmbedRequest `json:"requests"`
		}
		err = json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in)
		reqs = in.Requests
		for i, q := range reqs {
			if err == nil && q.Model != "" && q.Model != "models/"+model {
				err = fmt.Errorf("* BatchEmbedContentsRequest.requests[%d].model: %q does not match the URL's model", i, q.Model)
			}
		}
	} else {
		var one gemEmbedRequest
		err = json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&one)
		reqs = []gemEmbedRequest{one}
	}
	if err == nil && len(reqs) == 0 {
		err = errors.New("* BatchEmbedContentsRequest.requests: requests is not specified")
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, gemError{gemErrorBody{Code: 400, Status: "INVALID_ARGUMENT", Message: "[simulated] " + err.Error()}})
		return
	}
	req := Request{Provider: FormatGemini, Model: model, Dimensions: reqs[0].OutputDimensionality,
		Key: cmpOrString(r.Header.Get("x-goog-api-key"), r.URL.Query().Get("key"))}
	for _, q := range reqs {
		req.Input = append(req.Input, partsText(&q.Content))
	}
	c := s.embedCall(req)
	if !s.allowed(req.Key) {
		c.b = Behaviour{Kind: Unauthorized}
	}
	if !sleep(r.Context(), c.latency) {
		return
	}
	if st := c.b.status(false); st != 0 {
		writeJSON(w, st, gemErrorFor(st, c.b))
		return
	}
	type values struct {
		Values []float32 `json:"values"`
	}
	out := make([]values, len(req.Input))
	for i, text := range req.Input {
		out[i] = values{Embedding(text, reqs[i].OutputDimensionality)}
	}
	if method == "embedContent" {
		writeJSON(w, http.StatusOK, map[string]any{"embedding": out[0]})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"embeddings": out})
}

func (s *Server) serveGeminiCount(w http.ResponseWriter, r *http.Request) {
	model, _, _ := strings.Cut(r.PathValue("call"), ":")
	var in struct {
		Contents []gemContent `json:"contents"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil || len(in.Contents) == 0 {
		writeJSON(w, http.StatusBadRequest, gemError{gemErrorBody{Code: 400, Status: "INVALID_ARGUMENT", Message: "[simulated] * CountTokensRequest.contents: contents is not specified"}})
		return
	}
	req := Request{Provider: FormatGemini, Model: model, CountTokens: true,
		Key: cmpOrString(r.Header.Get("x-goog-api-key"), r.URL.Query().Get("key"))}
	for i := range in.Contents {
		req.Messages = append(req.Messages, userMessage(partsText(&in.Contents[i])))
	}
	s.serveCount(w, r, req, func(st int, c *call) any { return gemErrorFor(st, c.b) }, func(n int) any {
		return map[string]int{"totalTokens": n}
	})
}

func (s *Server) serveAnthropicCount(w http.ResponseWriter, r *http.Request) {
	var in antRequest
	err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in)
	switch {
	case err != nil:
	case in.Model == "":
		err = errors.New("model: Field required")
	case len(in.Messages) == 0:
		err = errors.New("messages: at least one message is required")
	}
	req := Request{Provider: FormatAnthropic, Model: in.Model, CountTokens: true, Key: cmpOrString(r.Header.Get("x-api-key"), bearer(r))}
	if err == nil {
		req.System, err = contentText(in.System)
	}
	for _, m := range in.Messages {
		if err != nil {
			break
		}
		var text string
		text, err = contentText(m.Content)
		req.Messages = append(req.Messages, userMessage(text))
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, antError{Type: "error", Error: antErrorBody{"invalid_request_error", "[simulated] " + err.Error()}})
		return
	}
	s.serveCount(w, r, req, func(st int, c *call) any { return antErrorFor(st, "req_"+c.id) }, func(n int) any {
		return map[string]int{"input_tokens": n}
	})
}

// serveCount answers a token counting call with Tokens' input count, or
// with the default behaviour's error in the format's shape. Counting calls
// take no behaviour from the queue and are not counted in Calls or
// Requests (the Gemini adapter counts beside each embeddings call): see
// CountCalls.
func (s *Server) serveCount(w http.ResponseWriter, r *http.Request, req Request, errBody func(int, *call) any, body func(int) any) {
	req.Prompt = lastUser(req.Messages)
	s.mu.Lock()
	s.counts = append(s.counts, req)
	c := &call{req: req, b: s.def, id: "count" + strconv.Itoa(len(s.counts))}
	s.mu.Unlock()
	if !s.allowed(req.Key) {
		c.b = Behaviour{Kind: Unauthorized}
	}
	if !sleep(r.Context(), cmpOr(c.b.Latency, s.opts.Latency)) {
		return
	}
	if st := c.b.status(false); st != 0 {
		if st == http.StatusTooManyRequests {
			c.b.setRetryAfter(w.Header())
		}
		writeJSON(w, st, errBody(st, c))
		return
	}
	writeJSON(w, http.StatusOK, body(Tokens(req, "").InputTokens))
}

// CountCalls returns the token counting requests received, in order.
func (s *Server) CountCalls() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.counts...)
}

func userMessage(text string) copydesk.Message { return copydesk.Message{Role: "user", Content: text} }
