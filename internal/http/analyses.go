package http

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"

	"github.com/copydesk/copydesk/internal/analysis"
)

// handleCreateAnalysis runs the local analyses inline: 200 with every
// result, or 202 with the local results, the job id and its stream URL when
// model-backed work was asked for.
func (s *Server) handleCreateAnalysis(w http.ResponseWriter, r *http.Request) {
	var req analysis.Request
	if err := decodeJSON(w, r, s.BodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, err := s.Analysis.Analyze(r.Context(), &req, "", "")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if resp.ResultURL != "" {
		w.Header().Set("Content-Location", resp.ResultURL)
		w.Header().Set("ETag", `"`+resp.ResultKey+`"`)
	}
	if resp.JobID != "" {
		w.Header().Set("Location", resp.JobURL)
		writeJSON(w, http.StatusAccepted, resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
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
	raw, out, err := s.Analysis.Result(r.Context(), key)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	etag := `"` + key + `"`
	h := w.Header()
	h.Set("ETag", etag)
	maxAge := int(time.Until(out.ExpiresAt).Seconds())
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
