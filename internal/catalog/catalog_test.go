package catalog_test

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/copydesk/copydesk/internal/catalog"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
)

// TestBuiltinComplete checks every built-in entry is complete: the model
// validates (release date, limits, a dated standard and batch price with a
// source), has a price in force on the as-of date, and the whole catalogue
// builds a price table in which every name is priced.
func TestBuiltinComplete(t *testing.T) {
	t.Parallel()
	f := catalog.Builtin()
	if f.AsOf.IsZero() {
		t.Fatal("as_of is missing")
	}
	if f.AsOf.After(time.Now()) {
		t.Errorf("as_of %s is in the future", f.AsOf.Format(time.DateOnly))
	}
	for _, p := range []string{catalog.ProviderOpenAI, catalog.ProviderAnthropic, catalog.ProviderGemini} {
		if len(f.Sources[p]) == 0 {
			t.Errorf("sources.%s is empty", p)
		}
	}
	kinds := map[string]map[string]int{}
	seen := map[string]bool{}
	for _, m := range f.Models {
		t.Run(m.ID, func(t *testing.T) {
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			if seen[m.ID] {
				t.Fatalf("listed twice")
			}
			seen[m.ID] = true
			if _, ok := m.Current(f.AsOf.Time); !ok {
				t.Errorf("no price in force on %s", f.AsOf.Format(time.DateOnly))
			}
			for i, p := range m.Prices {
				if !strings.Contains(p.Source, "://") && !strings.Contains(p.Source, "github.com/") {
					t.Errorf("prices[%d].source %q names no page", i, p.Source)
				}
			}
			if m.Retires != nil && m.Retires.Before(f.AsOf.Time) {
				t.Errorf("retired on %s, before as_of: remove it", m.Retires.Format(time.DateOnly))
			}
		})
		if kinds[m.Provider] == nil {
			kinds[m.Provider] = map[string]int{}
		}
		kinds[m.Provider][m.Kind]++
	}
	for _, tc := range []struct {
		provider, kind string
		atLeast        int
	}{
		{catalog.ProviderOpenAI, catalog.KindChat, 10},
		{catalog.ProviderOpenAI, catalog.KindEmbedding, 2},
		{catalog.ProviderAnthropic, catalog.KindChat, 5},
		{catalog.ProviderGemini, catalog.KindChat, 5},
		{catalog.ProviderGemini, catalog.KindEmbedding, 1},
	} {
		if got := kinds[tc.provider][tc.kind]; got < tc.atLeast {
			t.Errorf("%s has %d %s models, want at least %d", tc.provider, got, tc.kind, tc.atLeast)
		}
	}

	c := catalog.Default()
	table, err := pricing.Config{}.Table(c.Prices())
	if err != nil {
		t.Fatalf("price table: %v", err)
	}
	for _, m := range c.Models() {
		for _, name := range append([]string{m.ID}, m.Aliases...) {
			if _, err := table.Lookup(name, f.AsOf.Time); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

func TestLookupAndPrices(t *testing.T) {
	t.Parallel()
	c := catalog.Default()
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"gpt-6.1-sol", "gpt-6.1-sol", true},
		{"gpt-6.1-sol-2026-09-29", "gpt-6.1-sol", true},            // alias
		{"claude-haiku-4-5-20251001", "claude-haiku-4-5", true},    // alias
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini", true},            // alias
		{"claude-opus-5-5-20260922", "claude-opus-5-5", true},      // unlisted dated snapshot
		{"text-embedding-3-small", "text-embedding-3-small", true}, // embedding
		{"gpt-4", "", false},                                       // retired, not catalogued
		{"gpt-6.1-sol-mini", "", false},                            // no such model
		{"claude-opus-5-5-latest", "", false},                      // not a date
		{"", "", false},
	} {
		m, ok := c.Lookup(tc.name)
		if ok != tc.ok || m.ID != tc.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tc.name, m.ID, ok, tc.want, tc.ok)
		}
	}

	table, err := pricing.Config{}.Table(c.Prices())
	if err != nil {
		t.Fatal(err)
	}
	// Dated prices: gemini-4-carbon doubles on 2026-12-01.
	u := copydesk.Usage{InputTokens: 1_000_000, OutputTokens: 100_000}
	for _, tc := range []struct {
		at   time.Time
		want copydesk.Micros
	}{
		{time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 3_000_000}, // $2 + $1
		{time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), 6_000_000},  // $4 + $2
	} {
		got, err := table.Cost("gemini-4-carbon", u, tc.at)
		if err != nil || got != tc.want {
			t.Errorf("gemini-4-carbon on %s: got %d, %v; want %d", tc.at.Format(time.DateOnly), got, err, tc.want)
		}
	}
	// Long context: above 272k input tokens gpt-6.1-sol charges $4 in.
	got, err := table.Cost("gpt-6.1-sol", copydesk.Usage{InputTokens: 300_000}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if want := copydesk.Micros(1_200_000); err != nil || got != want {
		t.Errorf("gpt-6.1-sol long prompt: got %d, %v; want %d", got, err, want)
	}
	// Embeddings are billed per input token only.
	got, err = table.Cost("text-embedding-3-small", copydesk.Usage{InputTokens: 2_000_000}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if want := copydesk.Micros(40_000); err != nil || got != want {
		t.Errorf("text-embedding-3-small: got %d, %v; want %d", got, err, want)
	}
	in, out, ok := c.BatchPrice("gpt-6.1-sol", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if !ok || in != 1_000_000 || out != 5_000_000 {
		t.Errorf("batch price of gpt-6.1-sol: got %d/%d %v, want 1000000/5000000", in, out, ok)
	}
}

func TestServed(t *testing.T) {
	t.Parallel()
	s := catalog.Default().Serve(map[string]string{"oa": "openai", "claude": "anthropic", "local": "openai-compatible"})
	if len(s.Models("oa")) == 0 || len(s.Models("claude")) == 0 {
		t.Fatal("openai and anthropic instances serve no models")
	}
	if got := s.Models("local"); len(got) != 0 {
		t.Errorf("an openai-compatible instance serves %d catalogued models, want 0", len(got))
	}
	for _, m := range s.Models("claude") {
		if m.OwnedBy != "anthropic" || m.Kind != copydesk.ModelKindChat {
			t.Errorf("%s: got owned_by %q kind %q", m.ID, m.OwnedBy, m.Kind)
		}
	}
	if m, ok := s.Find("oa", "gpt-4o-2024-08-06"); !ok || m.Model != "gpt-4o-2024-08-06" || m.ContextWindow != 128000 {
		t.Errorf("Find dated gpt-4o: got %+v, %v", m, ok)
	}
	if _, ok := s.Find("oa", "claude-opus-5-5"); ok {
		t.Error("an openai instance serves a Claude model")
	}
	if m, ok := s.Find("oa", "text-embedding-3-large"); !ok || m.Kind != copydesk.ModelKindEmbedding || m.Dimensions != 3072 {
		t.Errorf("Find embedding: got %+v, %v", m, ok)
	}
}

func TestConfigOverrides(t *testing.T) {
	t.Parallel()
	const doc = `
models:
  - id: gpt-6.1-sol
    provider: openai
    kind: chat
    released: 2026-09-29
    context_window: 1050000
    max_output_tokens: 128000
    prices:
      - {effective: 2026-09-29, input: 1.50, cached_input: 0.10, output: 9.00, batch_input: 0.75, batch_output: 4.50, source: "negotiated contract"}
  - id: gpt-7-preview
    provider: openai
    kind: chat
    released: 2026-12-05
    context_window: 2000000
    max_output_tokens: 256000
    prices:
      - {effective: 2026-12-05, input: 3, cached_input: 0.3, output: 15, batch_input: 1.5, batch_output: 7.5, source: "https://example.com/gpt-7"}
`
	var cfg catalog.Config
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	c, err := cfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	m, ok := c.Lookup("gpt-6.1-sol")
	if p, _ := m.Current(at); !ok || p.Input != 1_500_000 || len(m.Aliases) != 0 {
		t.Errorf("replaced model: got %+v", m)
	}
	// The dated snapshot now resolves to the replacement and its price.
	if m, ok := c.Lookup("gpt-6.1-sol-2026-09-29"); !ok || m.Prices[0].Source != "negotiated contract" {
		t.Errorf("dated snapshot of the replaced model: got %+v, %v", m, ok)
	}
	if _, ok := c.Lookup("gpt-7-preview"); !ok {
		t.Error("added model is missing")
	}
	if _, ok := c.Lookup("claude-opus-5-5"); !ok {
		t.Error("built-in models are gone")
	}
	nd, err := catalog.Config{NoDefaults: true, Models: cfg.Models[1:]}.Build()
	if err != nil || len(nd.Models()) != 1 {
		t.Errorf("no_defaults: got %d models, %v; want 1", len(nd.Models()), err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	good := catalog.Model{
		ID: "x-1", Provider: "openai", Kind: catalog.KindChat, Released: date("2026-01-01"),
		ContextWindow: 1000, MaxOutputTokens: 100,
		Prices: []catalog.Price{{Effective: date("2026-01-01"), Input: 1, CachedInput: 1, Output: 1, BatchInput: 1, BatchOutput: 1, Source: "s"}},
	}
	for _, tc := range []struct {
		name   string
		change func(*catalog.Model)
		want   string
	}{
		{"no price", func(m *catalog.Model) { m.Prices = nil }, "never free"},
		{"zero input", func(m *catalog.Model) { m.Prices[0].Input = 0 }, "prices[0].input"},
		{"no batch", func(m *catalog.Model) { m.Prices[0].BatchOutput = 0 }, "batch_output"},
		{"no source", func(m *catalog.Model) { m.Prices[0].Source = "" }, "source"},
		{"no context", func(m *catalog.Model) { m.ContextWindow = 0 }, "context_window"},
		{"no output cap", func(m *catalog.Model) { m.MaxOutputTokens = 0 }, "max_output_tokens"},
		{"bad provider", func(m *catalog.Model) { m.Provider = "mistral" }, "provider"},
		{"bad kind", func(m *catalog.Model) { m.Kind = "image" }, "kind"},
		{"bad id", func(m *catalog.Model) { m.ID = "GPT 7" }, "id must be"},
		{"price before release", func(m *catalog.Model) { m.Prices[0].Effective = date("2025-12-31") }, "before released"},
		{"batch above standard", func(m *catalog.Model) { m.Prices[0].BatchInput = 2 }, "batch prices above"},
		{"long without threshold", func(m *catalog.Model) { m.Prices[0].LongInput = 2 }, "long_context_threshold is 0"},
		{"embedding with output", func(m *catalog.Model) { m.Kind = catalog.KindEmbedding; m.Dimensions = 8 }, "only input prices"},
		{"alias of a built-in", func(m *catalog.Model) { m.Aliases = []string{"gpt-6.1-sol"} }, "belongs to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good
			m.Prices = append([]catalog.Price(nil), good.Prices...)
			tc.change(&m)
			_, err := catalog.Config{Models: []catalog.Model{m}}.Build()
			if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(copydesk.ErrorMessage(err), tc.want) {
				t.Errorf("got %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := (catalog.Config{Models: []catalog.Model{good}}).Build(); err != nil {
		t.Errorf("the valid model: %v", err)
	}
}

func TestDollars(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want catalog.Dollars
		str  string
		ok   bool
	}{
		{"2.50", 2_500_000, "2.50", true},
		{"0.075", 75_000, "0.075", true},
		{"0.0375", 37_500, "0.0375", true},
		{"12", 12_000_000, "12.00", true},
		{"$3", 3_000_000, "3.00", true},
		{".5", 500_000, "0.50", true},
		{"0.0000001", 0, "", false},
		{"1.", 0, "", false},
		{"-1", 0, "", false},
		{"1e3", 0, "", false},
		{"", 0, "", false},
		{"1,5", 0, "", false},
	} {
		got, err := catalog.ParseDollars(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDollars(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
			continue
		}
		if tc.ok && got.String() != tc.str {
			t.Errorf("%q: String() = %q, want %q", tc.in, got.String(), tc.str)
		}
	}
}

func FuzzParseDollars(f *testing.F) {
	for _, s := range []string{"2.50", "0.0375", "12", "", "-1", "999999999.999999", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := catalog.ParseDollars(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDollars(%q) = %d, want >= 0", s, d)
		}
		back, err := catalog.ParseDollars(d.String())
		if err != nil || back != d {
			t.Fatalf("round trip of %q: %q gives %d, %v", s, d.String(), back, err)
		}
	})
}

func date(s string) catalog.Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return catalog.Date{Time: t}
}
