package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// BatchBehaviour scripts the provider batch APIs (OpenAI Batch: files and
// /v1/batches; Gemini batch mode: :batchGenerateContent and batches/…;
// Anthropic Message Batches: /v1/messages/batches, where a
// failure is an errored result of type api_error and an expired request a
// result of type expired). The zero value completes every batch at once
// with every request answered.
type BatchBehaviour struct {
	// Delay is how long a batch stays in progress after it is created
	// (read when the batch is polled: lowering it finishes batches
	// already created).
	Delay time.Duration
	// FailEvery, when positive, fails every FailEvery-th request of a batch
	// (1-based: the FailEvery-th, 2·FailEvery-th…) with a 500 in the error
	// file: a partial failure.
	FailEvery int
	// Expire ends batches as expired after Delay, every request in the
	// error file with code batch_expired.
	Expire bool
}

// batchState is the simulator's record of its files and batches.
type batchState struct {
	mu        sync.Mutex
	b         BatchBehaviour
	files     map[string][]byte
	batches   map[string]*simBatch
	order     []string // batch ids, oldest first
	seq       int
	requests  int                  // requests received in batch input files
	ids       map[string]int       // custom id → times received
	gemini    []string             // Gemini batch names, oldest first (gemini_batch.go)
	anthropic map[string]*antBatch // Anthropic message batches by id (anthropic_batch.go)
	antOrder  []string             // their ids, oldest first
}

// simBatch is one batch; its output and error files (made at creation)
// are among the files, named by output and errors.
type simBatch struct {
	id, input, output, errors string
	metadata                  map[string]string
	created                   time.Time
	total, failed             int
	expire                    bool
	gemini                    *gemBatch // a Gemini batch's own part (gemini_batch.go)
}

// SetBatch sets how batches behave from now on.
func (s *Server) SetBatch(b BatchBehaviour) {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	s.batch.b = b
}

// BatchDuplicates returns how many requests came in a batch with a custom
// id an earlier batch request already carried (0: nothing submitted twice).
func (s *Server) BatchDuplicates() int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	n := 0
	for _, c := range s.batch.ids {
		n += c - 1
	}
	return n
}

// BatchRequests returns how many requests batch input files (and
// Anthropic message batches) carried, and how many batches were created.
func (s *Server) BatchRequests() (requests, batches int) {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return s.batch.requests, len(s.batch.batches) + len(s.batch.anthropic)
}

func (s *Server) batchID(prefix string) string {
	s.batch.seq++
	return prefix + strconv.Itoa(s.batch.seq)
}

// serveFileUpload is POST /v1/files (multipart: file, purpose).
func (s *Server) serveFileUpload(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(cmpOrString(bearer(r), r.Header.Get("api-key"))) {
		writeJSON(w, http.StatusUnauthorized, oaiErrorFor(http.StatusUnauthorized))
		return
	}
	if err := r.ParseMultipartForm(maxBody); err != nil {
		writeJSON(w, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] " + err.Error(), Type: "invalid_request_error"}})
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil || r.FormValue("purpose") != "batch" {
		writeJSON(w, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] a file with purpose batch is required", Type: "invalid_request_error"}})
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oaiErrorFor(http.StatusBadRequest))
		return
	}
	s.batch.mu.Lock()
	id := s.batchID("file-sim")
	s.batch.files[id] = data
	s.batch.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "file", "bytes": len(data), "created_at": time.Now().Unix(),
		"filename": "batch.jsonl", "purpose": "batch", "status": "processed"})
}

// serveFileContent is GET /v1/files/{id}/content.
func (s *Server) serveFileContent(w http.ResponseWriter, r *http.Request) {
	s.batch.mu.Lock()
	data, ok := s.batch.files[r.PathValue("id")]
	s.batch.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, oaiErrorFor(http.StatusNotFound))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

// serveBatchCreate is POST /v1/batches: it answers every request of the
// input file at once (as the chat endpoint would) and holds the results
// back until the batch's delay has passed.
func (s *Server) serveBatchCreate(w http.ResponseWriter, r *http.Request) {
	key := cmpOrString(bearer(r), r.Header.Get("api-key"))
	if !s.allowed(key) {
		writeJSON(w, http.StatusUnauthorized, oaiErrorFor(http.StatusUnauthorized))
		return
	}
	var in struct {
		InputFileID      string            `json:"input_file_id"`
		Endpoint         string            `json:"endpoint"`
		CompletionWindow string            `json:"completion_window"`
		Metadata         map[string]string `json:"metadata"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil || in.Endpoint != "/v1/chat/completions" || in.CompletionWindow != "24h" {
		writeJSON(w, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] input_file_id, endpoint /v1/chat/completions and completion_window 24h are required", Type: "invalid_request_error"}})
		return
	}
	s.batch.mu.Lock()
	input, ok := s.batch.files[in.InputFileID]
	b := s.batch.b
	s.batch.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] no such input file", Type: "invalid_request_error"}})
		return
	}
	sb := &simBatch{input: in.InputFileID, metadata: in.Metadata, created: time.Now(), expire: b.Expire}
	var out, errs bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(input))
	sc.Buffer(make([]byte, 0, 64<<10), maxBody)
	for sc.Scan() {
		var line struct {
			CustomID string          `json:"custom_id"`
			Method   string          `json:"method"`
			URL      string          `json:"url"`
			Body     json.RawMessage `json:"body"`
		}
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.CustomID == "" || line.URL != "/v1/chat/completions" {
			writeJSON(w, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] every line needs custom_id, method POST, url /v1/chat/completions and a body", Type: "invalid_request_error"}})
			return
		}
		sb.total++
		s.batch.mu.Lock()
		s.batch.ids[line.CustomID]++
		s.batch.mu.Unlock()
		hr, _ := http.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(line.Body))
		hr.Header.Set("Authorization", "Bearer "+key)
		req, err := parseOpenAI(hr)
		req.Batch = true
		writeLine := func(buf *bytes.Buffer, status int, body any) {
			_ = json.NewEncoder(buf).Encode(map[string]any{"id": "batch_req_" + line.CustomID, "custom_id": line.CustomID,
				"response": map[string]any{"status_code": status, "request_id": "req_" + line.CustomID, "body": body}, "error": nil})
		}
		switch {
		case err != nil:
			sb.failed++
			writeLine(&errs, http.StatusBadRequest, oaiError{oaiErrorBody{Message: "[simulated] " + err.Error(), Type: "invalid_request_error"}})
		case b.Expire:
			sb.failed++
			_ = json.NewEncoder(&errs).Encode(map[string]any{"id": "batch_req_" + line.CustomID, "custom_id": line.CustomID, "response": nil,
				"error": map[string]string{"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}})
		case b.FailEvery > 0 && sb.total%b.FailEvery == 0:
			sb.failed++
			writeLine(&errs, http.StatusInternalServerError, oaiErrorFor(http.StatusInternalServerError))
		default:
			c := s.begin(req)
			text := c.text
			writeLine(&out, http.StatusOK, oaiResponse{ID: "chatcmpl-" + c.id, Object: "chat.completion", Created: time.Now().Unix(), Model: req.Model,
				Choices: []oaiChoice{{Message: &oaiMessage{Role: "assistant", Content: &text}, FinishReason: c.finishReason("stop", "length")}},
				Usage:   c.oaiUsage(), SystemFingerprint: "fp_simulated"})
		}
	}
	s.batch.mu.Lock()
	sb.id = s.batchID("batch_sim")
	s.batch.requests += sb.total
	if out.Len() > 0 {
		sb.output = s.batchID("file-sim-out")
		s.batch.files[sb.output] = out.Bytes()
	}
	if errs.Len() > 0 {
		sb.errors = s.batchID("file-sim-err")
		s.batch.files[sb.errors] = errs.Bytes()
	}
	s.batch.batches[sb.id] = sb
	s.batch.order = append(s.batch.order, sb.id)
	s.batch.mu.Unlock()
	writeJSON(w, http.StatusOK, sb.object(time.Now(), b.Delay))
}

// object is the batch as OpenAI shows it at now: in progress until delay
// (the current BatchBehaviour's, so that SetBatch can finish batches
// already created) has passed since its creation, then completed (or
// expired) with its files.
func (sb *simBatch) object(now time.Time, delay time.Duration) map[string]any {
	o := map[string]any{"id": sb.id, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": sb.input,
		"completion_window": "24h", "created_at": sb.created.Unix(), "expires_at": sb.created.Add(24 * time.Hour).Unix(),
		"request_counts": map[string]int{"total": sb.total, "completed": 0, "failed": 0}, "status": "in_progress",
		"metadata": sb.metadata}
	if now.Sub(sb.created) < delay {
		return o
	}
	o["status"] = "completed"
	o["completed_at"] = now.Unix()
	if sb.expire {
		o["status"] = "expired"
		o["expired_at"] = now.Unix()
	}
	o["request_counts"] = map[string]int{"total": sb.total, "completed": sb.total - sb.failed, "failed": sb.failed}
	if sb.output != "" {
		o["output_file_id"] = sb.output
	}
	if sb.errors != "" {
		o["error_file_id"] = sb.errors
	}
	return o
}

// serveBatchGet is GET /v1/batches/{id}.
func (s *Server) serveBatchGet(w http.ResponseWriter, r *http.Request) {
	s.batch.mu.Lock()
	sb, ok := s.batch.batches[r.PathValue("id")]
	delay := s.batch.b.Delay
	s.batch.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, oaiErrorFor(http.StatusNotFound))
		return
	}
	writeJSON(w, http.StatusOK, sb.object(time.Now(), delay))
}

// serveBatchList is GET /v1/batches: the batches newest first, limit
// (default 20, at most 100) at a time, after the id given as after.
func (s *Server) serveBatchList(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(cmpOrString(bearer(r), r.Header.Get("api-key"))) {
		writeJSON(w, http.StatusUnauthorized, oaiErrorFor(http.StatusUnauthorized))
		return
	}
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit < 1 || limit > 100 {
		limit = 20
	}
	after := r.URL.Query().Get("after")
	now := time.Now()
	s.batch.mu.Lock()
	delay := s.batch.b.Delay
	data := []map[string]any{}
	more, started := false, after == ""
	for i := len(s.batch.order) - 1; i >= 0; i-- {
		id := s.batch.order[i]
		if !started {
			started = id == after
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		data = append(data, s.batch.batches[id].object(now, delay))
	}
	s.batch.mu.Unlock()
	page := map[string]any{"object": "list", "data": data, "has_more": more}
	if len(data) > 0 {
		page["first_id"], page["last_id"] = data[0]["id"], data[len(data)-1]["id"]
	}
	writeJSON(w, http.StatusOK, page)
}
