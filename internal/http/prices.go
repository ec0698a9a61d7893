package http

import (
	"context"
	"net/http"
)

// handlePrices serves GET /v1/prices: the price of every model Copydesk
// costs calls with, per million tokens in the accounting currency, as the
// catalogue sets it or the configuration overrides it (read-only: prices
// change in the configuration file).
func (s *Server) handlePrices(w http.ResponseWriter, r *http.Request) {
	prices, err := s.Prices(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	writeJSON(w, http.StatusOK, prices)
}

// PriceList reads the price table for GET /v1/prices.
type PriceList func(ctx context.Context) (any, error)
