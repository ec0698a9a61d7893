package analyze

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkDoc verifies the offset invariants of a parsed document: every span
// lies inside the input on rune boundaries, every byte of a block's text
// comes from the input at its offset (literally, from a character
// reference or escape, or as collapsed whitespace), and every sentence and
// word is the block text at its offsets.
func checkDoc(tb testing.TB, d *Doc) {
	tb.Helper()
	src := d.Source
	span := func(what string, s Span) {
		tb.Helper()
		if s.Start < 0 || s.Start > s.End || s.End > len(src) {
			tb.Fatalf("%s span %v outside input of %d bytes", what, s, len(src))
		}
		if s.Start < len(src) && !utf8.RuneStart(src[s.Start]) || s.End < len(src) && !utf8.RuneStart(src[s.End]) {
			tb.Fatalf("%s span %v not on rune boundaries", what, s)
		}
	}
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if len(b.Offsets) != len(b.Text) {
			tb.Fatalf("block %d: %d offsets for %d bytes", bi, len(b.Offsets), len(b.Text))
		}
		if !utf8.ValidString(b.Text) {
			tb.Fatalf("block %d text %q is not valid UTF-8", bi, b.Text)
		}
		span("block", Span{b.Start, b.End})
		for i := 0; i < len(b.Text); i++ {
			o := b.Offsets[i]
			if o < 0 || o >= len(src) {
				tb.Fatalf("block %d byte %d: offset %d outside input", bi, i, o)
			}
			if i > 0 && o < b.Offsets[i-1] {
				tb.Fatalf("block %d byte %d: offset %d before previous %d", bi, i, o, b.Offsets[i-1])
			}
			c, s := b.Text[i], src[o]
			switch {
			case c == s:
			case c == ' ' && (s == ' ' || s == '\t' || s == '\n' || s == '\r' || s == '\f' || s == '\v' || s == '<' || s >= utf8.RuneSelf):
				// collapsed whitespace, a <br> or a Unicode space
			case s == '&' && d.Format != FormatText:
				// a character reference
			case d.Format != FormatText && b.Kind != BlockCode && (s == '\\' || o > 0 && src[o-1] == '\\'):
			default:
				if c >= utf8.RuneSelf && i > 0 && b.Offsets[i-1] == o {
					break // later bytes of a decoded character
				}
				tb.Fatalf("block %d byte %d: text %q but input %q at offset %d", bi, i, c, s, o)
			}
		}
		for _, s := range b.Sentences {
			span("sentence", Span{s.Start, s.End})
			if s.Start < b.Start || s.End > b.End {
				tb.Fatalf("sentence %v outside its block %v", Span{s.Start, s.End}, Span{b.Start, b.End})
			}
			if !strings.Contains(b.Text, s.Text) {
				tb.Fatalf("sentence %q not in block text %q", s.Text, b.Text)
			}
			for _, w := range s.Words {
				span("word", Span{w.Start, w.End})
				if w.Start < s.Start || w.End > s.End {
					tb.Fatalf("word %q %v outside sentence %v", w.Text, Span{w.Start, w.End}, Span{s.Start, s.End})
				}
				if d.Format == FormatText && src[w.Start:w.End] != w.Text {
					tb.Fatalf("word %q but input %q", w.Text, src[w.Start:w.End])
				}
				if w.Text == "" || !strings.Contains(s.Text, w.Text) {
					tb.Fatalf("word %q not in sentence %q", w.Text, s.Text)
				}
			}
		}
	}
	for _, l := range d.Links {
		span("link", l.Span)
	}
	for _, im := range d.Images {
		span("image", im.Span)
	}
}

// checkFindings verifies that every finding has a rule, a message and
// spans inside the input on rune boundaries, and that the score is 0-100.
func checkFindings(tb testing.TB, d *Doc, r Result) {
	tb.Helper()
	if r.Score < 0 || r.Score > 100 {
		tb.Fatalf("%s: score %d outside 0-100", r.Type, r.Score)
	}
	for _, f := range r.Findings {
		if f.Rule == "" || f.Message == "" || f.Source == "" {
			tb.Fatalf("%s: finding without rule, message or source: %+v", r.Type, f)
		}
		for _, s := range f.Spans {
			if s.Start < 0 || s.Start > s.End || s.End > len(d.Source) {
				tb.Fatalf("%s: span %v outside input of %d bytes", f.Rule, s, len(d.Source))
			}
			if s.Start < len(d.Source) && !utf8.RuneStart(d.Source[s.Start]) || s.End < len(d.Source) && !utf8.RuneStart(d.Source[s.End]) {
				tb.Fatalf("%s: span %v not on rune boundaries", f.Rule, s)
			}
		}
	}
}

func fuzzParse(f *testing.F, format Format, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(Input{Content: s, Format: format, Language: "auto", Keyphrase: "test"})
		if !utf8.ValidString(s) {
			if err == nil {
				t.Fatal("invalid UTF-8 accepted")
			}
			return
		}
		if err != nil {
			if format == FormatMarkdown && CheckMarkdown(s) != nil {
				return
			}
			t.Fatalf("Parse: %v", err)
		}
		checkDoc(t, d)
		for _, typ := range AllTypes {
			checkFindings(t, d, Run(d, typ))
		}
	})
}

func FuzzParseText(f *testing.F) {
	fuzzParse(f, FormatText, []string{
		"Hello. World!",
		"- one\n- two\n\n1. three\r\nfour",
		"Mail jan@example.com. Visit https://x.y/z. Cost 3.50. Dr. Who?",
		"“Quoted.” Next… end",
		"\u00a0 \u2003 x",
	})
}

func FuzzParseMarkdown(f *testing.F) {
	fuzzParse(f, FormatMarkdown, []string{
		"# Title\n\nText *em* [link](/a \"t\") ![alt](i.png) `code` &amp; \\* <br> x.\n\n- a\n  - b\n\n> quote\n\n```\ncode\n```\n",
		"| a | b |\n|---|---|\n| c | d |\n",
		"Setext\n======\n\nhttps://example.com and <mail@example.com>",
		"[ref][x]\n\n[x]: /url",
		"<div>raw html</div>\n\npara",
		"See <a href=\"/x\" rel=nofollow>a <b>link</b></a> <img src=i alt=\"alt\">.\n\n<table><tr><td>cell &amp; more</td></tr></table>\n",
	})
}

func FuzzParseHTML(f *testing.F) {
	fuzzParse(f, FormatHTML, []string{
		`<html><head><title>T &amp; t</title><meta name="description" content="d"><link rel="canonical" href="https://e.com/"></head><body><h1>H</h1><p>P <b>b</b> <a href="/x" rel="nofollow">l</a><br>x&eacute;&#233;&#x1F600;</p><ul><li>a<li>b</ul><img src=i alt="a"><script>x<y</script><noscript>n</noscript></body></html>`,
		"<p>unclosed <a href=x>link",
		"<table><tr><td>c<th>h</table><pre>  code  </pre>",
		"text &notanentity; &amp &lt;",
		"<svg><text>no</text></svg><p>yes</p><title>late",
	})
}
