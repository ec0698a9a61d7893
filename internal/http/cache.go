package http

import (
	"context"
	"net/http"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// CacheOps are the operator's cache operations.
type CacheOps struct {
	// Stats returns the figures per tier and layer.
	Stats func(ctx context.Context) any
	// Purge deletes the matching entries from every layer and says how many.
	Purge func(ctx context.Context, f copydesk.CacheFilter) (any, error)
}

// maxWarmItems bounds one warm-up request.
const maxWarmItems = 100

// purgeRequest selects cache entries to delete. At least one field is
// required: purging everything is an explicit {"all": true}.
type purgeRequest struct {
	CustomerID string        `json:"customer_id"`
	Kind       string        `json:"kind"`
	Tier       copydesk.Tier `json:"tier"`
	Key        string        `json:"key"`
	All        bool          `json:"all"`
}

func (s *Server) handleCacheStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Cache.Stats(r.Context()))
}

// handlePurgeCache deletes entries by customer, task kind, tier or key. A
// CLIENT purges only its own customer's entries.
func (s *Server) handlePurgeCache(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req purgeRequest
	if err := decodeJSON(w, r, s.BodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch req.Tier {
	case "", copydesk.TierPermanent, copydesk.TierStable, copydesk.TierDynamic, copydesk.TierRealtime:
	default:
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "tier %q is not one of permanent, stable, dynamic, realtime", req.Tier))
		return
	}
	if req.Key != "" && !validKey(req.Key) {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "key %q is not a cache key (64 hex digits)", req.Key))
		return
	}
	f := copydesk.CacheFilter{CustomerID: req.CustomerID, Kind: req.Kind, Tier: req.Tier, Key: req.Key}
	if p.Role != copydesk.RoleAdmin {
		if f.CustomerID != "" && f.CustomerID != p.CustomerID {
			s.writeError(w, r, copydesk.Errorf(copydesk.EFORBIDDEN, "you may purge only your own customer's entries"))
			return
		}
		f.CustomerID = p.CustomerID
	}
	if f == (copydesk.CacheFilter{}) && !req.All {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "name customer_id, kind, tier or key; to purge everything send {\"all\": true}"))
		return
	}
	n, err := s.Cache.Purge(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"purged": n})
}

// warmRequest lists contents to analyze ahead of time.
type warmRequest struct {
	Items []copydesk.AnalysisRequest `json:"items"`
}

// handleWarmCache analyzes a list of contents ahead of time: local reports
// are cached at once, model work runs as LOW-priority jobs (batch work,
// behind every interactive request).
func (s *Server) handleWarmCache(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req warmRequest
	if err := decodeJSON(w, r, s.BodyLimit, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Items) == 0 || len(req.Items) > maxWarmItems {
		s.writeError(w, r, copydesk.Errorf(copydesk.EINVALID, "items: send between 1 and %d contents", maxWarmItems))
		return
	}
	if !s.allow(w, r, p, copydesk.PriorityLow) {
		return
	}
	if s.Analysis == nil {
		s.writeError(w, r, unavailable("analysis"))
		return
	}
	type warmed struct {
		ResultKey string `json:"result_key,omitempty"`
		JobID     string `json:"job_id,omitempty"`
		StreamURL string `json:"stream_url,omitempty"`
		Cached    bool   `json:"cached"`
	}
	out := make([]warmed, 0, len(req.Items))
	for i := range req.Items {
		item := req.Items[i]
		item.Priority = "low"
		resp, err := s.Analysis.Analyze(r.Context(), &item, p.CustomerID, p.UserID)
		if err != nil {
			s.writeError(w, r, copydesk.Errorf(copydesk.ErrorCode(err), "items[%d]: %s", i, copydesk.ErrorMessage(err)))
			return
		}
		out = append(out, warmed{ResultKey: resp.ResultKey, JobID: resp.JobID, StreamURL: optionalLinksOf(resp.JobID).StreamURL, Cached: resp.Cached})
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"items": out})
}
