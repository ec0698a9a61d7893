package http

import (
	"context"
	"net/http"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ledger"
)

// CostReporter builds the cost-per-page report (ledger.Reader implements
// it); a Ledger that also implements it serves GET
// /v1/reports/cost-per-page.
type CostReporter interface {
	CostPerPage(ctx context.Context, f copydesk.UsageFilter, currency string) (*ledger.CostPerPageReport, error)
}

// handleCostPerPage serves GET /v1/reports/cost-per-page: the ledger's
// cost per 1,000 pages by kind and tier (live, batch, cached) next to the
// plan's baseline and target, for the caller's scope of usage (as GET
// /v1/usage: from, to, customer_id, user_id).
func (s *Server) handleCostPerPage(w http.ResponseWriter, r *http.Request) {
	cr, ok := s.Ledger.(CostReporter)
	if !ok {
		s.writeError(w, r, copydesk.Errorf(copydesk.EUNAVAILABLE, "the cost ledger is not configured on this server"))
		return
	}
	f, _, err := s.usageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := cr.CostPerPage(r.Context(), f, s.currency())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	writeJSON(w, http.StatusOK, rep)
}
