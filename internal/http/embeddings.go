package http

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// EmbeddingKind is the task kind of /v1/embeddings calls: cached in the
// permanent tier (a text's vector never changes for a model).
const EmbeddingKind = "embedding"

// MaxEmbeddingInputs caps the texts of one embeddings request (OpenAI's
// limit).
const MaxEmbeddingInputs = 2048

// embeddingsRequest is OpenAI's embeddings request.
type embeddingsRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	User           string          `json:"user"`
}

// inputs reads the input: one string or an array of strings. Token arrays
// are refused: Copydesk routes to several providers and keeps no tokenizer.
func (e *embeddingsRequest) inputs() ([]string, error) {
	var one string
	if err := json.Unmarshal(e.Input, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(e.Input, &many); err == nil {
		return many, nil
	}
	var tokens []json.Number
	if err := json.Unmarshal(e.Input, &tokens); err == nil {
		return nil, copydesk.Errorf(copydesk.EINVALID, "input: token arrays are not supported here; send the text")
	}
	return nil, copydesk.Errorf(copydesk.EINVALID, "input must be a string or an array of strings")
}

// modelRequest validates the request and turns it into an embedding call.
func (e *embeddingsRequest) modelRequest() (copydesk.ModelRequest, error) {
	var req copydesk.ModelRequest
	if e.Model == "" {
		return req, copydesk.Errorf(copydesk.EINVALID, "model is required: name an embedding model, e.g. text-embedding-3-small; %s", modelsHint)
	}
	if len(e.Input) == 0 || string(e.Input) == "null" {
		return req, copydesk.Errorf(copydesk.EINVALID, "input is required: a string or an array of strings")
	}
	in, err := e.inputs()
	if err != nil {
		return req, err
	}
	switch {
	case len(in) == 0:
		return req, copydesk.Errorf(copydesk.EINVALID, "input: at least one text is required")
	case len(in) > MaxEmbeddingInputs:
		return req, copydesk.Errorf(copydesk.EINVALID, "input: at most %d texts per request (got %d)", MaxEmbeddingInputs, len(in))
	}
	for i, s := range in {
		if s == "" {
			return req, copydesk.Errorf(copydesk.EINVALID, "input[%d] is empty", i)
		}
	}
	switch e.EncodingFormat {
	case "", "float", "base64":
	default:
		return req, copydesk.Errorf(copydesk.EINVALID, "encoding_format %q is not one of float, base64", e.EncodingFormat)
	}
	if d := e.Dimensions; d != nil && (*d < 1 || *d > 65536) {
		return req, copydesk.Errorf(copydesk.EINVALID, "dimensions must be between 1 and 65536")
	}
	req.Model, req.Input = e.Model, in
	if e.Dimensions != nil {
		req.Dimensions = *e.Dimensions
	}
	return req, nil
}

// embeddingObject is one vector of the answer: a list of numbers, or for
// encoding_format base64 the little-endian float32 bytes in base64.
type embeddingObject struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

func encodeBase64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// handleEmbeddings serves OpenAI's embeddings API through the same model
// service as chat (routing, limits, budget, cache, ledger): an identical
// request is answered from the permanent cache tier without a provider
// call, and every call is billed per input token.
func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	var body embeddingsRequest
	call, info, ok := gatewayCall(s, w, r, EmbeddingKind, "embeddings", &body, (*embeddingsRequest).modelRequest)
	if !ok {
		return
	}
	req := call.Request
	res, err := s.Models.Stream(r.Context(), call, nil)
	if err != nil {
		s.writeError(w, r, modelError(err))
		return
	}
	vecs := res.Response.Embeddings
	if len(vecs) != len(req.Input) {
		s.logger(r).Error("embeddings: wrong vector count", "got", len(vecs), "want", len(req.Input), "provider", res.Usage.Provider)
		s.writeError(w, r, copydesk.Errorf(copydesk.EUNAVAILABLE, "the model provider returned %d vectors for %d inputs", len(vecs), len(req.Input)))
		return
	}
	data := make([]embeddingObject, len(vecs))
	for i, v := range vecs {
		data[i] = embeddingObject{Object: "embedding", Index: i, Embedding: []float32(v)}
		if body.EncodingFormat == "base64" {
			data[i].Embedding = encodeBase64(v)
		}
	}
	setRouteHeaders(w, res)
	tokens := res.Response.Usage.InputTokens
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "data": data, "model": cmp.Or(res.Usage.Model, info.Model, req.Model),
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}
