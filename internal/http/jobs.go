package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// jobURL is the URL of job id, streamURL of its events and resultURL of a
// cached analysis report: the one place that spells them.
func jobURL(id string) string     { return "/v1/jobs/" + id }
func streamURL(id string) string  { return "/v1/jobs/" + id + "/events" }
func resultURL(key string) string { return "/v1/analyses/" + key }

// jobView is a job as the API shows it.
type jobView struct {
	*copydesk.Job
	Priority  string `json:"priority"`
	StreamURL string `json:"stream_url"`
}

func viewJob(j *copydesk.Job) jobView {
	return jobView{Job: j, Priority: j.Priority.String(), StreamURL: streamURL(j.ID)}
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

// Job list limits: the default and the largest page.
const (
	jobListDefault = 50
	jobListMax     = 200
)

// handleListJobs lists jobs, newest first: an ADMIN's of every customer (or
// of ?customer_id), a CLIENT's of its customer, a USER's own; ?status
// filters by status, ?limit (at most 200) and ?offset page.
func (s *Server) handleListJobs(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.JobList == nil {
		s.writeError(w, r, copydesk.Errorf(copydesk.EUNAVAILABLE, "the job list is not available"))
		return
	}
	q := r.URL.Query()
	var f copydesk.JobFilter
	if q.Get("customer_id") != "" || p.Role != copydesk.RoleAdmin {
		cust, err := customerParam(r, p)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		f.CustomerID = &cust
	}
	if p.Role == copydesk.RoleUser {
		uid := p.UserID
		f.UserID = &uid
	}
	if v := q.Get("status"); v != "" {
		st := copydesk.JobStatus(v)
		switch st {
		case copydesk.JobQueued, copydesk.JobRunning, copydesk.JobSucceeded, copydesk.JobPartial, copydesk.JobFailed, copydesk.JobCancelled:
		default:
			s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "status %q is not one of queued, running, succeeded, partial, failed, cancelled", v))
			return
		}
		f.Status = &st
	}
	f.Limit, f.Offset = jobListDefault, 0
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n == 0 || n > jobListMax)) {
				s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "%s must be a whole number (limit 1 to %d), got %q", name, jobListMax, v))
				return
			}
			*dst = n
		}
	}
	jobs, total, err := s.JobList(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	views := make([]jobView, len(jobs))
	for i, j := range jobs {
		views[i] = viewJob(j)
		views[i].Result = nil // the list is an overview: each job's result is at its URL
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"jobs": views, "total": total})
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
	if err := visibleTo(p, job); err != nil {
		return nil, err
	}
	return job, nil
}

// visibleTo answers ENOTFOUND, as for a job that does not exist, when p may
// not see job.
func visibleTo(p copydesk.Principal, job *copydesk.Job) error {
	if !p.CanSeeUser(job.CustomerID, job.UserID) {
		return copydesk.Errorf(copydesk.ENOTFOUND, "job %q not found", job.ID)
	}
	return nil
}

// eventBatch is how many stored events a stream reads at a time.
const eventBatch = 500

// handleJobEvents streams a job's events as Server-Sent Events. A stream
// reads the store when it connects (after Last-Event-ID, or ?last_event_id=,
// so that a client that reconnects receives exactly the events it missed;
// for a running job this process accepted, the job service answers from
// its broker instead) and when it falls behind; otherwise the job
// service's feed carries each stored event to it at once. The stream ends after the done event, and at
// once for a client that resumed a finished job after its last event.
func (s *Server) handleJobEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	last, lastErr := lastEventID(r)
	// Subscribe before reading so no event between read and wait is lost;
	// the job and its first events come in one store round trip.
	feed := s.Jobs.Subscribe(id)
	defer feed.Close()
	job, first, err := s.Jobs.GetWithEvents(ctx, id, last, eventBatch)
	if err == nil {
		err = visibleTo(p, job)
	}
	if err == nil {
		err = lastErr
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Observer != nil {
		defer s.Observer.StreamOpened()()
	}
	s.streams.opened()
	defer s.streams.closed()

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // no server write timeout cuts a stream
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	// The reconnection delay goes out with the first events caught up, in
	// one write (or alone when there are none).
	st := &eventStream{w: w, rc: rc, last: last}
	st.buf.WriteString("retry: 2000\n\n")
	// catchUp writes the stored events after last; done reports the done
	// event was written.
	pending := true // first is the first read, not written yet
	catchUp := func() (done bool, ok bool) {
		for {
			var evs []*copydesk.Event
			var err error
			if pending {
				evs, pending = first, false
			} else {
				evs, err = s.Jobs.Events(ctx, id, st.last, eventBatch)
			}
			if err != nil {
				if ctx.Err() == nil {
					s.logger(r).Error("read job events", "job_id", id, "err", err)
					writeSSE(&st.buf, 0, "error", []byte(`{"code":"internal","message":"the stream failed; reconnect to resume"}`))
					st.flush()
				}
				return false, false
			}
			done := st.add(evs)
			if done || len(evs) < eventBatch {
				return done, st.flush()
			}
			if !st.flush() {
				return false, false
			}
		}
	}
	if done, ok := catchUp(); done || !ok {
		return
	}
	if last > 0 && st.last == last && job.Status.Final() {
		// A client that resumed and has nothing new from a job final when
		// it connected: its done event (written with the final status) is
		// behind it.
		return
	}

	heartbeat := time.NewTicker(s.Heartbeat)
	defer heartbeat.Stop()
	poll := time.NewTicker(s.StreamPoll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.closing:
			writeSSE(&st.buf, 0, "shutdown", []byte(`{"message":"the server is restarting; reconnect with Last-Event-ID to resume"}`))
			st.flush()
			return
		case <-feed.Ready():
			evs, gap := feed.Take()
			// Carried events in order: write them, in one write; a gap
			// (events this stream missed or has not seen yet) is read from
			// the store.
			done := false
			for i, ev := range evs {
				if ev.Seq <= st.last {
					continue
				}
				if ev.Seq != st.last+1 {
					gap = true
					break
				}
				if done = st.add(evs[i : i+1]); done {
					break
				}
			}
			if !st.flush() || done {
				return
			}
			if gap {
				if done, ok := catchUp(); done || !ok {
					return
				}
			}
		case <-poll.C:
			if done, ok := catchUp(); done || !ok {
				return
			}
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

// eventStream writes a job's events to one SSE client.
type eventStream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	buf  bytes.Buffer
	last int64 // the last event written
}

// add adds evs (in order, after last) to what the next flush writes. It
// reports whether the done event was among them.
func (st *eventStream) add(evs []*copydesk.Event) (done bool) {
	for _, ev := range evs {
		writeSSE(&st.buf, ev.Seq, ev.Type, ev.Data) // no copy: one event goes to every stream of its job
		st.last = ev.Seq
		done = done || ev.Type == copydesk.EventDone
	}
	return done
}

// flush writes what was added since the last flush, if anything, and
// reports whether the client is still there.
func (st *eventStream) flush() bool {
	if st.buf.Len() == 0 {
		return true
	}
	_, err := st.w.Write(st.buf.Bytes())
	st.buf.Reset()
	return err == nil && st.rc.Flush() == nil
}

// writeSSE appends one event in the SSE wire format. data must be one line
// (JSON encoding guarantees it). seq 0 writes no id, so the client's resume
// position is not moved by control events.
func writeSSE(b *bytes.Buffer, seq int64, typ string, data []byte) {
	if seq > 0 {
		b.WriteString("id: ")
		b.Write(strconv.AppendInt(b.AvailableBuffer(), seq, 10))
		b.WriteByte('\n')
	}
	b.WriteString("event: ")
	b.WriteString(typ)
	b.WriteString("\ndata: ")
	b.Write(data)
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
