package http

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jsonappend"
)

// handleCreateAnalysis runs the local analyses inline: 200 with every
// result, or 202 with the local results, the job id and its stream URL when
// model-backed work was asked for.
func (s *Server) handleCreateAnalysis(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req copydesk.AnalysisRequest
	if err := decodeJSON(w, r, s.bodyLimit(r), &req); err != nil {
		if s.allow(w, r, p, copydesk.PriorityHigh) {
			s.writeError(w, r, err)
		}
		return
	}
	// The report's messages follow the body's locale, else Accept-Language.
	req.AcceptLanguage = r.Header.Get("Accept-Language")
	// LOW-priority batch work is throttled before interactive work.
	prio, err := copydesk.ParsePriority(req.Priority)
	if err != nil {
		prio = copydesk.PriorityHigh
	}
	if !s.allow(w, r, p, prio) {
		return
	}
	if s.Analysis == nil {
		s.writeError(w, r, unavailable("analysis"))
		return
	}
	resp, err := s.Analysis.Analyze(r.Context(), &req, p.CustomerID, p.UserID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	answer := analysisAnswer{AnalysisResponse: resp, optionalJobLinks: optionalLinksOf(resp.JobID)}
	if resp.ResultKey != "" {
		answer.ResultURL = resultURL(resp.ResultKey)
		w.Header().Set("Content-Location", answer.ResultURL)
		w.Header().Set("ETag", `"`+resp.ResultKey+`"`)
	}
	status := http.StatusOK
	if resp.JobID != "" {
		w.Header().Set("Location", answer.JobURL)
		status = http.StatusAccepted
	}
	if err := writeAppended(w, status, answer.appendJSON); err != nil {
		s.writeError(w, r, fmt.Errorf("encode the analysis answer: %w", err))
	}
}

// analysisAnswer answers POST /v1/analyses: the service's answer with the
// URLs of its stored report and of its job.
type analysisAnswer struct {
	*copydesk.AnalysisResponse
	ResultURL string `json:"result_url,omitempty"`
	optionalJobLinks
}

// appendJSON appends the answer and a newline, byte for byte what
// writeJSON's encoding/json Encoder writes (TestAnalysisAnswerJSON). The
// report, up to a few hundred KB for a long page, is compacted and checked
// in one pass (jsonappend.Raw), where encoding/json's state machine took
// as long as writing the report in the first place.
func (a analysisAnswer) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	if r := a.AnalysisResponse; r != nil {
		b = append(b, `"status":`...)
		b = jsonappend.String(b, r.Status)
		b = append(b, `,"report":`...)
		var err error
		if b, err = jsonappend.Raw(b, r.Report); err != nil {
			return b, fmt.Errorf("the report: %w", err)
		}
		if r.ResultKey != "" {
			b = append(b, `,"result_key":`...)
			b = jsonappend.String(b, r.ResultKey)
		}
		b = append(b, `,"cached":`...)
		b = strconv.AppendBool(b, r.Cached)
		if r.DeepCached {
			b = append(b, `,"deep_cached":true`...)
		}
		if len(r.Pending) > 0 {
			b = append(b, `,"pending":`...)
			b = jsonappend.Strings(b, r.Pending)
		}
		if r.JobID != "" {
			b = append(b, `,"job_id":`...)
			b = jsonappend.String(b, r.JobID)
		}
		b = append(b, ',')
	}
	for _, f := range [...]struct{ key, val string }{{`"result_url":`, a.ResultURL}, {`"job_url":`, a.JobURL}, {`"stream_url":`, a.StreamURL}} {
		if f.val != "" {
			b = append(b, f.key...)
			b = jsonappend.String(b, f.val)
			b = append(b, ',')
		}
	}
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return append(b, "}\n"...), nil
}

// handleGetAnalysis serves a finished local report by its content address:
// a strong ETag (the key), 304 on If-None-Match, and Cache-Control that lets
// the browser keep it as long as the cache does. Reports are per customer,
// so shared caches must not keep them.
func (s *Server) handleGetAnalysis(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !validKey(key) {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "%q is not a result key (64 hex digits)", key))
		return
	}
	if err := s.checkResultOwner(r, key); err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.Analysis == nil {
		s.writeError(w, r, unavailable("analysis"))
		return
	}
	raw, expiresAt, err := s.Analysis.Result(r.Context(), key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	etag := `"` + key + `"`
	h := w.Header()
	h.Set("ETag", etag)
	maxAge := int(time.Until(expiresAt).Seconds())
	if maxAge < 0 {
		maxAge = 0
	}
	h.Set("Cache-Control", "private, max-age="+strconv.Itoa(maxAge)+", immutable")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(raw)
}

// etagMatch reports whether an If-None-Match header matches etag.
func etagMatch(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || v == etag || strings.TrimPrefix(v, "W/") == etag {
			return true
		}
	}
	return false
}

func validKey(k string) bool {
	if len(k) != 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// checkResultOwner returns ENOTFOUND unless the caller may see the cached
// result's owner: report keys include the customer and the user, and this
// check makes sure a leaked key of another customer's report, or of another
// USER's, serves nothing (an ADMIN sees every report, a CLIENT its
// customer's, a USER its own and its customer's shared ones).
func (s *Server) checkResultOwner(r *http.Request, key string) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	notFound := copydesk.Errorf(copydesk.ENOTFOUND, "no cached report %q; analyze the content again with POST /v1/analyses", key)
	if s.ResultOwner == nil {
		return notFound
	}
	cust, user, ok, err := s.ResultOwner(r.Context(), key)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		return notFound
	case cust == "": // the shared partition
		return nil
	case user == "" && !p.CanSeeCustomer(cust):
		return notFound
	case user != "" && !p.CanSeeUser(cust, user):
		return notFound
	}
	return nil
}
