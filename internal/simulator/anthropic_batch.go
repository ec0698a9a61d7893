package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// antMaxBatchRequests is the Message Batches API's limit of requests in one
// batch.
const antMaxBatchRequests = 100_000

// antCustomIDRe is the form the Message Batches API requires of a custom_id.
var antCustomIDRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// antBatch is one Anthropic Message Batch. Its requests are answered when it
// is created (as the OpenAI batches' files are) and the results are held
// back until it has ended.
type antBatch struct {
	id       string
	created  time.Time
	canceled time.Time   // when a cancel was asked; zero: never
	custom   []string    // custom ids, in request order
	results  []antResult // one result per request, in request order
}

// antResult is the "result" of one line of a batch's results file.
type antResult struct {
	Type    string      `json:"type"` // succeeded, errored, canceled or expired
	Message *antMessage `json:"message,omitempty"`
	Error   *antError   `json:"error,omitempty"`
}

// ended reports whether the batch has ended at now: canceled, or delay (the
// current BatchBehaviour's, so that SetBatch can end batches already
// created) has passed since its creation.
func (ab *antBatch) ended(now time.Time, delay time.Duration) bool {
	return !ab.canceled.IsZero() || now.Sub(ab.created) >= delay
}

// object is the message_batch object at now; base is the scheme and host
// the results_url points to (the simulator's own).
func (ab *antBatch) object(now time.Time, delay time.Duration, base string) map[string]any {
	counts := map[string]int{"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
	o := map[string]any{"id": ab.id, "type": "message_batch", "processing_status": "in_progress", "request_counts": counts,
		"created_at": ab.created.UTC().Format(time.RFC3339Nano), "expires_at": ab.created.Add(24 * time.Hour).UTC().Format(time.RFC3339Nano),
		"ended_at": nil, "archived_at": nil, "cancel_initiated_at": nil, "results_url": nil}
	if !ab.canceled.IsZero() {
		o["cancel_initiated_at"] = ab.canceled.UTC().Format(time.RFC3339Nano)
	}
	if !ab.ended(now, delay) {
		counts["processing"] = len(ab.results)
		return o
	}
	for _, r := range ab.results {
		counts[r.Type]++
	}
	o["processing_status"] = "ended"
	o["ended_at"] = now.UTC().Format(time.RFC3339Nano)
	o["results_url"] = base + "/v1/messages/batches/" + ab.id + "/results"
	return o
}

// baseURL is the scheme and host r came to.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func antInvalid(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, antError{Type: "error", Error: antErrorBody{"invalid_request_error", "[simulated] " + msg}})
}

// antBatchFor returns the batch named in r's path after checking r's key,
// or writes the error and returns nil.
func (s *Server) antBatchFor(w http.ResponseWriter, r *http.Request) *antBatch {
	if !s.allowed(cmpOrString(r.Header.Get("x-api-key"), bearer(r))) {
		writeJSON(w, http.StatusUnauthorized, antErrorFor(http.StatusUnauthorized, ""))
		return nil
	}
	s.batch.mu.Lock()
	ab := s.batch.anthropic[r.PathValue("id")]
	s.batch.mu.Unlock()
	if ab == nil {
		writeJSON(w, http.StatusNotFound, antError{Type: "error", Error: antErrorBody{"not_found_error", "[simulated] no message batch " + r.PathValue("id")}})
	}
	return ab
}

// serveAnthropicBatchCreate is POST /v1/messages/batches. The request list
// itself is checked at once (1 to 100,000 requests, custom ids of 1 to 64
// letters, digits, _ or -, unique within the batch; else 400); each
// request's params are checked when it is answered, as the real API does,
// so bad params become an errored result. Every request is answered at
// once as POST /v1/messages would answer it (BatchBehaviour's FailEvery
// and Expire decide which are not), and the results are held back until
// the batch has ended.
func (s *Server) serveAnthropicBatchCreate(w http.ResponseWriter, r *http.Request) {
	key := cmpOrString(r.Header.Get("x-api-key"), bearer(r))
	if !s.allowed(key) {
		writeJSON(w, http.StatusUnauthorized, antErrorFor(http.StatusUnauthorized, ""))
		return
	}
	var in struct {
		Requests []struct {
			CustomID string          `json:"custom_id"`
			Params   json.RawMessage `json:"params"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		antInvalid(w, "could not parse the JSON body: "+err.Error())
		return
	}
	if len(in.Requests) == 0 || len(in.Requests) > antMaxBatchRequests {
		antInvalid(w, "requests: between 1 and 100000 requests are required")
		return
	}
	seen := make(map[string]bool, len(in.Requests))
	for i, rq := range in.Requests {
		field := "requests." + strconv.Itoa(i)
		switch {
		case !antCustomIDRe.MatchString(rq.CustomID):
			antInvalid(w, field+".custom_id: must be 1 to 64 letters, digits, underscores or hyphens")
			return
		case seen[rq.CustomID]:
			antInvalid(w, field+".custom_id: "+rq.CustomID+" is used by more than one request; custom ids must be unique within a batch")
			return
		case len(rq.Params) == 0:
			antInvalid(w, field+".params: Field required")
			return
		}
		seen[rq.CustomID] = true
	}
	s.batch.mu.Lock()
	b := s.batch.b
	s.batch.mu.Unlock()
	ab := &antBatch{created: time.Now()}
	for i, rq := range in.Requests {
		s.batch.mu.Lock()
		s.batch.ids[rq.CustomID]++
		s.batch.mu.Unlock()
		hr, _ := http.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(rq.Params))
		hr.Header.Set("x-api-key", key)
		req, tool, err := parseAnthropic(hr)
		req.Batch = true
		var res antResult
		switch {
		case err != nil || req.Stream:
			msg := "stream: streaming is not supported in a message batch"
			if err != nil {
				msg = err.Error()
			}
			res = antResult{Type: "errored", Error: &antError{Type: "error", Error: antErrorBody{"invalid_request_error", "[simulated] " + msg}}}
		case b.Expire:
			res = antResult{Type: "expired"}
		case b.FailEvery > 0 && (i+1)%b.FailEvery == 0:
			e := antErrorFor(http.StatusInternalServerError, "")
			res = antResult{Type: "errored", Error: &e}
		default:
			m := s.begin(req).antAnswer(tool)
			res = antResult{Type: "succeeded", Message: &m}
		}
		ab.custom = append(ab.custom, rq.CustomID)
		ab.results = append(ab.results, res)
	}
	s.batch.mu.Lock()
	ab.id = s.batchID("msgbatch_sim")
	s.batch.requests += len(ab.results)
	if s.batch.anthropic == nil {
		s.batch.anthropic = map[string]*antBatch{}
	}
	s.batch.anthropic[ab.id] = ab
	s.batch.antOrder = append(s.batch.antOrder, ab.id)
	o := ab.object(time.Now(), b.Delay, baseURL(r))
	s.batch.mu.Unlock()
	writeJSON(w, http.StatusOK, o)
}

// serveAnthropicBatchGet is GET /v1/messages/batches/{id}.
func (s *Server) serveAnthropicBatchGet(w http.ResponseWriter, r *http.Request) {
	ab := s.antBatchFor(w, r)
	if ab == nil {
		return
	}
	s.batch.mu.Lock()
	o := ab.object(time.Now(), s.batch.b.Delay, baseURL(r))
	s.batch.mu.Unlock()
	writeJSON(w, http.StatusOK, o)
}

// serveAnthropicBatchCancel is POST /v1/messages/batches/{id}/cancel: every
// request of a batch still in progress is canceled. The answer shows the
// batch canceling; it has ended by the next GET (the simulator has no
// request in flight to wait for). A batch that has ended cannot be
// canceled (400).
func (s *Server) serveAnthropicBatchCancel(w http.ResponseWriter, r *http.Request) {
	ab := s.antBatchFor(w, r)
	if ab == nil {
		return
	}
	now := time.Now()
	s.batch.mu.Lock()
	if ab.ended(now, s.batch.b.Delay) {
		s.batch.mu.Unlock()
		antInvalid(w, "message batch "+ab.id+" has ended and cannot be canceled")
		return
	}
	ab.canceled = now
	for i := range ab.results {
		ab.results[i] = antResult{Type: "canceled"}
	}
	o := ab.object(now, s.batch.b.Delay, baseURL(r))
	s.batch.mu.Unlock()
	o["processing_status"], o["ended_at"], o["results_url"] = "canceling", nil, nil
	writeJSON(w, http.StatusOK, o)
}

// serveAnthropicBatchResults is GET /v1/messages/batches/{id}/results (the
// batch's results_url): one JSON line per request, {"custom_id", "result"},
// once the batch has ended (before: 400).
func (s *Server) serveAnthropicBatchResults(w http.ResponseWriter, r *http.Request) {
	ab := s.antBatchFor(w, r)
	if ab == nil {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	s.batch.mu.Lock()
	ended := ab.ended(time.Now(), s.batch.b.Delay)
	for i := range ab.results {
		if !ended {
			break
		}
		_ = enc.Encode(map[string]any{"custom_id": ab.custom[i], "result": ab.results[i]})
	}
	s.batch.mu.Unlock()
	if !ended {
		antInvalid(w, "message batch "+ab.id+" is still in progress; its results are available once processing_status is ended")
		return
	}
	w.Header().Set("Content-Type", "application/x-jsonl")
	_, _ = w.Write(buf.Bytes())
}

// serveAnthropicBatchList is GET /v1/messages/batches: the batches newest
// first, limit (default 20, 1 to 1000) at a time, after the id given as
// after_id (or before before_id, towards the newest).
func (s *Server) serveAnthropicBatchList(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(cmpOrString(r.Header.Get("x-api-key"), bearer(r))) {
		writeJSON(w, http.StatusUnauthorized, antErrorFor(http.StatusUnauthorized, ""))
		return
	}
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			antInvalid(w, "limit: must be 1 to 1000")
			return
		}
		limit = n
	}
	now := time.Now()
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	newest := make([]string, len(s.batch.antOrder))
	for i, id := range s.batch.antOrder {
		newest[len(newest)-1-i] = id
	}
	from, to := 0, len(newest)
	if after := q.Get("after_id"); after != "" {
		from = slices.Index(newest, after) + 1
	}
	if before := q.Get("before_id"); before != "" {
		if to = slices.Index(newest, before); to < 0 {
			to = 0
		}
		from = max(0, to-limit)
	}
	page := newest[from:min(to, from+limit)]
	data := make([]map[string]any, len(page))
	for i, id := range page {
		data[i] = s.batch.anthropic[id].object(now, s.batch.b.Delay, baseURL(r))
	}
	out := map[string]any{"data": data, "has_more": from+len(page) < to, "first_id": nil, "last_id": nil}
	if len(page) > 0 {
		out["first_id"], out["last_id"] = page[0], page[len(page)-1]
	}
	writeJSON(w, http.StatusOK, out)
}
