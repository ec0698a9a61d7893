package pricing_test

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// MustTable returns a table of prices in cur or fails the test.
func MustTable(tb testing.TB, cur pricing.Currency, prices ...pricing.Price) *pricing.Table {
	tb.Helper()
	t, err := pricing.NewTable(cur, prices)
	if err != nil {
		tb.Fatalf("NewTable: %v", err)
	}
	return t
}

// testPrice is $2.50 in, $10 out, $1.25 cached, and $5/$15/$2.50 above 200k.
var testPrice = pricing.Price{
	Model: "m", InputPerMTok: 2_500_000, OutputPerMTok: 10_000_000, CachedInputPerMTok: 1_250_000,
	LongContextThreshold: 200_000, LongInputPerMTok: 5_000_000, LongOutputPerMTok: 15_000_000, LongCachedInputPerMTok: 2_500_000,
	Effective: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Source: "test",
}

func TestCost(t *testing.T) {
	t.Parallel()
	eur := pricing.Currency{Code: "EUR", PerUSD: 920_000}
	for _, tc := range []struct {
		name string
		cur  pricing.Currency
		u    copydesk.Usage
		want copydesk.Micros
	}{
		{"zero", pricing.USD, copydesk.Usage{}, 0},
		{"100k in", pricing.USD, copydesk.Usage{InputTokens: 100_000}, 250_000},
		{"100k out", pricing.USD, copydesk.Usage{OutputTokens: 100_000}, 1_000_000},
		// 1,000 in * 2.5 + 500 out * 10 = 2,500 + 5,000 micro-dollars.
		{"small call", pricing.USD, copydesk.Usage{InputTokens: 1000, OutputTokens: 500}, 7_500},
		// One input token costs 2.5 micro-dollars: rounded up to 3.
		{"rounds up", pricing.USD, copydesk.Usage{InputTokens: 1}, 3},
		// 400 of 1,000 input cached: 600*2.5 + 400*1.25 = 1,500 + 500.
		{"cached at cached price", pricing.USD, copydesk.Usage{InputTokens: 1000, CachedTokens: 400}, 2_000},
		// More cached than input reported: the cached count is the prompt.
		{"cached above input", pricing.USD, copydesk.Usage{InputTokens: 100, CachedTokens: 400}, 500},
		{"at threshold is short", pricing.USD, copydesk.Usage{InputTokens: 200_000}, 500_000},
		// Above 200k every token is long-priced: 200,001*5 = 1,000,005.
		{"above threshold is long", pricing.USD, copydesk.Usage{InputTokens: 200_001}, 1_000_005},
		{"long output", pricing.USD, copydesk.Usage{InputTokens: 300_000, OutputTokens: 1000}, 1_500_000 + 15_000},
		{"long cached", pricing.USD, copydesk.Usage{InputTokens: 300_000, CachedTokens: 100_000}, 1_000_000 + 250_000},
		// 7,500 micro-dollars at 0.92 EUR/USD = 6,900 micro-euros.
		{"eur", eur, copydesk.Usage{InputTokens: 1000, OutputTokens: 500}, 6_900},
		// 2.5 micro-dollars * 0.92 = 2.3 micro-euros: up to 3.
		{"eur rounds once, up", eur, copydesk.Usage{InputTokens: 1}, 3},
		{"huge call does not overflow", pricing.USD, copydesk.Usage{InputTokens: 1_000_000_000, OutputTokens: 1_000_000_000}, 5_000_000_000 + 15_000_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			table := MustTable(t, tc.cur, testPrice)
			got, err := table.Cost("m", tc.u, now)
			if err != nil {
				t.Fatalf("Cost: %v", err)
			}
			if got != tc.want {
				t.Errorf("Cost(%+v) = %d, want %d", tc.u, got, tc.want)
			}
		})
	}
}

func TestCostErrors(t *testing.T) {
	t.Parallel()
	table := MustTable(t, pricing.USD, testPrice)
	for _, tc := range []struct {
		name    string
		model   string
		u       copydesk.Usage
		at      time.Time
		message string
	}{
		{"unknown model", "gpt-9", copydesk.Usage{InputTokens: 1}, now, `no price for model "gpt-9": add it under pricing.prices`},
		{"before effective", "m", copydesk.Usage{InputTokens: 1}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "earliest price is effective 2025-01-01"},
		{"negative tokens", "m", copydesk.Usage{InputTokens: -1}, now, "negative token counts"},
		{"too many tokens", "m", copydesk.Usage{OutputTokens: 2_000_000_000}, now, "exceeds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := table.Cost(tc.model, tc.u, tc.at)
			if err == nil {
				t.Fatalf("Cost = %d, nil error; want an error", got)
			}
			if code := copydesk.ErrorCode(err); code != copydesk.EINVALID {
				t.Errorf("got code %q, want %q", code, copydesk.EINVALID)
			}
			if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, tc.message) {
				t.Errorf("got message %q, want it to contain %q", msg, tc.message)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	old := testPrice
	newer := testPrice
	newer.InputPerMTok = 1_000_000
	newer.Effective = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	table := MustTable(t, pricing.USD, newer, old)
	for _, tc := range []struct {
		name  string
		model string
		at    time.Time
		want  copydesk.Micros
	}{
		{"old price before change", "m", time.Date(2026, 5, 31, 23, 59, 59, 0, time.UTC), 2_500_000},
		{"new price at change", "m", newer.Effective, 1_000_000},
		{"new price after", "m", now, 1_000_000},
		{"dated snapshot", "m-2026-07-01", now, 1_000_000},
		{"compact dated snapshot", "m-20260701", now, 1_000_000},
		{"latest alias", "m-latest", now, 1_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := table.Lookup(tc.model, tc.at)
			if err != nil {
				t.Fatalf("Lookup: %v", err)
			}
			if p.InputPerMTok != tc.want {
				t.Errorf("got input price %d, want %d", p.InputPerMTok, tc.want)
			}
		})
	}
}

func TestMaxCost(t *testing.T) {
	t.Parallel()
	table := MustTable(t, pricing.USD, testPrice)
	got, err := table.MaxCost("m", 1000, 2000, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := copydesk.Micros(2_500 + 20_000); got != want {
		t.Errorf("MaxCost = %d, want %d", got, want)
	}
	if _, err := table.MaxCost("nope", 1, 1, now); copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Errorf("MaxCost of unknown model: got %v, want an EINVALID error", err)
	}
}

func TestPriceValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		edit  func(p *pricing.Price)
		field string
	}{
		{"missing model", func(p *pricing.Price) { p.Model = " " }, "model is required"},
		{"negative input", func(p *pricing.Price) { p.InputPerMTok = -1 }, "input_per_mtok cannot be negative"},
		{"negative cached", func(p *pricing.Price) { p.CachedInputPerMTok = -1 }, "cached_input_per_mtok cannot be negative"},
		{"negative long output", func(p *pricing.Price) { p.LongOutputPerMTok = -5 }, "long_output_per_mtok cannot be negative"},
		{"absurd price", func(p *pricing.Price) { p.OutputPerMTok = 1 << 50 }, "output_per_mtok is"},
		{"missing effective", func(p *pricing.Price) { p.Effective = time.Time{} }, "effective"},
		{"negative threshold", func(p *pricing.Price) { p.LongContextThreshold = -1 }, "long_context_threshold cannot be negative"},
		{"threshold without long prices", func(p *pricing.Price) { p.LongInputPerMTok, p.LongOutputPerMTok = 0, 0 }, "long_input_per_mtok and long_output_per_mtok are 0"},
		{"long prices without threshold", func(p *pricing.Price) { p.LongContextThreshold = 0 }, "long_context_threshold is 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := testPrice
			tc.edit(&p)
			err := p.Validate()
			if code := copydesk.ErrorCode(err); code != copydesk.EINVALID {
				t.Fatalf("got code %q (%v), want %q", code, err, copydesk.EINVALID)
			}
			if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, tc.field) {
				t.Errorf("got message %q, want it to contain %q", msg, tc.field)
			}
		})
	}
	if err := testPrice.Validate(); err != nil {
		t.Errorf("valid price: got %v, want nil", err)
	}
	// An explicit zero price (a local model) is allowed; only an unknown
	// model is an error.
	free := pricing.Price{Model: "llama-local", Effective: testPrice.Effective, Source: "self-hosted"}
	if err := free.Validate(); err != nil {
		t.Errorf("explicit zero price: got %v, want nil", err)
	}
}

func TestNewTableDuplicateEffective(t *testing.T) {
	t.Parallel()
	_, err := pricing.NewTable(pricing.USD, []pricing.Price{testPrice, testPrice})
	if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, "two prices effective") {
		t.Errorf("got %v, want a duplicate-price error", err)
	}
}

func TestConfigTable(t *testing.T) {
	t.Parallel()
	defaults := []pricing.Price{
		{Model: "gpt-4o-mini", InputPerMTok: 150_000, CachedInputPerMTok: 75_000, OutputPerMTok: 600_000, Effective: now.AddDate(-1, 0, 0), Source: "default"},
		{Model: "gpt-4o", InputPerMTok: 2_500_000, OutputPerMTok: 10_000_000, Effective: now.AddDate(-1, 0, 0), Source: "default"},
	}
	t.Run("defaults in USD", func(t *testing.T) {
		table, err := pricing.Config{}.Table(defaults)
		if err != nil {
			t.Fatal(err)
		}
		if got := table.Currency(); got != pricing.USD {
			t.Errorf("got currency %+v, want %+v", got, pricing.USD)
		}
		// gpt-4o-mini: 1M in at $0.15 + 1M out at $0.60.
		got, err := table.Cost("gpt-4o-mini-2024-07-18", copydesk.Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000}, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := copydesk.Micros(750_000); got != want {
			t.Errorf("gpt-4o-mini cost = %d, want %d", got, want)
		}
	})
	t.Run("no defaults", func(t *testing.T) {
		table, err := pricing.Config{NoDefaults: true}.Table(defaults)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := table.Lookup("gpt-4o", now); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("got %v, want EINVALID: the defaults are left out", err)
		}
	})
	t.Run("EUR with override", func(t *testing.T) {
		over := testPrice
		over.Model = "gpt-4o"
		table, err := pricing.Config{Currency: "eur", PerUSD: "0.92", Prices: []pricing.Price{over}}.Table(defaults)
		if err != nil {
			t.Fatal(err)
		}
		p, err := table.Lookup("gpt-4o", now)
		if err != nil {
			t.Fatal(err)
		}
		if p.Source != "test" {
			t.Errorf("got source %q, want the configured price to replace the default", p.Source)
		}
		if got, want := table.Currency(), (pricing.Currency{Code: "EUR", PerUSD: 920_000}); got != want {
			t.Errorf("got currency %+v, want %+v", got, want)
		}
	})
	for _, tc := range []struct {
		name string
		cfg  pricing.Config
		want string
	}{
		{"EUR without rate", pricing.Config{Currency: "EUR"}, "per_usd"},
		{"bad rate", pricing.Config{Currency: "EUR", PerUSD: "0,92"}, "per_usd"},
		{"negative rate", pricing.Config{Currency: "EUR", PerUSD: "-1"}, "per_usd"},
		{"bad code", pricing.Config{Currency: "EURO", PerUSD: "1"}, "ISO 4217"},
		{"bad price", pricing.Config{Prices: []pricing.Price{{Model: "x", InputPerMTok: 1}}}, "pricing.prices[0]: price of model \"x\": effective"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.Table(defaults)
			if msg := copydesk.ErrorMessage(err); copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(msg, tc.want) {
				t.Errorf("got %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0.92", 920_000, true},
		{"1", 1_000_000, true},
		{"1.", 1_000_000, true},
		{".5", 500_000, true},
		{"151.123456", 151_123_456, true},
		{"0.0000001", 0, false},
		{"0", 0, false},
		{"", 0, false},
		{"-0.5", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"abc", 0, false},
	} {
		got, err := pricing.ParseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestAmount(t *testing.T) {
	t.Parallel()
	eur := pricing.Currency{Code: "EUR", PerUSD: 920_000}
	if got, want := eur.Amount(12_500), "0.012500 EUR"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := eur.Amount(-3_000_001), "-3.000001 EUR"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"0.92", "1", ".5", "", "-1", "1e9", "999999.999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := pricing.ParseRate(s)
		if err != nil {
			if copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Fatalf("ParseRate(%q): got code %q, want %q", s, copydesk.ErrorCode(err), copydesk.EINVALID)
			}
			return
		}
		if r <= 0 {
			t.Fatalf("ParseRate(%q) = %d, want > 0", s, r)
		}
	})
}

func BenchmarkCost(b *testing.B) {
	table := MustTable(b, pricing.USD, testPrice)
	u := copydesk.Usage{InputTokens: 1200, OutputTokens: 400, CachedTokens: 300}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := table.Cost(testPrice.Model, u, now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	t.Parallel()
	const doc = `
currency: EUR
per_usd: "0.92"
prices:
  - model: my-model
    input_per_mtok: 1500000
    output_per_mtok: 6000000
    cached_input_per_mtok: 150000
    long_context_threshold: 128000
    long_input_per_mtok: 3000000
    long_output_per_mtok: 12000000
    effective: 2026-01-01
    source: https://example.com/prices
`
	var cfg pricing.Config
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	table, err := cfg.Table(nil)
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 in at 1.5 + 1,000 out at 6 = 7,500 micro-dollars = 6,900 micro-euros.
	got, err := table.Cost("my-model", copydesk.Usage{InputTokens: 1000, OutputTokens: 1000}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got != 6_900 {
		t.Errorf("got %d, want 6900", got)
	}
}

// FuzzCost checks the integer arithmetic against math/big: the cost is the
// exact amount rounded up, for any token counts and exchange rate.
func FuzzCost(f *testing.F) {
	f.Add(1000, 500, 200, int64(920_000))
	f.Add(1, 0, 0, int64(1))
	f.Add(300_000, 1_000_000_000, 300_000, int64(1_000_000_000_000))
	f.Fuzz(func(t *testing.T, in, out, cached int, perUSD int64) {
		if in < 0 || out < 0 || cached < 0 || in > 1e9 || out > 1e9 || cached > 1e9 || perUSD < 1 || perUSD > 1e12 {
			return
		}
		table := MustTable(t, pricing.Currency{Code: "XTS", PerUSD: perUSD}, testPrice)
		got, err := table.Cost("m", copydesk.Usage{InputTokens: in, OutputTokens: out, CachedTokens: cached}, now)
		if err != nil {
			if copydesk.ErrorCode(err) != copydesk.EINVALID {
				t.Fatalf("got %v, want EINVALID on overflow", err)
			}
			return
		}
		prompt := max(in, cached)
		p := testPrice
		inP, cachedP, outP := p.InputPerMTok, p.CachedInputPerMTok, p.OutputPerMTok
		if prompt > p.LongContextThreshold {
			inP, cachedP, outP = p.LongInputPerMTok, p.LongCachedInputPerMTok, p.LongOutputPerMTok
		}
		sum := new(big.Int).Mul(big.NewInt(int64(prompt-cached)), big.NewInt(int64(inP)))
		sum.Add(sum, new(big.Int).Mul(big.NewInt(int64(cached)), big.NewInt(int64(cachedP))))
		sum.Add(sum, new(big.Int).Mul(big.NewInt(int64(out)), big.NewInt(int64(outP))))
		sum.Mul(sum, big.NewInt(perUSD))
		d := big.NewInt(1_000_000 * 1_000_000)
		q, r := new(big.Int).QuoRem(sum, d, new(big.Int))
		if r.Sign() > 0 {
			q.Add(q, big.NewInt(1))
		}
		if q.Cmp(big.NewInt(int64(got))) != 0 {
			t.Fatalf("Cost(in %d, out %d, cached %d, rate %d) = %d, want %s", in, out, cached, perUSD, got, q)
		}
	})
}

func TestBatchCost(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tbl, err := pricing.NewTable(pricing.USD, []pricing.Price{
		{Model: "m", InputPerMTok: 2_000_000, OutputPerMTok: 8_000_000, CachedInputPerMTok: 500_000,
			BatchInputPerMTok: 1_000_000, BatchOutputPerMTok: 4_000_000, Effective: at.AddDate(0, -1, 0)},
		{Model: "nobatch", InputPerMTok: 2_000_000, OutputPerMTok: 8_000_000, Effective: at.AddDate(0, -1, 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := copydesk.Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000}
	for _, tc := range []struct {
		model      string
		live, want copydesk.Micros
	}{
		{"m", 10_000_000, 5_000_000},
		{"nobatch", 10_000_000, 10_000_000}, // no batch price: the list price
	} {
		live, err := tbl.Cost(tc.model, u, at)
		if err != nil || live != tc.live {
			t.Errorf("%s live: got %d %v, want %d", tc.model, live, err, tc.live)
		}
		got, err := tbl.BatchCost(tc.model, u, at)
		if err != nil || got != tc.want {
			t.Errorf("%s batch: got %d %v, want %d", tc.model, got, err, tc.want)
		}
	}
	// Cached input scales with the input ratio: 0.5 → 0.25 per MTok.
	got, _ := tbl.BatchCost("m", copydesk.Usage{InputTokens: 1_000_000, CachedTokens: 1_000_000}, at)
	if got != 250_000 {
		t.Errorf("batch cached input: got %d, want 250000", got)
	}
}
