package http

import (
	"net/http"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// gatewayCall is the start every model API (chat completions, messages,
// embeddings) shares: the caller and its rate limit, the body decoded
// into body and turned into a model request, a provider to call, and the
// model name resolved against the key's model list. ok is false when an
// error has been written.
func gatewayCall[B any](s *Server, w http.ResponseWriter, r *http.Request, kind, api string, body *B, request func(*B) (copydesk.ModelRequest, error)) (call copydesk.ModelCall, info copydesk.ModelInfo, ok bool) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return call, info, false
	}
	if !s.allow(w, r, p, copydesk.PriorityCritical) {
		return call, info, false
	}
	if err := decodeJSONLenient(w, r, s.bodyLimit(r), body); err != nil {
		s.writeError(w, r, err)
		return call, info, false
	}
	req, err := request(body)
	if err != nil {
		s.writeError(w, r, err)
		return call, info, false
	}
	if s.Models == nil {
		s.writeError(w, r, copydesk.NoProvider(api))
		return call, info, false
	}
	call = copydesk.ModelCall{Kind: kind, Priority: copydesk.PriorityCritical, Request: req,
		CustomerID: p.CustomerID, UserID: p.UserID, KeyID: p.KeyID}
	if info, err = s.resolveModel(p, call); err != nil {
		s.writeError(w, r, err)
		return call, info, false
	}
	return call, info, true
}
