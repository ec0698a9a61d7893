package http

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// jobView is a job as the API shows it.
type jobView struct {
	*copydesk.Job
	Priority  string `json:"priority"`
	StreamURL string `json:"stream_url"`
}

func viewJob(j *copydesk.Job) jobView {
	return jobView{Job: j, Priority: j.Priority.String(), StreamURL: "/v1/jobs/" + j.ID + "/events"}
}

// handleGetJob answers a job. A finished job never changes: it gets a strong
// ETag over its body, 304 on If-None-Match, and may be kept by the browser.
func (s *Server) handleGetJob(w http.ResponseWriter, r *http.Request) {
	job, err := s.visibleJob(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !job.Status.Final() {
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, viewJob(job))
		return
	}
	body, err := json.Marshal(viewJob(job))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(append(body, '\n'))
}

func (s *Server) handleCancelJob(w http.ResponseWriter, r *http.Request) {
	if _, err := s.visibleJob(r, r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	job, err := s.Jobs.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewJob(job))
}

// visibleJob returns the job if the caller may see it: an ADMIN any job, a
// CLIENT its customer's, a USER its own. Others' jobs are ENOTFOUND, as if
// they did not exist.
func (s *Server) visibleJob(r *http.Request, id string) (*copydesk.Job, error) {
	p, err := principal(r)
	if err != nil {
		return nil, err
	}
	job, err := s.Jobs.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !p.CanSeeUser(job.CustomerID, job.UserID) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", id)
	}
	return job, nil
}

// eventBatch is how many stored events a stream reads at a time.
const eventBatch = 500

// handleJobEvents streams a job's events as Server-Sent Events. Events are
// read from the store, so a client that reconnects with Last-Event-ID (or
// ?last_event_id=) receives exactly the events it missed. The stream ends
// after the done event.
func (s *Server) handleJobEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := s.visibleJob(r, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	last, err := lastEventID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Observer != nil {
		defer s.Observer.StreamOpened()()
	}
	// Subscribe before reading so no wake-up between read and wait is lost.
	wake, unsubscribe := s.Jobs.Subscribe(id)
	defer unsubscribe()

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // no server write timeout cuts a stream
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	_ = rc.Flush()

	heartbeat := time.NewTicker(s.Heartbeat)
	defer heartbeat.Stop()
	poll := time.NewTicker(s.StreamPoll)
	defer poll.Stop()
	var buf strings.Builder
	first := true
	for {
		for {
			evs, err := s.Jobs.Events(ctx, id, last, eventBatch)
			if err != nil {
				if ctx.Err() == nil {
					s.logger(r).Error("read job events", "job_id", id, "err", err)
					writeSSE(&buf, 0, "error", `{"code":"internal","message":"the stream failed; reconnect to resume"}`)
					_, _ = w.Write([]byte(buf.String()))
					_ = rc.Flush()
				}
				return
			}
			buf.Reset()
			done := false
			for _, ev := range evs {
				writeSSE(&buf, ev.Seq, ev.Type, string(ev.Data))
				last = ev.Seq
				done = done || ev.Type == copydesk.EventDone
			}
			if len(evs) > 0 {
				if _, err := w.Write([]byte(buf.String())); err != nil {
					return
				}
				if err := rc.Flush(); err != nil {
					return
				}
			}
			if done {
				return
			}
			if len(evs) < eventBatch {
				break
			}
		}
		if first && last > 0 {
			// A client that resumed after the done event has nothing left:
			// the event it last saw is the done event. (Checking the job's
			// final status instead would race with the done event being
			// written after the status.)
			first = false
			if evs, err := s.Jobs.Events(ctx, id, last-1, 1); err == nil && len(evs) == 1 && evs[0].Seq == last && evs[0].Type == copydesk.EventDone {
				return
			}
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			buf.Reset()
			writeSSE(&buf, 0, "shutdown", `{"message":"the server is restarting; reconnect with Last-Event-ID to resume"}`)
			_, _ = w.Write([]byte(buf.String()))
			_ = rc.Flush()
			return
		case <-wake:
		case <-poll.C:
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// writeSSE appends one event in the SSE wire format. data must be one line
// (JSON encoding guarantees it). seq 0 writes no id, so the client's resume
// position is not moved by control events.
func writeSSE(b *strings.Builder, seq int64, typ, data string) {
	if seq > 0 {
		b.WriteString("id: ")
		b.WriteString(strconv.FormatInt(seq, 10))
		b.WriteByte('\n')
	}
	b.WriteString("event: ")
	b.WriteString(typ)
	b.WriteString("\ndata: ")
	b.WriteString(data)
	b.WriteString("\n\n")
}

func lastEventID(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, copydesk.Errorf(copydesk.EINVALID, "Last-Event-ID must be a non-negative event number, got %q", v)
	}
	return n, nil
}
