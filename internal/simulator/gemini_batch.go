package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Gemini batch mode (Gemini API, inline requests), as google.golang.org/genai
// reads it:
//
//	POST /v1beta/models/{model}:batchGenerateContent
//	     {"batch": {"displayName": …, "inputConfig": {"requests": {"requests": [
//	       {"request": {GenerateContentRequest}, "metadata": {…}}, …]}}}}
//	GET  /v1beta/batches/{id}
//	GET  /v1beta/batches?pageSize=&pageToken=   {"operations": [...], "nextPageToken": …}
//
// A batch is a long-running operation {"name": "batches/…", "metadata":
// {GenerateContentBatch: model, displayName, state BATCH_STATE_…, times,
// batchStats, output}, "done", "response"}; once succeeded, output (and the
// operation's response) holds {"inlinedResponses": {"inlinedResponses": [
// {"response": {GenerateContentResponse}, "metadata": {…}} or {"error":
// {google.rpc.Status}, "metadata": {…}}]}}, in request order, each response
// echoing its request's metadata.
//
// BatchBehaviour applies as to OpenAI batches: Delay keeps a batch
// BATCH_STATE_RUNNING; FailEvery answers every FailEvery-th request with
// the error {"code": 13 (INTERNAL)}; Expire ends the batch
// BATCH_STATE_EXPIRED with no output (the Gemini API keeps no results of an
// expired batch). Other requests are answered as generateContent would
// answer them, behaviour queue included (an error behaviour becomes that
// request's error, its code the google.rpc.Code of the live error's
// status). The custom id counted by BatchDuplicates is metadata "key".

// gemBatch is the Gemini part of a simBatch: what the batch object shows.
type gemBatch struct {
	model, displayName string
	responses          []gemInlined
}

// gemInlined is one inlined response.
type gemInlined struct {
	Response *gemResponse    `json:"response,omitempty"`
	Error    *gemStatus      `json:"error,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// gemStatus is a google.rpc.Status: code is a google.rpc.Code, not an HTTP
// status.
type gemStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// grpcCodes are the google.rpc.Code numbers of the statuses gemErrorFor
// produces.
var grpcCodes = map[string]int{
	"INVALID_ARGUMENT":   3,
	"DEADLINE_EXCEEDED":  4,
	"NOT_FOUND":          5,
	"PERMISSION_DENIED":  7,
	"RESOURCE_EXHAUSTED": 8,
	"INTERNAL":           13,
	"UNAVAILABLE":        14,
	"UNAUTHENTICATED":    16,
}

func gemKey(r *http.Request) string {
	return cmpOrString(r.Header.Get("x-goog-api-key"), r.URL.Query().Get("key"))
}

func gemInvalid(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, gemError{gemErrorBody{Code: 400, Status: "INVALID_ARGUMENT", Message: "[simulated] " + msg}})
}

// serveGeminiBatchCreate is POST /v1beta/models/{model}:batchGenerateContent:
// it answers every inlined request at once and holds the answers back until
// the batch's delay has passed.
func (s *Server) serveGeminiBatchCreate(w http.ResponseWriter, r *http.Request) {
	key := gemKey(r)
	if !s.allowed(key) {
		writeJSON(w, http.StatusUnauthorized, gemErrorFor(http.StatusUnauthorized, Behaviour{}))
		return
	}
	model, _, _ := strings.Cut(r.PathValue("call"), ":")
	var in struct {
		Batch struct {
			DisplayName string `json:"displayName"`
			InputConfig struct {
				FileName string `json:"fileName"`
				Requests *struct {
					Requests []struct {
						Request  json.RawMessage `json:"request"`
						Metadata json.RawMessage `json:"metadata"`
					} `json:"requests"`
				} `json:"requests"`
			} `json:"inputConfig"`
		} `json:"batch"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&in); err != nil {
		gemInvalid(w, "Invalid JSON payload received. "+err.Error())
		return
	}
	switch {
	case in.Batch.DisplayName == "":
		gemInvalid(w, "* BatchGenerateContentRequest.batch.display_name: display_name is required")
		return
	case in.Batch.InputConfig.FileName != "":
		gemInvalid(w, "input files are not supported by the fake; inline the requests")
		return
	case in.Batch.InputConfig.Requests == nil || len(in.Batch.InputConfig.Requests.Requests) == 0:
		gemInvalid(w, "* BatchGenerateContentRequest.batch.input_config: requests are required")
		return
	}
	s.batch.mu.Lock()
	b := s.batch.b
	s.batch.mu.Unlock()
	gb := &gemBatch{model: model, displayName: in.Batch.DisplayName}
	sb := &simBatch{created: time.Now(), expire: b.Expire, gemini: gb}
	for _, it := range in.Batch.InputConfig.Requests.Requests {
		sb.total++
		var md struct {
			Key string `json:"key"`
		}
		if json.Unmarshal(it.Metadata, &md) == nil && md.Key != "" {
			s.batch.mu.Lock()
			s.batch.ids[md.Key]++
			s.batch.mu.Unlock()
		}
		out := gemInlined{Metadata: it.Metadata}
		hr, _ := http.NewRequest(http.MethodPost, "/v1beta/models/"+model+":generateContent", bytes.NewReader(it.Request))
		hr.SetPathValue("call", model+":generateContent")
		hr.Header.Set("x-goog-api-key", key)
		req, _, err := parseGemini(hr)
		req.Batch = true
		switch {
		case err != nil:
			out.Error = &gemStatus{Code: grpcCodes["INVALID_ARGUMENT"], Message: "[simulated] " + err.Error()}
		case b.Expire:
			// An expired batch has no output: nothing is answered.
		case b.FailEvery > 0 && sb.total%b.FailEvery == 0:
			e := gemErrorFor(http.StatusInternalServerError, Behaviour{}).Error
			out.Error = &gemStatus{Code: grpcCodes[e.Status], Message: e.Message}
		default:
			c := s.begin(req)
			if st := c.b.status(false); st != 0 {
				e := gemErrorFor(st, c.b).Error
				out.Error = &gemStatus{Code: cmpOrInt(grpcCodes[e.Status], 2), Message: e.Message}
				break
			}
			resp := c.gemResponse(c.text, c.gemFinish(), c.gemUsage(c.outTok))
			out.Response = &resp
		}
		if out.Error != nil {
			sb.failed++
		}
		gb.responses = append(gb.responses, out)
	}
	s.batch.mu.Lock()
	sb.id = s.batchID("batches/gemsim")
	s.batch.requests += sb.total
	s.batch.batches[sb.id] = sb
	s.batch.gemini = append(s.batch.gemini, sb.id)
	s.batch.mu.Unlock()
	writeJSON(w, http.StatusOK, sb.gemObject(time.Now(), b.Delay))
}

func cmpOrInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// gemObject is the batch as the Gemini API shows it at now: running until
// delay has passed since its creation (the current BatchBehaviour's, as for
// OpenAI batches), then succeeded with its inlined responses, or expired
// without them.
func (sb *simBatch) gemObject(now time.Time, delay time.Duration) map[string]any {
	gb := sb.gemini
	md := map[string]any{
		"@type":       "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
		"name":        sb.id,
		"model":       "models/" + gb.model,
		"displayName": gb.displayName,
		"createTime":  sb.created.UTC().Format(time.RFC3339Nano),
		"updateTime":  now.UTC().Format(time.RFC3339Nano),
		"state":       "BATCH_STATE_RUNNING",
		// int64 fields are strings in JSON.
		"batchStats": map[string]string{"requestCount": strconv.Itoa(sb.total), "pendingRequestCount": strconv.Itoa(sb.total)},
	}
	o := map[string]any{"name": sb.id, "metadata": md}
	if now.Sub(sb.created) < delay {
		return o
	}
	md["endTime"] = now.UTC().Format(time.RFC3339Nano)
	o["done"] = true
	if sb.expire {
		md["state"] = "BATCH_STATE_EXPIRED"
		md["batchStats"] = map[string]string{"requestCount": strconv.Itoa(sb.total)}
		return o
	}
	md["state"] = "BATCH_STATE_SUCCEEDED"
	md["batchStats"] = map[string]string{"requestCount": strconv.Itoa(sb.total),
		"successfulRequestCount": strconv.Itoa(sb.total - sb.failed), "failedRequestCount": strconv.Itoa(sb.failed)}
	output := map[string]any{"inlinedResponses": map[string]any{"inlinedResponses": gb.responses}}
	md["output"] = output
	o["response"] = map[string]any{"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput",
		"inlinedResponses": output["inlinedResponses"]}
	return o
}

// serveGeminiBatchGet is GET /v1beta/batches/{id}.
func (s *Server) serveGeminiBatchGet(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(gemKey(r)) {
		writeJSON(w, http.StatusUnauthorized, gemErrorFor(http.StatusUnauthorized, Behaviour{}))
		return
	}
	s.batch.mu.Lock()
	sb, ok := s.batch.batches["batches/"+r.PathValue("id")]
	delay := s.batch.b.Delay
	s.batch.mu.Unlock()
	if !ok || sb.gemini == nil {
		writeJSON(w, http.StatusNotFound, gemError{gemErrorBody{Code: 404, Status: "NOT_FOUND", Message: "[simulated] Requested entity was not found."}})
		return
	}
	writeJSON(w, http.StatusOK, sb.gemObject(time.Now(), delay))
}

// serveGeminiBatchList is GET /v1beta/batches: the batches newest first,
// pageSize (default 50, at most 1000) at a time; nextPageToken (absent on
// the last page) is the token of the next page.
func (s *Server) serveGeminiBatchList(w http.ResponseWriter, r *http.Request) {
	if !s.allowed(gemKey(r)) {
		writeJSON(w, http.StatusUnauthorized, gemErrorFor(http.StatusUnauthorized, Behaviour{}))
		return
	}
	size, err := strconv.Atoi(r.URL.Query().Get("pageSize"))
	if err != nil || size < 1 {
		size = 50
	}
	size = min(size, 1000)
	start := 0
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		if start, err = strconv.Atoi(tok); err != nil || start < 0 {
			gemInvalid(w, "invalid page token")
			return
		}
	}
	now := time.Now()
	s.batch.mu.Lock()
	delay := s.batch.b.Delay
	ops := []map[string]any{}
	n := len(s.batch.gemini)
	for i := start; i < n && len(ops) < size; i++ {
		ops = append(ops, s.batch.batches[s.batch.gemini[n-1-i]].gemObject(now, delay))
	}
	s.batch.mu.Unlock()
	page := map[string]any{"operations": ops}
	if next := start + len(ops); next < n {
		page["nextPageToken"] = strconv.Itoa(next)
	}
	writeJSON(w, http.StatusOK, page)
}
