// Package pricing turns the token usage a provider reports into money: a
// price table per model with cached-input prices, long-context tiers and
// effective dates, and a conversion from the US dollars providers publish
// their prices in to the currency Copydesk accounts in.
//
// All amounts are integers. Prices are micro-dollars per million tokens
// (2_500_000 is $2.50 per million tokens); costs are micro-units of the
// configured currency, always rounded up, so that Copydesk never reports less
// than a provider charges. An unknown model is a configuration error
// (EINVALID), never a free call; a model is free only when the configuration
// says so with an explicit zero price (the simulated provider, a local model).
package pricing

import (
	"cmp"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// MTok is the number of tokens a per-MTok price is quoted for.
const MTok = 1_000_000

// Price is the published price of one model from one date on. Amounts are
// micro-US-dollars per million tokens, as providers publish them.
type Price struct {
	// Model is the provider's model name, e.g. "gpt-4.1-mini".
	Model string `yaml:"model" json:"model"`
	// InputPerMTok is the price of uncached input tokens.
	InputPerMTok copydesk.Micros `yaml:"input_per_mtok" json:"input_per_mtok"`
	// OutputPerMTok is the price of output tokens (reasoning tokens included).
	OutputPerMTok copydesk.Micros `yaml:"output_per_mtok" json:"output_per_mtok"`
	// CachedInputPerMTok is the price of input tokens read from the provider's
	// prompt cache. Zero means cached input is charged as ordinary input.
	CachedInputPerMTok copydesk.Micros `yaml:"cached_input_per_mtok" json:"cached_input_per_mtok"`
	// LongContextThreshold, when positive, is the prompt size in input tokens
	// (cached included) above which every token of the call is charged at the
	// Long* prices. Zero means the model has a single tier.
	LongContextThreshold int `yaml:"long_context_threshold" json:"long_context_threshold"`
	// LongInputPerMTok is the uncached input price above the threshold.
	LongInputPerMTok copydesk.Micros `yaml:"long_input_per_mtok" json:"long_input_per_mtok"`
	// LongOutputPerMTok is the output price above the threshold.
	LongOutputPerMTok copydesk.Micros `yaml:"long_output_per_mtok" json:"long_output_per_mtok"`
	// LongCachedInputPerMTok is the cached input price above the threshold.
	// Zero means cached input is charged as LongInputPerMTok.
	LongCachedInputPerMTok copydesk.Micros `yaml:"long_cached_input_per_mtok" json:"long_cached_input_per_mtok"`
	// BatchInputPerMTok and BatchOutputPerMTok are the prices of the
	// provider's asynchronous batch API (service tier "batch"). Zero means
	// the list price (never assumed cheaper than configured).
	BatchInputPerMTok  copydesk.Micros `yaml:"batch_input_per_mtok" json:"batch_input_per_mtok"`
	BatchOutputPerMTok copydesk.Micros `yaml:"batch_output_per_mtok" json:"batch_output_per_mtok"`
	// Effective is the first moment the price applies. Required.
	Effective time.Time `yaml:"effective" json:"effective"`
	// Source names where the price was published (a URL).
	Source string `yaml:"source" json:"source"`
}

// maxPerMTok bounds a price so that cost arithmetic cannot overflow: $1,000,000
// per million tokens is far above any real price.
const maxPerMTok = copydesk.Micros(1_000_000 * 1_000_000)

// maxTokens bounds token counts in one call (a billion tokens).
const maxTokens = 1_000_000_000

// Validate reports the first bad field of p as an EINVALID error naming it.
func (p Price) Validate() error {
	if strings.TrimSpace(p.Model) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "price: model is required")
	}
	fields := []struct {
		name string
		v    copydesk.Micros
	}{
		{"input_per_mtok", p.InputPerMTok},
		{"output_per_mtok", p.OutputPerMTok},
		{"cached_input_per_mtok", p.CachedInputPerMTok},
		{"long_input_per_mtok", p.LongInputPerMTok},
		{"long_output_per_mtok", p.LongOutputPerMTok},
		{"long_cached_input_per_mtok", p.LongCachedInputPerMTok},
		{"batch_input_per_mtok", p.BatchInputPerMTok},
		{"batch_output_per_mtok", p.BatchOutputPerMTok},
	}
	for _, f := range fields {
		if f.v < 0 {
			return copydesk.Errorf(copydesk.EINVALID, "price of model %q: %s cannot be negative (got %d)", p.Model, f.name, f.v)
		}
		if f.v > maxPerMTok {
			return copydesk.Errorf(copydesk.EINVALID, "price of model %q: %s is %d micro-USD per million tokens, above the sanity limit %d", p.Model, f.name, f.v, maxPerMTok)
		}
	}
	if p.LongContextThreshold < 0 {
		return copydesk.Errorf(copydesk.EINVALID, "price of model %q: long_context_threshold cannot be negative (got %d)", p.Model, p.LongContextThreshold)
	}
	if p.LongContextThreshold > 0 && p.LongInputPerMTok == 0 && p.LongOutputPerMTok == 0 {
		return copydesk.Errorf(copydesk.EINVALID, "price of model %q: long_context_threshold is set but long_input_per_mtok and long_output_per_mtok are 0", p.Model)
	}
	if p.LongContextThreshold == 0 && (p.LongInputPerMTok != 0 || p.LongOutputPerMTok != 0 || p.LongCachedInputPerMTok != 0) {
		return copydesk.Errorf(copydesk.EINVALID, "price of model %q: long-context prices are set but long_context_threshold is 0", p.Model)
	}
	if p.Effective.IsZero() {
		return copydesk.Errorf(copydesk.EINVALID, "price of model %q: effective (the date the price applies from) is required", p.Model)
	}
	return nil
}

// rates returns the input, cached input and output prices that apply to a
// call with promptTokens input tokens.
func (p Price) rates(promptTokens int) (in, cached, out copydesk.Micros) {
	in, cached, out = p.InputPerMTok, p.CachedInputPerMTok, p.OutputPerMTok
	if p.LongContextThreshold > 0 && promptTokens > p.LongContextThreshold {
		in, cached, out = p.LongInputPerMTok, p.LongCachedInputPerMTok, p.LongOutputPerMTok
	}
	if cached == 0 {
		cached = in
	}
	return in, cached, out
}

// Currency is the currency Copydesk accounts in and its rate against the US
// dollar, in which providers publish prices.
type Currency struct {
	// Code is the ISO 4217 code, e.g. "EUR".
	Code string `yaml:"code" json:"code"`
	// PerUSD is how many micro-units of the currency one US dollar buys:
	// 1_000_000 for USD itself, 920_000 for EUR at 0.92.
	PerUSD int64 `yaml:"per_usd" json:"per_usd"`
}

// USD is the US dollar, the currency of published prices.
var USD = Currency{Code: "USD", PerUSD: 1_000_000}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate reports a bad code or rate as an EINVALID error naming the field.
func (c Currency) Validate() error {
	if !currencyCode.MatchString(c.Code) {
		return copydesk.Errorf(copydesk.EINVALID, "currency: code %q is not an ISO 4217 code such as EUR or USD", c.Code)
	}
	if c.PerUSD <= 0 || c.PerUSD > 1_000_000_000_000 {
		return copydesk.Errorf(copydesk.EINVALID, "currency %s: per_usd must be between 1 and 1e12 micro-units per US dollar (got %d)", c.Code, c.PerUSD)
	}
	return nil
}

// FromUSD converts micro-dollars to micro-units of c, rounding up.
func (c Currency) FromUSD(usd copydesk.Micros) (copydesk.Micros, error) {
	if usd < 0 {
		return 0, copydesk.Errorf(copydesk.EINVALID, "currency %s: cannot convert a negative amount (%d)", c.Code, usd)
	}
	return mulDivUp(uint64(usd), uint64(c.PerUSD), 1_000_000)
}

// ParseRate parses a decimal exchange rate such as "0.92" (units of the
// currency per US dollar, at most six decimals) into micro-units per dollar.
func ParseRate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 6 || strings.ContainsAny(whole+frac, "+-") {
		return 0, copydesk.Errorf(copydesk.EINVALID, "rate %q: want a positive decimal with at most 6 decimals, e.g. 0.92", s)
	}
	w, err := strconv.ParseInt(cmp.Or(whole, "0"), 10, 64)
	if err != nil || w > 1_000_000 {
		return 0, copydesk.Errorf(copydesk.EINVALID, "rate %q: want a positive decimal with at most 6 decimals, e.g. 0.92", s)
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil {
			return 0, copydesk.Errorf(copydesk.EINVALID, "rate %q: want a positive decimal with at most 6 decimals, e.g. 0.92", s)
		}
	}
	r := w*1_000_000 + f
	if r <= 0 {
		return 0, copydesk.Errorf(copydesk.EINVALID, "rate %q: must be above zero", s)
	}
	return r, nil
}

// Config is the price section of the configuration file.
type Config struct {
	// Currency is the ISO 4217 code Copydesk accounts in. Default "USD".
	Currency string `yaml:"currency" json:"currency"`
	// PerUSD is the exchange rate as a decimal string: units of Currency per
	// US dollar, e.g. "0.92" for EUR. Required unless Currency is USD.
	PerUSD string `yaml:"per_usd" json:"per_usd"`
	// Prices replace or add to the default prices (the model catalogue's),
	// model by model: a configured model's prices replace all default
	// prices of that model.
	Prices []Price `yaml:"prices" json:"prices"`
	// NoDefaults leaves the default prices out entirely.
	NoDefaults bool `yaml:"no_defaults" json:"no_defaults"`
}

// Table builds the price table the configuration describes over the
// default prices (internal/catalog's, for Copydesk). Returns EINVALID naming
// the bad field if the configuration is wrong.
func (c Config) Table(defaults []Price) (*Table, error) {
	cur := Currency{Code: cmp.Or(strings.ToUpper(strings.TrimSpace(c.Currency)), "USD")}
	switch {
	case c.PerUSD != "":
		r, err := ParseRate(c.PerUSD)
		if err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "pricing: per_usd: %s", copydesk.ErrorMessage(err))
		}
		cur.PerUSD = r
	case cur.Code == "USD":
		cur.PerUSD = USD.PerUSD
	default:
		return nil, copydesk.Errorf(copydesk.EINVALID, "pricing: per_usd (units of %s per US dollar, e.g. \"0.92\") is required when currency is not USD", cur.Code)
	}
	configured := make(map[string]bool, len(c.Prices))
	for i, p := range c.Prices {
		if err := p.Validate(); err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "pricing.prices[%d]: %s", i, copydesk.ErrorMessage(err))
		}
		configured[p.Model] = true
	}
	var prices []Price
	if !c.NoDefaults {
		for _, p := range defaults {
			if !configured[p.Model] {
				prices = append(prices, p)
			}
		}
	}
	prices = append(prices, c.Prices...)
	return NewTable(cur, prices)
}

// Table is an immutable price table: prices per model over time and the
// accounting currency. It is safe for concurrent use.
type Table struct {
	currency Currency
	prices   map[string][]Price // by model, sorted by Effective ascending
}

// NewTable returns a table of prices in currency cur. Returns EINVALID if a
// price or the currency is invalid, or a model has two prices with the same
// effective date.
func NewTable(cur Currency, prices []Price) (*Table, error) {
	if err := cur.Validate(); err != nil {
		return nil, err
	}
	t := &Table{currency: cur, prices: make(map[string][]Price)}
	for i, p := range prices {
		if err := p.Validate(); err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "prices[%d]: %s", i, copydesk.ErrorMessage(err))
		}
		t.prices[p.Model] = append(t.prices[p.Model], p)
	}
	for model, ps := range t.prices {
		slices.SortFunc(ps, func(a, b Price) int { return a.Effective.Compare(b.Effective) })
		for i := 1; i < len(ps); i++ {
			if ps[i].Effective.Equal(ps[i-1].Effective) {
				return nil, copydesk.Errorf(copydesk.EINVALID, "prices: model %q has two prices effective %s", model, ps[i].Effective.Format(time.RFC3339))
			}
		}
	}
	return t, nil
}

// Currency returns the currency costs are computed in.
func (t *Table) Currency() Currency { return t.currency }

// Models returns the models the table has prices for, sorted.
func (t *Table) Models() []string {
	models := make([]string, 0, len(t.prices))
	for m := range t.prices {
		models = append(models, m)
	}
	slices.Sort(models)
	return models
}

// snapshotSuffix matches the date or "latest" suffix providers append to a
// model alias: gpt-4o-2024-08-06, claude-sonnet-4-20250514, claude-3-5-haiku-latest.
var snapshotSuffix = regexp.MustCompile(`-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$`)

// Lookup returns the price of model in force at time at. A dated snapshot
// name (gpt-4o-2024-08-06, claude-sonnet-4-20250514) falls back to the price
// of its alias when it has none of its own. Returns EINVALID if the model has
// no price at that time: that is a configuration error, never a free call.
func (t *Table) Lookup(model string, at time.Time) (Price, error) {
	ps, ok := t.prices[model]
	if !ok {
		if base := snapshotSuffix.ReplaceAllString(model, ""); base != model {
			ps, ok = t.prices[base]
		}
	}
	if !ok {
		return Price{}, copydesk.Errorf(copydesk.EINVALID,
			"no price for model %q: add it under pricing.prices in the configuration (model, input_per_mtok, output_per_mtok, effective, source) so its calls can be costed", model)
	}
	i, _ := slices.BinarySearchFunc(ps, at, func(p Price, at time.Time) int {
		if p.Effective.After(at) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return Price{}, copydesk.Errorf(copydesk.EINVALID,
			"no price for model %q effective at %s: its earliest price is effective %s; add an earlier price under pricing.prices",
			model, at.UTC().Format(time.RFC3339), ps[0].Effective.UTC().Format(time.RFC3339))
	}
	return ps[i-1], nil
}

// Cost returns what a call to model with usage u cost at time at, in the
// table's currency, rounded up to the micro-unit. Cached tokens are part of
// InputTokens and are charged at the cached price; if a provider reports more
// cached than input tokens, the cached count is taken as the prompt size.
// Above a model's long-context threshold every token is charged at the
// long-context prices. Returns EINVALID for an unknown model or negative
// token counts.
func (t *Table) Cost(model string, u copydesk.Usage, at time.Time) (copydesk.Micros, error) {
	p, err := t.Lookup(model, at)
	if err != nil {
		return 0, err
	}
	return t.cost(p, u)
}

// CostOf is Cost with a price already looked up.
func (t *Table) CostOf(p Price, u copydesk.Usage) (copydesk.Micros, error) {
	return t.cost(p, u)
}

func (t *Table) cost(p Price, u copydesk.Usage) (copydesk.Micros, error) {
	if u.InputTokens < 0 || u.OutputTokens < 0 || u.CachedTokens < 0 {
		return 0, copydesk.Errorf(copydesk.EINVALID, "usage for model %q has negative token counts (input %d, output %d, cached %d)", p.Model, u.InputTokens, u.OutputTokens, u.CachedTokens)
	}
	if u.InputTokens > maxTokens || u.OutputTokens > maxTokens || u.CachedTokens > maxTokens {
		return 0, copydesk.Errorf(copydesk.EINVALID, "usage for model %q exceeds %d tokens", p.Model, maxTokens)
	}
	prompt := max(u.InputTokens, u.CachedTokens)
	in, cached, out := p.rates(prompt)
	// Each term is below 1e9 tokens * 1e12 micros = 1e21: use 128-bit sums.
	var hi, lo uint64
	add := func(tokens int, perMTok copydesk.Micros) {
		h, l := bits.Mul64(uint64(tokens), uint64(perMTok))
		var c uint64
		lo, c = bits.Add64(lo, l, 0)
		hi, _ = bits.Add64(hi, h, c)
	}
	add(prompt-u.CachedTokens, in)
	add(u.CachedTokens, cached)
	add(u.OutputTokens, out)
	// usdMicros*MTok = hi:lo; cost = ceil(hi:lo * PerUSD / (MTok * 1e6)).
	return mulDivUp128(hi, lo, uint64(t.currency.PerUSD), MTok*1_000_000)
}

// Batch returns p as the batch tier charges it: every input and output
// rate (long-context ones too) scaled by the batch-to-list ratio of input
// and output, cached input at no more than batch input. Without batch
// prices p is returned as is.
func (p Price) Batch() Price {
	scale := func(v, num, den copydesk.Micros) copydesk.Micros {
		if num == 0 || den == 0 {
			return v
		}
		c, err := mulDivUp(uint64(v), uint64(num), uint64(den))
		if err != nil {
			return v
		}
		return c
	}
	b := p
	bi, bo := p.BatchInputPerMTok, p.BatchOutputPerMTok
	b.InputPerMTok = scale(p.InputPerMTok, bi, p.InputPerMTok)
	b.OutputPerMTok = scale(p.OutputPerMTok, bo, p.OutputPerMTok)
	b.CachedInputPerMTok = scale(p.CachedInputPerMTok, bi, p.InputPerMTok)
	b.LongInputPerMTok = scale(p.LongInputPerMTok, bi, p.InputPerMTok)
	b.LongOutputPerMTok = scale(p.LongOutputPerMTok, bo, p.OutputPerMTok)
	b.LongCachedInputPerMTok = scale(p.LongCachedInputPerMTok, bi, p.InputPerMTok)
	return b
}

// BatchCost is Cost at the model's batch price (see Price.Batch).
func (t *Table) BatchCost(model string, u copydesk.Usage, at time.Time) (copydesk.Micros, error) {
	p, err := t.Lookup(model, at)
	if err != nil {
		return 0, err
	}
	return t.cost(p.Batch(), u)
}

// BatchMaxCost is MaxCost at the model's batch price.
func (t *Table) BatchMaxCost(model string, inputTokens, maxOutputTokens int, at time.Time) (copydesk.Micros, error) {
	return t.BatchCost(model, copydesk.Usage{InputTokens: inputTokens, OutputTokens: maxOutputTokens}, at)
}

// MaxCost returns the most a call to model with inputTokens of prompt and at
// most maxOutputTokens of output can cost at time at, in the table's
// currency: the amount to reserve against a budget before the call.
func (t *Table) MaxCost(model string, inputTokens, maxOutputTokens int, at time.Time) (copydesk.Micros, error) {
	return t.Cost(model, copydesk.Usage{InputTokens: inputTokens, OutputTokens: maxOutputTokens}, at)
}

// mulDivUp returns ceil(a*b/d).
func mulDivUp(a, b, d uint64) (copydesk.Micros, error) {
	hi, lo := bits.Mul64(a, b)
	return divUp(hi, lo, d)
}

// mulDivUp128 returns ceil((hi:lo)*b/d) for a 128-bit hi:lo.
func mulDivUp128(hi, lo, b, d uint64) (copydesk.Micros, error) {
	// (hi*2^64 + lo)*b = hi*b*2^64 + lo*b; hi*b must fit in 64 bits.
	h1, l1 := bits.Mul64(lo, b)
	h2, l2 := bits.Mul64(hi, b)
	if h2 != 0 {
		return 0, overflow()
	}
	h, c := bits.Add64(h1, l2, 0)
	if c != 0 {
		return 0, overflow()
	}
	return divUp(h, l1, d)
}

// divUp returns ceil((hi:lo)/d) if it fits in a Micros.
func divUp(hi, lo, d uint64) (copydesk.Micros, error) {
	if hi >= d {
		return 0, overflow()
	}
	q, r := bits.Div64(hi, lo, d)
	if r != 0 {
		q++
	}
	if q > 1<<62 {
		return 0, overflow()
	}
	return copydesk.Micros(q), nil
}

func overflow() error {
	return copydesk.Errorf(copydesk.EINVALID, "cost overflows the accounting range; check the price table and the exchange rate")
}

// Amount formats m micro-units as a decimal amount with six decimals and the
// currency code, e.g. "0.012500 EUR".
func (c Currency) Amount(m copydesk.Micros) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%06d %s", sign, m/1_000_000, m%1_000_000, c.Code)
}
