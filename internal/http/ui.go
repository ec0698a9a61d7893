package http

import "net/http"

// registerUI registers the web UI's routes when a UI handler is set: the
// shell and its assets under /ui/, and / redirecting to /ui/. They go
// through handle like every route, so auth.Policy covers them (they are
// Public: the assets hold no data). They are left out of openapi.json,
// which documents the JSON API.
func (s *Server) registerUI() {
	if s.UI == nil {
		return
	}
	s.handle("GET", "/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.Redirect(w, r, "/ui/", http.StatusFound)
	})
	s.handle("GET", "/ui/{path...}", s.UI.ServeHTTP)
}
