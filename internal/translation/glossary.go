package translation

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Glossary returns the customer's glossary (Terms never nil). Returns
// EUNAVAILABLE when no store is configured.
func (s *Service) Glossary(ctx context.Context, customerID string) (*copydesk.Glossary, error) {
	if s.Store == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "translation is not configured on this server")
	}
	g, err := s.Store.GetGlossary(ctx, customerID)
	if err != nil {
		return nil, err
	}
	if g.Terms == nil {
		g.Terms = []copydesk.GlossaryTerm{}
	}
	return g, nil
}

// SetGlossary replaces the customer's glossary and returns it as stored
// (Terms never nil). Returns the store's EINVALID for a bad term and
// EUNAVAILABLE when no store is configured.
func (s *Service) SetGlossary(ctx context.Context, g *copydesk.Glossary) (*copydesk.Glossary, error) {
	if s.Store == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "translation is not configured on this server")
	}
	if g.Terms == nil {
		g.Terms = []copydesk.GlossaryTerm{}
	}
	if err := s.Store.PutGlossary(ctx, g); err != nil {
		return nil, err
	}
	return s.Glossary(ctx, g.CustomerID)
}
