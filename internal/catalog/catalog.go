// Package catalog is Copydesk's model catalogue: every current text and
// embedding model of OpenAI, Anthropic and Google Gemini with its dated list
// prices (input, cached input, output, long-context and batch), context
// window, output cap, release date and sources. The built-in catalogue is a
// data file embedded in the binary (models.yaml, with its as-of date); the
// configuration file may replace entries and add models.
//
// The catalogue is what lets a gateway serve "any model of a configured
// provider by its own name": the router asks it which models a provider type
// serves, and the price table is built from its prices. A model without a
// price is never served for free: it is not in the catalogue, and an
// endpoint that names it is a configuration error.
package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
)

// Provider types a catalogued model belongs to; they are the provider types
// of the configuration.
const (
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	ProviderGemini    = "gemini"
)

// owners are the owned_by values of OpenAI's model list per provider type.
var owners = map[string]string{ProviderOpenAI: "openai", ProviderAnthropic: "anthropic", ProviderGemini: "google"}

//go:embed models.yaml
var builtin []byte

// Dollars is an amount of US dollars in micro-dollars, written in the data
// file and the configuration as a plain decimal ("2.50", "0.075"). It is
// parsed from the text exactly, never through a float.
type Dollars int64

// ParseDollars parses a decimal amount of dollars with at most six decimals
// ("2.50", "0.0375", "12") into micro-dollars.
func ParseDollars(s string) (Dollars, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "$")
	whole, frac, dot := strings.Cut(s, ".")
	bad := func() (Dollars, error) {
		return 0, fmt.Errorf("%q is not an amount of dollars such as 2.50 (at most six decimals)", s)
	}
	if whole == "" && frac == "" || dot && frac == "" || len(frac) > 6 || len(whole) > 9 {
		return bad()
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return bad()
		}
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	return Dollars(w*1_000_000 + f), nil
}

// String formats d as dollars with at least two decimals: "2.50", "0.075".
func (d Dollars) String() string {
	s := fmt.Sprintf("%d.%06d", d/1_000_000, d%1_000_000)
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i < 3 {
		s += strings.Repeat("0", 3-(len(s)-i))
	}
	return s
}

// UnmarshalYAML reads a decimal scalar exactly as written.
func (d *Dollars) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want an amount of dollars such as 2.50", n.Line)
	}
	v, err := ParseDollars(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes the amount as a decimal.
func (d Dollars) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: d.String()}, nil
}

// MarshalJSON writes the amount as a decimal string, so that no consumer
// reads it through a float.
func (d Dollars) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// Date is a calendar day (UTC midnight), written as 2026-11-17.
type Date struct{ time.Time }

// UnmarshalYAML reads YYYY-MM-DD.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a date such as 2026-11-17", n.Line, n.Value)
	}
	d.Time = t
	return nil
}

// MarshalYAML writes YYYY-MM-DD.
func (d Date) MarshalYAML() (any, error) { return d.Format(time.DateOnly), nil }

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.Format(time.DateOnly) + `"`), nil
}

// Price is a model's list price from one date on, in US dollars per million
// tokens.
type Price struct {
	// Effective is the first day the price applies. Required.
	Effective Date `yaml:"effective" json:"effective"`
	// Input is the price of uncached input tokens. Required.
	Input Dollars `yaml:"input" json:"input"`
	// CachedInput is the price of input tokens read from the provider's
	// prompt cache. Required for chat models.
	CachedInput Dollars `yaml:"cached_input" json:"cached_input"`
	// Output is the price of output tokens, reasoning included. Required
	// for chat models; zero for embedding models.
	Output Dollars `yaml:"output" json:"output"`
	// LongContextThreshold, when positive, is the prompt size in tokens
	// above which the whole call is charged at the Long* prices.
	LongContextThreshold int `yaml:"long_context_threshold,omitempty" json:"long_context_threshold,omitempty"`
	// LongInput, LongCachedInput and LongOutput are the prices above the
	// threshold.
	LongInput       Dollars `yaml:"long_input,omitempty" json:"long_input,omitempty"`
	LongCachedInput Dollars `yaml:"long_cached_input,omitempty" json:"long_cached_input,omitempty"`
	LongOutput      Dollars `yaml:"long_output,omitempty" json:"long_output,omitempty"`
	// BatchInput and BatchOutput are the prices through the provider's
	// asynchronous batch API. Required (output only for chat models).
	BatchInput  Dollars `yaml:"batch_input" json:"batch_input"`
	BatchOutput Dollars `yaml:"batch_output" json:"batch_output"`
	// Source is where the price was read (a URL). Required.
	Source string `yaml:"source" json:"source"`
}

// Model kinds.
const (
	KindChat      = copydesk.ModelKindChat
	KindEmbedding = copydesk.ModelKindEmbedding
)

// Model is one catalogued model.
type Model struct {
	// ID is the provider's model name, e.g. "gpt-6.1-sol". Required.
	ID string `yaml:"id" json:"id"`
	// Provider is the provider type: openai, anthropic or gemini. Required.
	Provider string `yaml:"provider" json:"provider"`
	// Kind is chat or embedding. Required.
	Kind string `yaml:"kind" json:"kind"`
	// Released is the day the model became generally available. Required.
	Released Date `yaml:"released" json:"released"`
	// Retires, when set, is the announced shutdown date.
	Retires *Date `yaml:"retires,omitempty" json:"retires,omitempty"`
	// ContextWindow is the most tokens a call may hold (input and output
	// for chat models; the input limit for embedding models). Required.
	ContextWindow int `yaml:"context_window" json:"context_window"`
	// MaxOutputTokens caps one answer. Required for chat models.
	MaxOutputTokens int `yaml:"max_output_tokens,omitempty" json:"max_output_tokens,omitempty"`
	// Dimensions is an embedding model's default vector size. Required for
	// embedding models.
	Dimensions int `yaml:"dimensions,omitempty" json:"dimensions,omitempty"`
	// Aliases are other names the provider serves this model under (dated
	// snapshots); they are served and priced as the model.
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// Prices are the list prices over time. At least one is required.
	Prices []Price `yaml:"prices" json:"prices"`
	// Notes say what a reader should know (e.g. an assumption).
	Notes string `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// Current returns the price in force at t and false if none is.
func (m Model) Current(t time.Time) (Price, bool) {
	var cur Price
	ok := false
	for _, p := range m.Prices {
		if !p.Effective.After(t) && (!ok || p.Effective.After(cur.Effective.Time)) {
			cur, ok = p, true
		}
	}
	return cur, ok
}

// Info returns the model's entry for model lists, named name.
func (m Model) Info(name string) copydesk.ModelInfo {
	return copydesk.ModelInfo{
		ID: name, Kind: m.Kind, Model: name, OwnedBy: owners[m.Provider], Created: m.Released.Time,
		ContextWindow: m.ContextWindow, MaxOutputTokens: m.MaxOutputTokens, Dimensions: m.Dimensions,
	}
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.:_-]*$`)

// Validate reports the first missing or wrong field of m, naming it.
func (m Model) Validate() error {
	bad := func(format string, args ...any) error {
		return copydesk.Errorf(copydesk.EINVALID, "model %q: "+format, append([]any{m.ID}, args...)...)
	}
	switch {
	case !idPattern.MatchString(m.ID):
		return bad("id must be lowercase letters, digits, '.', ':', '_' and '-'")
	case owners[m.Provider] == "":
		return bad("provider %q is not one of openai, anthropic, gemini", m.Provider)
	case m.Kind != KindChat && m.Kind != KindEmbedding:
		return bad("kind %q is not one of chat, embedding", m.Kind)
	case m.Released.IsZero():
		return bad("released (the release date) is required")
	case m.ContextWindow <= 0:
		return bad("context_window is required")
	case m.Kind == KindChat && m.MaxOutputTokens <= 0:
		return bad("max_output_tokens is required for a chat model")
	case m.Kind == KindChat && m.MaxOutputTokens > m.ContextWindow:
		return bad("max_output_tokens %d is above context_window %d", m.MaxOutputTokens, m.ContextWindow)
	case m.Kind == KindEmbedding && m.Dimensions <= 0:
		return bad("dimensions is required for an embedding model")
	case len(m.Prices) == 0:
		return bad("prices: at least one dated price is required; a model is never free by omission")
	case m.Retires != nil && !m.Retires.After(m.Released.Time):
		return bad("retires %s is not after released %s", m.Retires.Format(time.DateOnly), m.Released.Format(time.DateOnly))
	}
	for _, a := range m.Aliases {
		if !idPattern.MatchString(a) || a == m.ID {
			return bad("alias %q is not a distinct model name", a)
		}
	}
	for i, p := range m.Prices {
		field := func(name string) error { return bad("prices[%d].%s is required", i, name) }
		switch {
		case p.Effective.IsZero():
			return field("effective")
		case p.Input <= 0:
			return field("input")
		case p.BatchInput <= 0:
			return field("batch_input")
		case strings.TrimSpace(p.Source) == "":
			return field("source")
		case m.Kind == KindChat && p.Output <= 0:
			return field("output")
		case m.Kind == KindChat && p.CachedInput <= 0:
			return field("cached_input")
		case m.Kind == KindChat && p.BatchOutput <= 0:
			return field("batch_output")
		case m.Kind == KindEmbedding && (p.Output != 0 || p.BatchOutput != 0 || p.CachedInput != 0):
			return bad("prices[%d]: an embedding model has only input prices", i)
		case p.Effective.Before(m.Released.Time):
			return bad("prices[%d].effective %s is before released %s", i, p.Effective.Format(time.DateOnly), m.Released.Format(time.DateOnly))
		case p.BatchInput > p.Input || p.BatchOutput > p.Output:
			return bad("prices[%d]: batch prices above the standard prices", i)
		}
		if err := p.price(m.ID).Validate(); err != nil {
			return bad("prices[%d]: %s", i, copydesk.ErrorMessage(err))
		}
		for j := range i {
			if m.Prices[j].Effective.Equal(p.Effective.Time) {
				return bad("prices[%d] and prices[%d] are both effective %s", j, i, p.Effective.Format(time.DateOnly))
			}
		}
	}
	return nil
}

// price converts p to a price table row for model.
func (p Price) price(model string) pricing.Price {
	return pricing.Price{
		Model: model, InputPerMTok: copydesk.Micros(p.Input), OutputPerMTok: copydesk.Micros(p.Output),
		CachedInputPerMTok: copydesk.Micros(p.CachedInput), LongContextThreshold: p.LongContextThreshold,
		LongInputPerMTok: copydesk.Micros(p.LongInput), LongOutputPerMTok: copydesk.Micros(p.LongOutput),
		LongCachedInputPerMTok: copydesk.Micros(p.LongCachedInput), Effective: p.Effective.Time, Source: p.Source,
		BatchInputPerMTok: copydesk.Micros(p.BatchInput), BatchOutputPerMTok: copydesk.Micros(p.BatchOutput),
	}
}

// File is the data file's shape.
type File struct {
	// AsOf is the day the prices and the lineup were last checked.
	AsOf Date `yaml:"as_of" json:"as_of"`
	// Sources are the pages the data was read from, by provider type.
	Sources map[string][]string `yaml:"sources" json:"sources"`
	// Models are the catalogued models.
	Models []Model `yaml:"models" json:"models"`
}

// Config is the catalogue section of the configuration file.
type Config struct {
	// Models replace built-in models of the same id, or add new ones, e.g.
	// a model released after this build.
	Models []Model `yaml:"models" json:"models"`
	// NoDefaults leaves the built-in catalogue out entirely.
	NoDefaults bool `yaml:"no_defaults" json:"no_defaults"`
}

// Catalog is an immutable, validated catalogue. It is safe for concurrent
// use.
type Catalog struct {
	asOf    time.Time
	sources map[string][]string
	models  []Model           // sorted by provider, then id
	byName  map[string]*Model // id and aliases
}

// Parse reads and validates a catalogue data file. Unknown fields are errors.
func Parse(r io.Reader) (*File, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, copydesk.Errorf(copydesk.EINVALID, "catalog: %v", err)
	}
	return &f, nil
}

// Builtin returns the catalogue embedded in the binary.
func Builtin() *File {
	f, err := Parse(bytes.NewReader(builtin))
	if err != nil {
		panic("catalog: the embedded models.yaml does not parse: " + err.Error())
	}
	return f
}

// Default returns the built-in catalogue, validated.
func Default() *Catalog {
	c, err := Config{}.Build()
	if err != nil {
		panic("catalog: the embedded models.yaml is invalid: " + err.Error())
	}
	return c
}

// Build returns the built-in catalogue with the configured models replacing
// or added to it. Returns EINVALID naming the first incomplete or
// conflicting entry.
func (cfg Config) Build() (*Catalog, error) {
	f := &File{}
	if !cfg.NoDefaults {
		f = Builtin()
	}
	models := slices.Clone(f.Models)
	for i, m := range cfg.Models {
		if err := m.Validate(); err != nil {
			return nil, copydesk.Errorf(copydesk.EINVALID, "catalog.models[%d]: %s", i, copydesk.ErrorMessage(err))
		}
		if j := slices.IndexFunc(models, func(b Model) bool { return b.ID == m.ID }); j >= 0 {
			models[j] = m
		} else {
			models = append(models, m)
		}
	}
	return newCatalog(f.AsOf.Time, f.Sources, models)
}

func newCatalog(asOf time.Time, sources map[string][]string, models []Model) (*Catalog, error) {
	c := &Catalog{asOf: asOf, sources: sources, models: models, byName: make(map[string]*Model)}
	slices.SortFunc(c.models, func(a, b Model) int {
		return cmpStrings(a.Provider+"\x00"+a.ID, b.Provider+"\x00"+b.ID)
	})
	for i := range c.models {
		m := &c.models[i]
		if err := m.Validate(); err != nil {
			return nil, err
		}
		for _, name := range append([]string{m.ID}, m.Aliases...) {
			if other, dup := c.byName[name]; dup {
				return nil, copydesk.Errorf(copydesk.EINVALID, "catalog: the name %q belongs to %q and %q", name, other.ID, m.ID)
			}
			c.byName[name] = m
		}
	}
	return c, nil
}

func cmpStrings(a, b string) int { return strings.Compare(a, b) }

// AsOf returns the day the built-in data was last checked (zero without the
// built-in data).
func (c *Catalog) AsOf() time.Time { return c.asOf }

// Sources returns the pages the built-in data was read from, by provider type.
func (c *Catalog) Sources() map[string][]string { return c.sources }

// Models returns every model, sorted by provider type and id.
func (c *Catalog) Models() []Model { return slices.Clone(c.models) }

// snapshotSuffix matches a date suffix providers append to a model name:
// gpt-4o-2024-08-06, claude-haiku-4-5-20251001.
var snapshotSuffix = regexp.MustCompile(`-(\d{4}-\d{2}-\d{2}|\d{8})$`)

// Lookup returns the model called name: by id or alias, or a dated snapshot
// of a catalogued id (gpt-4o-2024-08-06 is a gpt-4o). It returns false for
// an unknown name.
func (c *Catalog) Lookup(name string) (Model, bool) {
	if m, ok := c.byName[name]; ok {
		return *m, true
	}
	if base := snapshotSuffix.ReplaceAllString(name, ""); base != name {
		if m, ok := c.byName[base]; ok {
			return *m, true
		}
	}
	return Model{}, false
}

// Prices returns a price table row for every price of every model and
// every alias, for pricing.Config.Table.
func (c *Catalog) Prices() []pricing.Price {
	var out []pricing.Price
	for _, m := range c.models {
		for _, name := range append([]string{m.ID}, m.Aliases...) {
			for _, p := range m.Prices {
				out = append(out, p.price(name))
			}
		}
	}
	return out
}

// BatchPrice returns the batch input and output prices of a model in force
// at t, in micro-dollars per million tokens, and false if the model is not
// catalogued or has no price then.
func (c *Catalog) BatchPrice(name string, t time.Time) (input, output copydesk.Micros, ok bool) {
	m, ok := c.Lookup(name)
	if !ok {
		return 0, 0, false
	}
	p, ok := m.Current(t)
	return copydesk.Micros(p.BatchInput), copydesk.Micros(p.BatchOutput), ok
}

// Served tells which catalogued models each configured provider instance
// serves by name: the models of its provider type. It is what the router's
// Catalog option wants.
type Served struct {
	c     *Catalog
	types map[string]string // provider instance name → provider type
}

// Serve returns the models each provider instance serves, given each
// instance's type (openai, anthropic, gemini; other types serve none).
func (c *Catalog) Serve(types map[string]string) *Served {
	return &Served{c: c, types: types}
}

// Models lists the models provider serves by name.
func (s *Served) Models(provider string) []copydesk.ModelInfo {
	t := s.types[provider]
	var out []copydesk.ModelInfo
	for _, m := range s.c.models {
		if m.Provider == t {
			out = append(out, m.Info(m.ID))
		}
	}
	return out
}

// Find returns the model provider serves as name (its id, an alias or a
// dated snapshot of it), with Model set to name as asked, and false if
// provider serves no such model.
func (s *Served) Find(provider, name string) (copydesk.ModelInfo, bool) {
	m, ok := s.c.Lookup(name)
	if !ok || m.Provider != s.types[provider] {
		return copydesk.ModelInfo{}, false
	}
	return m.Info(name), true
}
