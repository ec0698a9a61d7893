package http

import "net/http"

// handleUIRoot redirects / to the web UI's shell (registered only when a
// UI handler is set; see registerRoutes).
func (s *Server) handleUIRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	http.Redirect(w, r, "/ui/", http.StatusFound)
}
