package http

import (
	"net/http"

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
	if resp.JobID != "" {
		w.Header().Set("Location", resp.JobURL)
		writeJSON(w, http.StatusAccepted, resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
