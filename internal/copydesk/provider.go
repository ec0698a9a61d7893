package copydesk

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"time"
)

// Micros is an amount of money in millionths of the configured currency unit
// (1 EUR = 1_000_000). Money is never a float.
type Micros int64

// Message is one turn of a conversation sent to a model.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// ModelRequest is what a task asks of a model.
type ModelRequest struct {
	// Model is the provider's model name, chosen by the router.
	Model string
	// System is the system prompt (may be empty).
	System string
	// Messages is the conversation; at least one user message.
	Messages []Message
	// MaxTokens caps the output; 0 means the provider default.
	MaxTokens int
	// Temperature is nil for the provider default.
	Temperature *float64
	// JSONSchema, when set, asks for structured output matching it
	// where the provider supports it.
	JSONSchema json.RawMessage
	// SchemaName names the schema for providers that want a name.
	SchemaName string
	// Input, when set, makes the call an embedding call: one vector per
	// string, in order, from an embedding model (Messages stay empty).
	Input []string
	// Dimensions asks an embedding model for shorter vectors; 0 means the
	// model's default.
	Dimensions int
}

// IsEmbedding reports whether r asks for embeddings rather than text.
func (r ModelRequest) IsEmbedding() bool { return len(r.Input) > 0 }

// PromptBytes bounds the prompt's tokens from above: a token is at least one
// byte, plus a few tokens of framing per message and input. Budgets reserve
// against it before the provider reports the real count.
func (r ModelRequest) PromptBytes() int {
	n := len(r.System) + 16
	for _, m := range r.Messages {
		n += len(m.Content) + 8
	}
	for _, in := range r.Input {
		n += len(in) + 8
	}
	return n
}

// OutputCap is the most output tokens the call may produce: 0 for an
// embedding call, else MaxTokens, or def when MaxTokens is unset.
func (r ModelRequest) OutputCap(def int) int {
	switch {
	case r.IsEmbedding():
		return 0
	case r.MaxTokens > 0:
		return r.MaxTokens
	}
	return def
}

// Usage is the token usage a provider reported for one call.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	CachedTokens int `json:"cached_tokens"` // part of InputTokens served from the provider's prompt cache
}

// ModelResponse is a finished model answer.
type ModelResponse struct {
	Text         string `json:"text"`
	Model        string `json:"model"`
	FinishReason string `json:"finish_reason"`
	Usage        Usage  `json:"usage"`
	// Embeddings are the vectors of an embedding call, one per input.
	Embeddings []Vector `json:"embeddings,omitempty"`
}

// ProviderErrorKind classifies a provider failure for the retry and failover
// policy. The set is closed.
type ProviderErrorKind string

// Provider error kinds.
const (
	ProviderRateLimited ProviderErrorKind = "rate_limited" // 429: wait Retry-After, rotate key
	ProviderOverloaded  ProviderErrorKind = "overloaded"   // 529 or overloaded_error: back off
	ProviderServer      ProviderErrorKind = "server"       // 5xx: back off
	ProviderTimeout     ProviderErrorKind = "timeout"      // deadline exceeded
	ProviderNetwork     ProviderErrorKind = "network"      // connection failure
	ProviderAuth        ProviderErrorKind = "auth"         // 401/402/403: key dead, rotate, no wait
	ProviderBadRequest  ProviderErrorKind = "bad_request"  // other 4xx: do not retry
	ProviderTruncated   ProviderErrorKind = "truncated"    // stream ended without its final marker
	ProviderInvalid     ProviderErrorKind = "invalid"      // answer unusable (e.g. schema violation)
)

// Retryable reports whether a call failing this way may succeed if repeated.
func (k ProviderErrorKind) Retryable() bool {
	switch k {
	case ProviderRateLimited, ProviderOverloaded, ProviderServer, ProviderTimeout, ProviderNetwork, ProviderTruncated:
		return true
	}
	return false
}

// ProviderError is a failed provider call, classified.
type ProviderError struct {
	Provider   string
	Kind       ProviderErrorKind
	Status     int           // HTTP status, 0 if none
	RetryAfter time.Duration // from Retry-After / retry-after-ms, 0 if none
	Message    string
	Err        error // the SDK's error
}

// Error implements error.
func (e *ProviderError) Error() string {
	return "provider " + e.Provider + ": " + string(e.Kind) + ": " + e.Message
}

// Unwrap returns the SDK's error.
func (e *ProviderError) Unwrap() error { return e.Err }

// Provider is one model API, reached through its official SDK (or the
// simulated provider). Implementations never retry by themselves.
type Provider interface {
	// Name identifies the provider instance in config, logs and metrics.
	Name() string
	// Complete runs a non-streaming call. Errors are *ProviderError.
	Complete(ctx context.Context, req ModelRequest) (*ModelResponse, error)
	// Stream runs a streaming call, calling onDelta for each text delta in
	// order. A stream that ends without its terminator returns a
	// *ProviderError of kind ProviderTruncated. If onDelta returns an error
	// the stream is abandoned and that error returned.
	Stream(ctx context.Context, req ModelRequest, onDelta func(delta string) error) (*ModelResponse, error)
}

// Embedder is a Provider that also computes embeddings (OpenAI's and
// Gemini's adapters; Anthropic has no embedding API).
type Embedder interface {
	// Embed returns one vector per req.Input, in order, with the input
	// tokens the provider reported (or, where it reports none, counted as
	// the adapter documents). Errors are *ProviderError.
	Embed(ctx context.Context, req ModelRequest) (*ModelResponse, error)
}

// TokenCounter counts the input tokens of a request the way a model's
// provider would bill them, without running the model.
type TokenCounter interface {
	// CountTokens returns the input tokens of req.Messages and req.System
	// for req.Model. Errors are *ProviderError from an adapter, or an
	// *Error (ENOMODEL for an unknown model) from a model service.
	CountTokens(ctx context.Context, req ModelRequest) (int, error)
}

// FailureCode is the stable code shown for a failed task or job:
// "provider_<kind>" for a provider failure, else the error's code.
func FailureCode(err error) string {
	if pe, ok := errors.AsType[*ProviderError](err); ok {
		return "provider_" + string(pe.Kind)
	}
	return ErrorCode(err)
}

// FailureMessage is the message shown for a failed task or job. It never
// includes credentials: adapters keep them out of ProviderError messages.
func FailureMessage(err error) string {
	if pe, ok := errors.AsType[*ProviderError](err); ok {
		return pe.Error()
	}
	return ErrorMessage(err)
}

// Vector is one embedding. In JSON (cache entries, job results) it is the
// base64 of its little-endian float32 values, OpenAI's base64 encoding:
// exact, and about half the size of a list of decimals and much faster to
// write and read.
type Vector []float32

// MarshalJSON writes v as a base64 string.
func (v Vector) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(b))+2)
	out = append(out, '"')
	out = base64.StdEncoding.AppendEncode(out, b)
	return append(out, '"'), nil
}

// UnmarshalJSON reads a base64 string, or a list of numbers.
func (v *Vector) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		var nums []float32
		if err := json.Unmarshal(data, &nums); err != nil {
			return errors.New("vector: want a base64 string or a list of numbers")
		}
		*v = nums
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		return errors.New("vector: not the base64 of float32 values")
	}
	out := make(Vector, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	*v = out
	return nil
}
