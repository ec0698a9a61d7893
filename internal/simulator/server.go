package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// SimulatedPrefix starts every answer text the default responder produces.
const SimulatedPrefix = "[simulated] "

// SimulatedHeader is set to "true" on every response the fake sends.
const SimulatedHeader = "X-Copydesk-Simulated"

// Wire formats, as recorded in Request.Provider.
const (
	FormatOpenAI    = "openai"
	FormatAnthropic = "anthropic"
	FormatGemini    = "gemini"
)

// Kind names what the fake does with one call.
type Kind string

// Behaviour kinds. Each error kind is answered with the wire format's own
// status, headers and error body.
const (
	// OK answers normally (JSON, or a complete SSE stream with usage and
	// terminator).
	OK Kind = "ok"
	// RateLimited answers 429 with Retry-After (seconds, rounded up), or
	// retry-after-ms, or an HTTP date (see Behaviour); Gemini puts the delay
	// in a google.rpc.RetryInfo detail instead.
	RateLimited Kind = "rate_limited"
	// ServerError answers 500.
	ServerError Kind = "server_error"
	// Unavailable answers 503.
	Unavailable Kind = "unavailable"
	// Overloaded answers 529 (Anthropic's overloaded_error; the other
	// formats use the same status for symmetry).
	Overloaded Kind = "overloaded"
	// Unauthorized answers 401 (Behaviour.Status may make it 402 or 403).
	Unauthorized Kind = "unauthorized"
	// BadRequest answers 400.
	BadRequest Kind = "bad_request"
	// MidStreamError sends part of a stream, then the format's in-stream
	// error event. A non-streaming call gets a 500 instead.
	MidStreamError Kind = "mid_stream_error"
	// Truncated sends part of a stream, then ends the response cleanly
	// without the terminator (no finish reason, no message_stop, no [DONE]).
	// A non-streaming call is answered normally.
	Truncated Kind = "truncated"
)

// Behaviour scripts one call. The zero value is OK with the server's
// default timing.
type Behaviour struct {
	// Kind is what happens; empty means OK.
	Kind Kind
	// Status overrides the HTTP status of an error kind (e.g. 403 for
	// Unauthorized).
	Status int
	// RetryAfter is the delay a RateLimited answer asks for. Default 1s.
	RetryAfter time.Duration
	// RetryAfterMS sends the delay as retry-after-ms (milliseconds) in
	// addition to Retry-After.
	RetryAfterMS bool
	// RetryAfterDate sends Retry-After as an HTTP date instead of seconds.
	RetryAfterDate bool
	// Latency delays a non-streaming answer (and error answers); for a
	// stream it is the total duration, spread over the deltas after the
	// first. Zero means Options.Latency.
	Latency time.Duration
	// TTFT delays the first delta of a stream (headers go out at once).
	// Zero means Options.TTFT.
	TTFT time.Duration
	// Text, when set, is the answer instead of the responder's.
	Text string
	// CachedTokens is reported as the part of the input tokens served from
	// the provider's prompt cache (capped at the input tokens).
	CachedTokens int
}

// Request is what the fake received in one call, normalized across formats.
type Request struct {
	// Provider is the wire format: FormatOpenAI, FormatAnthropic or FormatGemini.
	Provider string
	// Model is the model named in the request.
	Model string
	// System is the system prompt.
	System string
	// Messages are the conversation turns (roles "user" and "assistant").
	Messages []copydesk.Message
	// Prompt is the content of the last user message.
	Prompt string
	// MaxTokens is the output cap asked for, 0 if none.
	MaxTokens int
	// Temperature is the temperature asked for, nil if none.
	Temperature *float64
	// Stream is true for a streaming call.
	Stream bool
	// IncludeUsage is OpenAI's stream_options.include_usage.
	IncludeUsage bool
	// JSON is true when JSON output was asked for.
	JSON bool
	// Schema is the JSON schema asked for, nil if none.
	Schema json.RawMessage
	// SchemaName is the schema's (or forced tool's) name, if any.
	SchemaName string
	// Key is the API key presented (Authorization: Bearer, x-api-key,
	// api-key, x-goog-api-key or ?key=).
	Key string
	// Input are the texts of an embeddings call (empty for other calls).
	Input []string
	// Dimensions is the vector size an embeddings call asked for, 0 if none.
	Dimensions int
	// CountTokens is true for a token counting call.
	CountTokens bool
	// Batch is true for a request that came in a batch input file.
	Batch bool
}

// Options configures a Server. The zero value answers every call at once.
type Options struct {
	// Latency delays every non-streaming answer; for a stream it is the
	// total duration (see Behaviour.Latency). Default 0.
	Latency time.Duration
	// TTFT delays the first delta of every stream. Default 0.
	TTFT time.Duration
	// ErrorRate is the probability (0..1) that a call without a queued
	// behaviour fails with one of Errors. Default 0.
	ErrorRate float64
	// Errors are the behaviours drawn from when ErrorRate strikes. Default:
	// RateLimited (1s), ServerError, Unavailable, Overloaded, and for
	// streams MidStreamError.
	Errors []Behaviour
	// Seed seeds the random source of ErrorRate. Default 1.
	Seed int64
	// Keys, when set, are the only API keys accepted; any other key gets
	// 401. A call without any key always gets 401.
	Keys []string
	// Responder decides the answer text. Default: DefaultResponder.
	Responder func(Request) string
	// Default is the behaviour when the queue is empty. Default OK.
	Default Behaviour
	// Batch is how the batch API behaves (see SetBatch). Default: every
	// batch completes at once.
	Batch BatchBehaviour
}

// Server is a fake model provider speaking the OpenAI, Anthropic and Gemini
// wire formats on one mux:
//
//	POST /v1/chat/completions                        OpenAI (also /openai/v1/…, /chat/completions)
//	POST /v1/embeddings                              OpenAI embeddings (float or base64)
//	POST /v1/messages                                Anthropic
//	POST /v1/messages/count_tokens                   Anthropic token counting
//	POST /v1beta/models/{model}:generateContent      Gemini (also /v1/models/…)
//	POST /v1beta/models/{model}:streamGenerateContent?alt=sse
//	POST /v1beta/models/{model}:batchEmbedContents   Gemini embeddings (also :embedContent)
//	POST /v1beta/models/{model}:countTokens          Gemini token counting
//	POST /v1/files, GET /v1/files/{id}/content       OpenAI files (batch input and output)
//	POST /v1/batches, GET /v1/batches/{id}           OpenAI Batch API (see BatchBehaviour)
//	POST /v1beta/models/{model}:batchGenerateContent Gemini batch mode, inline (also GET /v1beta/batches[/{id}])
//	POST /v1/messages/batches, GET …[/{id}], GET …/{id}/results, POST …/{id}/cancel
//	                                                 Anthropic Message Batches (see BatchBehaviour)
//
// Every response carries X-Copydesk-Simulated: true. Behaviours are taken
// from a FIFO queue (Enqueue), then from Options.Default, with Options.ErrorRate
// applied only when the queue is empty. A Server is safe for concurrent use.
type Server struct {
	// URL is the base URL of the server started by NewTestServer ("" otherwise).
	URL string

	opts    Options
	handler http.Handler

	mu       sync.Mutex
	queue    []Behaviour
	def      Behaviour
	rng      *rand.Rand
	calls    int
	byPrompt map[string]int
	requests []Request
	counts   []Request // token counting calls
	seq      int

	batch batchState
}

// NewServer returns a fake provider server configured by opts. Serve it with
// Handler.
func NewServer(opts Options) *Server {
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	if opts.Responder == nil {
		opts.Responder = DefaultResponder
	}
	if len(opts.Errors) == 0 {
		opts.Errors = []Behaviour{
			{Kind: RateLimited, RetryAfter: time.Second},
			{Kind: ServerError},
			{Kind: Unavailable},
			{Kind: Overloaded},
			{Kind: MidStreamError},
		}
	}
	s := &Server{
		opts:     opts,
		def:      opts.Default,
		rng:      rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		byPrompt: make(map[string]int),
		batch:    batchState{b: opts.Batch, files: map[string][]byte{}, batches: map[string]*simBatch{}, ids: map[string]int{}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.serveOpenAI)
	mux.HandleFunc("POST /chat/completions", s.serveOpenAI)
	mux.HandleFunc("POST /openai/v1/chat/completions", s.serveOpenAI)
	mux.HandleFunc("POST /v1/embeddings", s.serveOpenAIEmbeddings)
	mux.HandleFunc("POST /embeddings", s.serveOpenAIEmbeddings)
	mux.HandleFunc("POST /openai/v1/embeddings", s.serveOpenAIEmbeddings)
	for _, prefix := range []string{"/v1", "/openai/v1"} {
		mux.HandleFunc("POST "+prefix+"/files", s.serveFileUpload)
		mux.HandleFunc("GET "+prefix+"/files/{id}/content", s.serveFileContent)
		mux.HandleFunc("POST "+prefix+"/batches", s.serveBatchCreate)
		mux.HandleFunc("GET "+prefix+"/batches/{id}", s.serveBatchGet)
		mux.HandleFunc("GET "+prefix+"/batches", s.serveBatchList)
	}
	mux.HandleFunc("POST /v1/messages", s.serveAnthropic)
	mux.HandleFunc("POST /v1/messages/count_tokens", s.serveAnthropicCount)
	mux.HandleFunc("POST /v1/messages/batches", s.serveAnthropicBatchCreate)
	mux.HandleFunc("GET /v1/messages/batches", s.serveAnthropicBatchList)
	mux.HandleFunc("GET /v1/messages/batches/{id}", s.serveAnthropicBatchGet)
	mux.HandleFunc("POST /v1/messages/batches/{id}/cancel", s.serveAnthropicBatchCancel)
	mux.HandleFunc("GET /v1/messages/batches/{id}/results", s.serveAnthropicBatchResults)
	mux.HandleFunc("POST /v1beta/models/{call}", s.serveGemini)
	mux.HandleFunc("POST /v1/models/{call}", s.serveGemini)
	mux.HandleFunc("GET /v1beta/batches/{id}", s.serveGeminiBatchGet)
	mux.HandleFunc("GET /v1beta/batches", s.serveGeminiBatchList)
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(SimulatedHeader, "true")
		mux.ServeHTTP(w, r)
	})
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Enqueue appends behaviours for the next calls, one per call, in order.
func (s *Server) Enqueue(b ...Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, b...)
}

// SetDefault sets the behaviour used when the queue is empty.
func (s *Server) SetDefault(b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.def = b
}

// Calls returns the number of calls received (answered or failed), counting
// only calls whose body could be parsed.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// PromptCalls returns the number of calls whose last user message was prompt.
func (s *Server) PromptCalls(prompt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byPrompt[prompt]
}

// Requests returns a copy of the requests received, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// LastRequest returns the last request received and false if there was none.
func (s *Server) LastRequest() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}, false
	}
	return s.requests[len(s.requests)-1], true
}

// Reset empties the queue and forgets counts and recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = nil
	s.calls = 0
	s.byPrompt = make(map[string]int)
	s.requests = nil
	s.counts = nil
}

// call is one accepted call: the request, its behaviour and the answer.
type call struct {
	req     Request
	b       Behaviour
	id      string
	text    string
	deltas  []string
	inTok   int
	outTok  int
	cached  int
	latency time.Duration
	ttft    time.Duration
	limited bool // the answer was cut at MaxTokens
}

// begin records req, picks its behaviour and prepares the answer.
func (s *Server) begin(req Request) *call {
	s.mu.Lock()
	s.calls++
	s.seq++
	seq := s.seq
	s.byPrompt[req.Prompt]++
	s.requests = append(s.requests, req)
	var b Behaviour
	if len(s.queue) > 0 {
		b = s.queue[0]
		s.queue = s.queue[1:]
	} else {
		b = s.def
		if s.opts.ErrorRate > 0 && s.rng.Float64() < s.opts.ErrorRate {
			errs := s.opts.Errors
			if !req.Stream {
				errs = nonStreamErrors(errs)
			}
			if len(errs) > 0 {
				b = errs[s.rng.IntN(len(errs))]
			}
		}
	}
	s.mu.Unlock()

	if b.Kind == "" {
		b.Kind = OK
	}
	c := &call{req: req, b: b, id: "sim" + strconv.Itoa(seq)}
	c.latency = cmpOr(b.Latency, s.opts.Latency)
	c.ttft = cmpOr(b.TTFT, s.opts.TTFT)
	c.text = b.Text
	if c.text == "" {
		c.text = s.opts.Responder(req)
	}
	if req.MaxTokens > 0 && countWords(c.text) > req.MaxTokens && !req.JSON {
		c.text = firstWords(c.text, req.MaxTokens)
		c.limited = true
	}
	c.deltas = splitDeltas(c.text)
	c.inTok = max(1, countWords(req.System)+countMessageWords(req.Messages))
	c.outTok = max(1, countWords(c.text))
	c.cached = min(max(0, b.CachedTokens), c.inTok)
	return c
}

// allowed reports whether key may call the server.
func (s *Server) allowed(key string) bool {
	if key == "" {
		return false
	}
	if len(s.opts.Keys) == 0 {
		return true
	}
	for _, k := range s.opts.Keys {
		if k == key {
			return true
		}
	}
	return false
}

func nonStreamErrors(in []Behaviour) []Behaviour {
	out := make([]Behaviour, 0, len(in))
	for _, b := range in {
		if b.Kind != MidStreamError && b.Kind != Truncated {
			out = append(out, b)
		}
	}
	return out
}

func cmpOr(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

// status returns the HTTP status for an error behaviour, 0 for OK.
func (b Behaviour) status(stream bool) int {
	if b.Status != 0 && b.Kind != OK && b.Kind != Truncated {
		return b.Status
	}
	switch b.Kind {
	case RateLimited:
		return http.StatusTooManyRequests
	case ServerError:
		return http.StatusInternalServerError
	case Unavailable:
		return http.StatusServiceUnavailable
	case Overloaded:
		return 529
	case Unauthorized:
		return http.StatusUnauthorized
	case BadRequest:
		return http.StatusBadRequest
	case MidStreamError:
		if !stream {
			return http.StatusInternalServerError
		}
	}
	return 0
}

// retryAfter returns the delay a rate-limited answer asks for.
func (b Behaviour) retryAfter() time.Duration {
	if b.RetryAfter > 0 {
		return b.RetryAfter
	}
	return time.Second
}

// setRetryAfter writes the Retry-After headers of a 429.
func (b Behaviour) setRetryAfter(h http.Header) {
	d := b.retryAfter()
	if b.RetryAfterDate {
		h.Set("Retry-After", time.Now().Add(d).UTC().Format(http.TimeFormat))
	} else {
		secs := (d + time.Second - 1) / time.Second
		h.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	if b.RetryAfterMS {
		h.Set("retry-after-ms", strconv.FormatInt(d.Milliseconds(), 10))
	}
}

// sleep waits d or until ctx is done; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// gap is the pause between deltas after the first.
func (c *call) gap() time.Duration {
	if len(c.deltas) < 2 || c.latency <= c.ttft {
		return 0
	}
	return (c.latency - c.ttft) / time.Duration(len(c.deltas)-1)
}

// cut returns how many deltas a MidStreamError or Truncated stream sends.
func (c *call) cut() int {
	return max(1, len(c.deltas)/2)
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// sse writes Server-Sent Events and flushes each one.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func startSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	s := &sse{w: w, f: f}
	s.flush()
	return s
}

func (s *sse) flush() {
	if s.f != nil {
		s.f.Flush()
	}
}

// event writes one event; name may be empty (no event: line).
func (s *sse) event(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("simulator: marshal event: %v", err))
	}
	s.raw(name, data)
}

func (s *sse) raw(name string, data []byte) {
	buf := make([]byte, 0, len(data)+len(name)+16)
	if name != "" {
		buf = append(buf, "event: "...)
		buf = append(buf, name...)
		buf = append(buf, '\n')
	}
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	_, _ = s.w.Write(buf)
	s.flush()
}

// DefaultResponder answers translation calls (SchemaName
// TranslationSchemaName) with TranslateResponder, other calls asking for
// JSON output with an example of their schema (or "{}"), and the rest with a
// deterministic text derived from the prompt, starting with SimulatedPrefix.
func DefaultResponder(r Request) string {
	if r.SchemaName == TranslationSchemaName {
		return TranslateResponder(r)
	}
	if r.JSON {
		if len(r.Schema) > 0 {
			return SchemaExample(r.Schema)
		}
		return "{}"
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(r.System))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(r.Prompt))
	x := h.Sum64()
	words := strings.Fields(r.Prompt)
	if len(words) > 8 {
		words = words[:8]
	}
	var b strings.Builder
	b.WriteString(SimulatedPrefix)
	b.WriteString("Reply to \"")
	b.WriteString(strings.Join(words, " "))
	b.WriteString("\":")
	for i := 0; i < 12; i++ {
		b.WriteByte(' ')
		b.WriteString(vocabulary[x%uint64(len(vocabulary))])
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	b.WriteByte('.')
	return b.String()
}

var vocabulary = []string{
	"clear", "copy", "reader", "page", "content", "brand", "simple", "value",
	"customer", "quality", "fast", "story", "offer", "trust", "design", "word",
	"local", "service", "team", "growth", "idea", "plan", "result", "voice",
	"honest", "modern", "useful", "friendly", "strong", "message", "search", "visitor",
}

// splitDeltas splits text into at most 16 deltas at word boundaries, so that
// the deltas concatenate to text.
func splitDeltas(text string) []string {
	if text == "" {
		return []string{""}
	}
	var parts []string
	start := 0
	for i := 0; i < len(text); i++ {
		if text[i] == ' ' {
			parts = append(parts, text[start:i+1])
			start = i + 1
		}
	}
	if start < len(text) {
		parts = append(parts, text[start:])
	}
	if len(parts) == 1 && len(text) >= 4 {
		// One word (e.g. compact JSON): cut it in two at a rune boundary.
		mid := len(text) / 2
		for mid > 0 && (text[mid]&0xC0) == 0x80 {
			mid--
		}
		if mid > 0 {
			parts = []string{text[:mid], text[mid:]}
		}
	}
	const maxDeltas = 16
	if len(parts) <= maxDeltas {
		return parts
	}
	out := make([]string, 0, maxDeltas)
	per := (len(parts) + maxDeltas - 1) / maxDeltas
	for i := 0; i < len(parts); i += per {
		out = append(out, strings.Join(parts[i:min(i+per, len(parts))], ""))
	}
	return out
}

// firstWords returns the prefix of s holding its first n words.
func firstWords(s string, n int) string {
	seen := 0
	in := false
	for i, r := range s {
		space := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if !space && !in {
			if seen == n {
				return strings.TrimRight(s[:i], " \n\t\r")
			}
			seen++
		}
		in = !space
	}
	return s
}

// countWords is the fake's deterministic token count: whitespace-separated words.
func countWords(s string) int { return len(strings.Fields(s)) }

func countMessageWords(ms []copydesk.Message) int {
	n := 0
	for _, m := range ms {
		n += countWords(m.Content)
	}
	return n
}

// lastUser returns the content of the last user message.
func lastUser(ms []copydesk.Message) string {
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Role == "user" {
			return ms[i].Content
		}
	}
	return ""
}

// bearer returns the key from "Authorization: Bearer <key>".
func bearer(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

// Tokens returns the deterministic usage the fake reports for a request and
// answer text: input tokens are the words of the system prompt and messages
// (at least 1), output tokens the words of the text (at least 1).
func Tokens(r Request, text string) copydesk.Usage {
	return copydesk.Usage{
		InputTokens:  max(1, countWords(r.System)+countMessageWords(r.Messages)),
		OutputTokens: max(1, countWords(text)),
	}
}
