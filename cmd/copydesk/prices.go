package main

import (
	"context"
	"slices"

	"github.com/copydesk/copydesk/internal/pricing"
)

// priceView is one model's prices as GET /v1/prices lists them.
type priceView struct {
	pricing.Price
	// Source is "catalogue" or "config" (an override in pricing.prices).
	Source string `json:"source"`
}

// priceList answers GET /v1/prices from the router's price table: the
// prices in force now, in the accounting currency, and whether the
// configuration overrides the catalogue's.
func (m *Main) priceList(context.Context) (any, error) {
	out := struct {
		Currency string      `json:"currency"`
		Prices   []priceView `json:"prices"`
	}{Currency: m.Config.Pricing.Currency, Prices: []priceView{}}
	if m.routed == nil || m.routed.Router.Prices() == nil {
		return out, nil
	}
	t := m.routed.Router.Prices()
	out.Currency = t.Currency().Code
	overridden := func(model string) bool {
		return slices.ContainsFunc(m.Config.Pricing.Prices, func(p pricing.Price) bool { return p.Model == model })
	}
	now := m.Clock.Now()
	for _, model := range t.Models() {
		p, err := t.Lookup(model, now)
		if err != nil {
			continue // no price in force now (only future-dated rows)
		}
		v := priceView{Price: p, Source: "catalogue"}
		if overridden(model) {
			v.Source = "config"
		}
		out.Prices = append(out.Prices, v)
	}
	return out, nil
}
