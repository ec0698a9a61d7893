package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Answer is the assistant text of every answer of Upstream and Bare: an
// empty findings list, which is also a valid answer to Copydesk's
// deep-analysis prompts.
const Answer = `{"findings":[]}`

// DefaultModel is the model Bare answers as, and Upstream when a request
// names none.
const DefaultModel = "gpt-4o-mini"

// Usage of every answer, in tokens.
const (
	PromptTokens     = 12
	CompletionTokens = 5
)

var (
	answerJSON  = mustJSON(Answer)
	chatPrefix  = []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":`)
	chatSuffix  = []byte(`,"choices":[{"index":0,"message":{"role":"assistant","content":` + string(answerJSON) + `},"finish_reason":"stop"}],"usage":{"prompt_tokens":` + strconv.Itoa(PromptTokens) + `,"completion_tokens":` + strconv.Itoa(CompletionTokens) + `,"total_tokens":` + strconv.Itoa(PromptTokens+CompletionTokens) + `}}`)
	chunkPrefix = []byte(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":`)
	usageJSON   = []byte(`"usage":{"prompt_tokens":` + strconv.Itoa(PromptTokens) + `,"completion_tokens":` + strconv.Itoa(CompletionTokens) + `,"total_tokens":` + strconv.Itoa(PromptTokens+CompletionTokens) + `}`)
	// heldOpen and heldClose are the text before and after a held stream's
	// stamps: together a findings answer whose message is the stamps.
	heldOpen  = `{"findings":[{"block":1,"quote":"","message":"`
	heldClose = `","suggestion":"","severity":"info"}]}`
)

func mustJSON(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return b
}

// ChatCompletion returns the JSON answer of Upstream and Bare for model.
func ChatCompletion(model string) []byte {
	return appendCompletion(nil, mustJSON(model))
}

func appendCompletion(b, quotedModel []byte) []byte {
	b = append(b, chatPrefix...)
	b = append(b, quotedModel...)
	return append(b, chatSuffix...)
}

// appendChunk appends one SSE event of a chat.completion.chunk: with
// choices (delta is the JSON of the delta object, finish the JSON of the
// finish reason), or, when delta is nil, the usage chunk without choices.
func appendChunk(b, quotedModel []byte, delta, finish string) []byte {
	b = append(b, chunkPrefix...)
	b = append(b, quotedModel...)
	if delta == "" {
		b = append(b, `,"choices":[],`...)
		b = append(b, usageJSON...)
	} else {
		b = append(b, `,"choices":[{"index":0,"delta":`...)
		b = append(b, delta...)
		b = append(b, `,"finish_reason":`...)
		b = append(b, finish...)
		b = append(b, "}]"...)
	}
	return append(b, "}\n\n"...)
}

// appendContentDelta appends a chunk whose delta is the text s.
func appendContentDelta(b, quotedModel []byte, s string) []byte {
	return appendChunk(b, quotedModel, `{"content":`+string(mustJSON(s))+`}`, "null")
}

// Upstream is an OpenAI-compatible chat completions API that answers at
// once: POST …/chat/completions gets Answer as JSON, or, with "stream":
// true, as an SSE stream of chat.completion.chunk events with the usage in a
// last chunk without choices, then [DONE]. It echoes the request's model.
// Requests whose body contains the marker of an added Hold are held
// instead (see Hold). Any other path is 404. Upstream does no other
// parsing, so that it costs as little as possible next to what is measured.
type Upstream struct {
	calls atomic.Int64
	nhold atomic.Int32
	mu    sync.RWMutex
	holds []*Hold
}

// Calls returns how many chat completions Upstream has answered or held.
func (u *Upstream) Calls() int64 { return u.calls.Load() }

// AddHold makes Upstream hold the requests that carry h's marker.
func (u *Upstream) AddHold(h *Hold) {
	u.mu.Lock()
	u.holds = append(u.holds, h)
	u.nhold.Store(int32(len(u.holds)))
	u.mu.Unlock()
}

// RemoveHold undoes AddHold; held requests are released.
func (u *Upstream) RemoveHold(h *Hold) {
	u.mu.Lock()
	for i, x := range u.holds {
		if x == h {
			u.holds = append(u.holds[:i], u.holds[i+1:]...)
			break
		}
	}
	u.nhold.Store(int32(len(u.holds)))
	u.mu.Unlock()
	h.Release()
}

func (u *Upstream) holdFor(body []byte) *Hold {
	if u.nhold.Load() == 0 {
		return nil
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	for _, h := range u.holds {
		if bytes.Contains(body, h.marker) {
			return h
		}
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readBody reads r's body into a pooled buffer; put it back with putBuf.
func readBody(r *http.Request) (*[]byte, error) {
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			*bp = b
			return bp, nil
		}
		if err != nil {
			*bp = b
			return bp, err
		}
	}
}

func putBuf(bp *[]byte) {
	if cap(*bp) <= 1<<20 {
		bufPool.Put(bp)
	}
}

// quotedModel returns the JSON string of the request's "model", found by
// a byte scan, or DefaultModel's.
func quotedModel(body []byte) []byte {
	key := []byte(`"model":`)
	i := bytes.Index(body, key)
	if i < 0 {
		return mustJSON(DefaultModel)
	}
	rest := bytes.TrimLeft(body[i+len(key):], " ")
	if len(rest) < 2 || rest[0] != '"' {
		return mustJSON(DefaultModel)
	}
	j := bytes.IndexByte(rest[1:], '"')
	if j < 0 || bytes.IndexByte(rest[1:j+1], '\\') >= 0 {
		return mustJSON(DefaultModel)
	}
	return rest[:j+2]
}

// isStream reports whether the request body asks for a stream.
func isStream(body []byte) bool {
	return bytes.Contains(body, []byte(`"stream":true`)) || bytes.Contains(body, []byte(`"stream": true`))
}

// ServeHTTP implements http.Handler.
func (u *Upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !isChatPath(r.URL.Path) {
		http.Error(w, `{"error":{"message":"not found","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	bp, err := readBody(r)
	defer putBuf(bp)
	if err != nil {
		return
	}
	u.calls.Add(1)
	body := *bp
	model := quotedModel(body)
	if !isStream(body) {
		out := bufPool.Get().(*[]byte)
		defer putBuf(out)
		*out = appendCompletion((*out)[:0], model)
		writeJSON(w, *out)
		return
	}
	model = bytes.Clone(model) // body goes back to the pool before a held stream ends
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if hold := u.holdFor(body); hold != nil {
		hold.serve(r.Context(), w, model)
		return
	}
	out := bufPool.Get().(*[]byte)
	defer putBuf(out)
	b := appendChunk((*out)[:0], model, `{"role":"assistant","content":""}`, "null")
	b = appendContentDelta(b, model, Answer)
	b = appendChunk(b, model, `{}`, `"stop"`)
	b = appendChunk(b, model, "", "")
	b = append(b, "data: [DONE]\n\n"...)
	*out = b
	_, _ = w.Write(b)
}

func isChatPath(p string) bool {
	return p == "/v1/chat/completions" || p == "/chat/completions"
}

func writeJSON(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// Hold makes Upstream keep the streams of requests that carry a marker open
// until Release: each such stream sends its first text at once, then waits;
// after Release it sends Deltas text chunks, one per Interval, each " @"
// followed by the Unix time in nanoseconds at which it was written, and
// ends as a complete findings answer. A client that reads those stamps
// knows how long each chunk took to reach it. The fan-out row uses it to
// have jobs running while streams are opened, and to time their delivery.
type Hold struct {
	marker   []byte
	deltas   int
	interval time.Duration
	maxWait  time.Duration
	arrived  atomic.Int64
	release  chan struct{}
	once     sync.Once
}

// NewHold returns a Hold for requests containing marker. maxWait bounds the
// wait for Release (a safety net; the stream then goes on as released).
func NewHold(marker string, deltas int, interval, maxWait time.Duration) *Hold {
	return &Hold{marker: []byte(marker), deltas: deltas, interval: interval, maxWait: maxWait, release: make(chan struct{})}
}

// Arrived returns how many held streams have started.
func (h *Hold) Arrived() int { return int(h.arrived.Load()) }

// Release lets the held streams go on. It may be called more than once.
func (h *Hold) Release() { h.once.Do(func() { close(h.release) }) }

func (h *Hold) serve(ctx context.Context, w http.ResponseWriter, model []byte) {
	rc := http.NewResponseController(w)
	var b []byte
	b = appendChunk(b, model, `{"role":"assistant","content":""}`, "null")
	b = appendContentDelta(b, model, heldOpen)
	if _, err := w.Write(b); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	h.arrived.Add(1)
	t := time.NewTimer(h.maxWait)
	defer t.Stop()
	select {
	case <-h.release:
	case <-t.C:
	case <-ctx.Done():
		return
	}
	start := time.Now()
	for k := range h.deltas {
		if wait := time.Until(start.Add(time.Duration(k) * h.interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			}
		}
		b = appendContentDelta(b[:0], model, " @"+strconv.FormatInt(time.Now().UnixNano(), 10))
		if _, err := w.Write(b); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
	b = appendContentDelta(b[:0], model, heldClose)
	b = appendChunk(b, model, `{}`, `"stop"`)
	b = appendChunk(b, model, "", "")
	b = append(b, "data: [DONE]\n\n"...)
	_, _ = w.Write(b)
	_ = rc.Flush()
}

// AppendStamps appends the stamps (" @" and a Unix time in nanoseconds, as
// a held stream writes them) found in b to dst.
func AppendStamps(dst []int64, b []byte) []int64 {
	for {
		i := bytes.IndexByte(b, '@')
		if i < 0 {
			return dst
		}
		b = b[i+1:]
		n := 0
		for n < len(b) && n < 19 && b[n] >= '0' && b[n] <= '9' {
			n++
		}
		if n >= 18 { // nanoseconds since 1970: 19 digits until 2286
			if v, err := strconv.ParseInt(string(b[:n]), 10, 64); err == nil {
				dst = append(dst, v)
			}
		}
		b = b[n:]
	}
}

// Bare returns a bare net/http handler that answers every request with the
// same JSON chat completion Upstream gives (model DefaultModel): the floor
// that a cache hit is compared with.
func Bare() http.Handler {
	answer := ChatCompletion(DefaultModel)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, answer)
	})
}

// Server is an HTTP server on a loopback port.
type Server struct {
	// URL is the server's base URL, http://host:port.
	URL string
	hs  *http.Server
}

// Serve serves h on addr (host:port; port 0 picks a free one) until Close.
func Serve(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), hs: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
	return s, nil
}

// Close stops the server and closes its connections, held streams included.
func (s *Server) Close() error { return s.hs.Close() }
