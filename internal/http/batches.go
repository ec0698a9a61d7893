package http

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// BatchBodyLimitDefault caps the body of POST /v1/batches: up to the
// batch service's default item count of a few KiB each.
const BatchBodyLimitDefault = 64 << 20

// batchPageDefault is how many results GET /v1/batches/{id} lists
// without ?limit=.
const batchPageDefault = 100

// batchAccepted answers POST /v1/batches.
type batchAccepted struct {
	ID         string             `json:"id"`
	Status     copydesk.JobStatus `json:"status"`
	Kind       string             `json:"kind"`
	Total      int                `json:"total"`
	Priority   string             `json:"priority"`
	URL        string             `json:"url"`
	StreamURL  string             `json:"stream_url"`
	ResultsURL string             `json:"results_url"`
}

// batchView is a batch as GET /v1/batches/{id} shows it.
type batchView struct {
	ID         string               `json:"id"`
	Status     copydesk.JobStatus   `json:"status"`
	Priority   string               `json:"priority"`
	Error      *copydesk.JobError   `json:"error,omitempty"`
	Attempts   int                  `json:"attempts"`
	CreatedAt  time.Time            `json:"created_at"`
	UpdatedAt  time.Time            `json:"updated_at"`
	FinishedAt *time.Time           `json:"finished_at,omitempty"`
	StreamURL  string               `json:"stream_url"`
	ResultsURL string               `json:"results_url"`
	Kind       string               `json:"kind"`
	Counts     copydesk.BatchCounts `json:"counts"`
	// Offset, Limit and Items are the page of results asked for (not on
	// DELETE's answer).
	Offset *int                 `json:"offset,omitempty"`
	Limit  *int                 `json:"limit,omitempty"`
	Items  []*copydesk.BulkItem `json:"items,omitempty"`
}

func batchURLs(id string) (url, stream, results string) {
	return "/v1/batches/" + id, streamURL(id), "/v1/batches/" + id + "/results.jsonl"
}

// handleCreateBatch accepts a batch: a JSON object {kind, priority, items},
// or a JSONL body (Content-Type application/jsonl or application/x-ndjson)
// of one item per line with ?kind= and ?priority=. Every item is checked
// before any is accepted: a bad one is refused with its index.
func (s *Server) handleCreateBatch(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req copydesk.BulkRequest
	if err := s.decodeBatch(w, r, &req); err != nil {
		if s.allow(w, r, p, copydesk.PriorityLow) {
			s.writeError(w, r, err)
		}
		return
	}
	prio, err := copydesk.ParsePriority(req.Priority)
	if err != nil || req.Priority == "" {
		prio = copydesk.PriorityLow
	}
	if !s.allow(w, r, p, prio) {
		return
	}
	if s.Batches == nil {
		s.writeError(w, r, unavailable("bulk jobs"))
		return
	}
	req.AcceptLanguage = r.Header.Get("Accept-Language")
	acc, err := s.Batches.Submit(r.Context(), &req, p.CustomerID, p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	url, stream, results := batchURLs(acc.Job.ID)
	w.Header().Set("Location", url)
	writeJSON(w, http.StatusAccepted, batchAccepted{
		ID: acc.Job.ID, Status: acc.Job.Status, Kind: acc.Kind, Total: acc.Total,
		Priority: acc.Job.Priority.String(), URL: url, StreamURL: stream, ResultsURL: results,
	})
}

// decodeBatch reads a batch request as JSON or JSONL.
func (s *Server) decodeBatch(w http.ResponseWriter, r *http.Request, req *copydesk.BulkRequest) error {
	limit := s.BatchBodyLimit
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/jsonl" && mt != "application/x-ndjson" {
		return decodeJSON(w, r, limit, req)
	}
	q := r.URL.Query()
	req.Kind, req.Priority = q.Get("kind"), q.Get("priority")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return copydesk.Errorf(copydesk.ETOOLARGE, "the request body is larger than the limit of %d bytes", limit)
		}
		return copydesk.Errorf(copydesk.EINVALID, "the request body could not be read")
	}
	if !utf8.Valid(body) {
		return copydesk.Errorf(copydesk.EUNPROCESSABLE, "the request body is not valid UTF-8")
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, len(body)+1)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if !json.Valid(b) {
			return copydesk.Errorf(copydesk.EINVALID, "line %d (items[%d]) is not one JSON object", line, len(req.Items))
		}
		req.Items = append(req.Items, json.RawMessage(bytes.Clone(b)))
	}
	if err := sc.Err(); err != nil {
		return copydesk.Errorf(copydesk.EINVALID, "the JSONL body could not be read: %v", err)
	}
	return nil
}

// visibleBatch returns the batch if the caller may see it (as visibleJob);
// a job that is not a batch is ENOTFOUND here.
func (s *Server) visibleBatch(r *http.Request, id string) (*copydesk.Job, error) {
	if s.Batches == nil {
		return nil, unavailable("bulk jobs")
	}
	job, err := s.visibleJob(r, id)
	if err != nil {
		return nil, err
	}
	if job.Kind != copydesk.BatchJobKind {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "batch %q not found", id)
	}
	return job, nil
}

// handleGetBatch answers a batch's status, counts and a page of results
// by item index (?offset=, ?limit=).
func (s *Server) handleGetBatch(w http.ResponseWriter, r *http.Request) {
	job, err := s.visibleBatch(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	offset, limit := 0, batchPageDefault
	q := r.URL.Query()
	for name, dst := range map[string]*int{"offset": &offset, "limit": &limit} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "%s must be a whole number, got %q", name, v))
				return
			}
			*dst = n
		}
	}
	st, err := s.Batches.Status(r.Context(), job, offset, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.viewBatch(job, st, true))
}

func (s *Server) viewBatch(job *copydesk.Job, st *copydesk.BatchStatus, page bool) batchView {
	_, stream, results := batchURLs(job.ID)
	v := batchView{
		ID: job.ID, Status: job.Status, Priority: job.Priority.String(), Error: job.Error, Attempts: job.Attempts,
		CreatedAt: job.CreatedAt, UpdatedAt: job.UpdatedAt, FinishedAt: job.FinishedAt,
		StreamURL: stream, ResultsURL: results, Kind: st.Kind, Counts: st.Counts,
	}
	if page {
		v.Offset, v.Limit, v.Items = &st.Offset, &st.Limit, st.Items
		if v.Items == nil {
			v.Items = []*copydesk.BulkItem{}
		}
	}
	return v
}

// handleBatchResults downloads a batch's finished items as JSONL, one
// item per line in the order they finished.
func (s *Server) handleBatchResults(w http.ResponseWriter, r *http.Request) {
	job, err := s.visibleBatch(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a large batch takes a while to send
	h := w.Header()
	h.Set("Content-Type", "application/jsonl; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="batch-`+job.ID+`.jsonl"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	wrote := false
	err = s.Batches.Results(r.Context(), job, func(it *copydesk.BulkItem) error {
		wrote = true
		return enc.Encode(it)
	})
	if err != nil {
		if !wrote {
			h.Del("Content-Disposition")
			s.writeError(w, r, err)
			return
		}
		// The status line is gone: cut the body, the client sees a
		// truncated download.
		s.logger(r).Error("write batch results", "job_id", job.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	_ = bw.Flush()
}

// handleCancelBatch cancels the items not finished yet; finished ones stay.
func (s *Server) handleCancelBatch(w http.ResponseWriter, r *http.Request) {
	if _, err := s.visibleBatch(r, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	job, err := s.Jobs.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.Batches.Status(r.Context(), job, 0, 1)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.viewBatch(job, st, false))
}
