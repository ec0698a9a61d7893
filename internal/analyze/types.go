// Package analyze is Copydesk's local content analysis engine: readability,
// SEO, structure, grammar, tone and sentiment of plain text, Markdown or HTML,
// deterministic and without I/O. Every finding carries byte offsets into the
// original input.
package analyze

import (
	"fmt"
	"slices"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/jsonappend"
)

// Format is the markup of the input (the domain's ContentFormat, so that
// requests of the content services carry it as is).
type Format = copydesk.ContentFormat

// Input formats.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
)

// Type names one analysis (the domain's AnalysisType).
type Type = copydesk.AnalysisType

// The six analyses.
const (
	TypeReadability Type = "readability"
	TypeSEO         Type = "seo"
	TypeStructure   Type = "structure"
	TypeGrammar     Type = "grammar"
	TypeTone        Type = "tone"
	TypeSentiment   Type = "sentiment"
)

// AllTypes lists the six analyses in their canonical order.
var AllTypes = []Type{TypeReadability, TypeSEO, TypeStructure, TypeGrammar, TypeTone, TypeSentiment}

// Input is one analysis request.
type Input struct {
	Content         string   `json:"content"`
	Format          Format   `json:"format"`
	Language        string   `json:"language"` // ISO 639-1, or "" / "auto" to detect
	Keyphrase       string   `json:"keyphrase,omitempty"`
	Synonyms        []string `json:"synonyms,omitempty"`
	Title           string   `json:"title,omitempty"`            // overrides the HTML <title>
	MetaDescription string   `json:"meta_description,omitempty"` // overrides the HTML meta description
	Slug            string   `json:"slug,omitempty"`
	Types           []Type   `json:"types,omitempty"` // empty: all six
	// Locale is the language of the findings' messages and label texts:
	// one of SupportedLanguages (region subtags accepted, "nl-BE"); empty
	// or unsupported gives English (see ResolveLocale). It does not change
	// which language the content is analyzed as (Language does).
	Locale string `json:"locale,omitempty"`
}

// Severity of a finding, as traffic lights.
type Severity string

// Severities.
const (
	SeverityGood    Severity = "good"    // green
	SeverityWarning Severity = "warning" // orange
	SeverityProblem Severity = "problem" // red
	SeverityInfo    Severity = "info"    // neutral information
)

// Span is a byte range [Start, End) in the original input.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Finding is one observation a person can act on.
type Finding struct {
	Rule     string   `json:"rule"` // stable id, e.g. "readability.sentence_length"
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Spans    []Span   `json:"spans,omitempty"` // where in the original input; empty for document-wide findings
	Source   string   `json:"source"`          // "local", or the model's name for model-backed findings
}

// Result is one analysis' outcome.
type Result struct {
	Type  Type   `json:"type"`
	Score int    `json:"score"` // 0-100
	Label string `json:"label"`
	// LabelText is Label as shown to a person, in the report's locale.
	LabelText string    `json:"label_text"`
	Figures   Figures   `json:"figures"` // the raw figures used, e.g. "flesch": 62.3
	Findings  []Finding `json:"findings"`
}

// Figures are a result's raw figures by name.
type Figures map[string]float64

// MarshalJSON writes the figures as encoding/json writes a
// map[string]float64, byte for byte (keys sorted, TestFiguresJSON), without
// its reflection: that allocated two objects per figure, a tenth of a
// deep analysis job's allocations. A NaN or an infinity is an error, as
// there.
func (f Figures) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	return f.appendJSON(make([]byte, 0, 2+len(f)*24))
}

// appendJSON appends f's JSON object, keys sorted, to dst.
func (f Figures) appendJSON(b []byte) ([]byte, error) {
	if f == nil {
		return append(b, "null"...), nil
	}
	var small [16]string
	keys := small[:0]
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.String(b, k)
		b = append(b, ':')
		var ok bool
		if b, ok = jsonappend.Float(b, f[k]); !ok {
			return nil, fmt.Errorf("analyze: figure %q is %v, which JSON cannot hold", k, f[k])
		}
	}
	return append(b, '}'), nil
}

// Report is the answer to an Input.
type Report struct {
	Language         string   `json:"language"`
	LanguageDetected bool     `json:"language_detected"`
	Words            int      `json:"words"`
	Score            int      `json:"score"` // overall, documented weighting of the results
	Label            string   `json:"label"`
	LabelText        string   `json:"label_text"` // Label in the report's locale
	Locale           string   `json:"locale"`     // the language of messages and label texts (ResolveLocale of Input.Locale)
	Results          []Result `json:"results"`
	Version          string   `json:"analyzer_version"`
}
