package analyze

import (
	"testing"
)

// mustRulesDoc parses text in the given language and format with Parse, so
// that the rules see real offsets. It fails the test on a parse error.
func mustRulesDoc(tb testing.TB, lang string, format Format, text string) *Doc {
	tb.Helper()
	d, err := Parse(Input{Content: text, Format: format, Language: lang})
	if err != nil {
		tb.Fatalf("Parse(%q): %v", text, err)
	}
	return d
}

// mustSentence returns the only sentence of text, failing if there is not
// exactly one.
func mustSentence(tb testing.TB, lang, text string) *Sentence {
	tb.Helper()
	d := mustRulesDoc(tb, lang, FormatText, text)
	var out []*Sentence
	for bi := range d.Blocks {
		for si := range d.Blocks[bi].Sentences {
			out = append(out, &d.Blocks[bi].Sentences[si])
		}
	}
	if len(out) != 1 {
		tb.Fatalf("%q: got %d sentences, want 1", text, len(out))
	}
	return out[0]
}

// checkSpans fails if a finding's span is outside the source or not on rune
// boundaries.
func checkSpans(tb testing.TB, d *Doc, r Result) {
	tb.Helper()
	for _, f := range r.Findings {
		for _, sp := range f.Spans {
			if sp.Start < 0 || sp.Start > sp.End || sp.End > len(d.Source) {
				tb.Fatalf("%s: span %v outside source of %d bytes", f.Rule, sp, len(d.Source))
			}
			if !runeBoundary(d.Source, sp.Start) || !runeBoundary(d.Source, sp.End) {
				tb.Fatalf("%s: span %v not on rune boundaries", f.Rule, sp)
			}
		}
		if f.Source != "local" {
			tb.Fatalf("%s: got source %q, want local", f.Rule, f.Source)
		}
	}
	if r.Score < 0 || r.Score > 100 {
		tb.Fatalf("%s: score %d outside 0-100", r.Type, r.Score)
	}
}

func runeBoundary(s string, i int) bool {
	return i == len(s) || i == 0 || s[i]&0xC0 != 0x80
}

// spanTexts returns the source text of every span of the findings with the
// given rule.
func spanTexts(d *Doc, r Result, rule string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Rule != rule {
			continue
		}
		for _, sp := range f.Spans {
			out = append(out, d.Source[sp.Start:sp.End])
		}
	}
	return out
}
