package analyze

import (
	"testing"
	"unicode/utf8"
)

// FuzzRules runs the language rules on arbitrary text, Markdown and HTML in
// every supported language: no panic, every span inside the input and on
// rune boundaries, scores within 0-100, confidence within 0-1.
func FuzzRules(f *testing.F) {
	seeds := []string{
		"The the cat.  It sat , here.it was (fine. \"Quote",
		"Wij helpen u graag. Je krijgt een mail!! Het boek wordt geschreven.",
		"<p>He said “hi</p><p>Sie haben Ihr Paket.</p>",
		"# Kop\n\n- a) item\n- b) item :)\n\nKlaar?Ja. dat is zo..",
		"„Hallo“ « bonjour » ” )",
		"an car a apple could of",
		"&amp; &#x1F600; <b>the</b> the",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	formats := []Format{FormatText, FormatMarkdown, FormatHTML}
	f.Fuzz(func(t *testing.T, content string, pick uint8) {
		if !utf8.ValidString(content) {
			return
		}
		lang := SupportedLanguages[int(pick)%len(SupportedLanguages)]
		format := formats[int(pick/8)%len(formats)]
		d, err := Parse(Input{Content: content, Format: format, Language: lang})
		if err != nil {
			return
		}
		for _, r := range []Result{analyzeGrammar(d), analyzeTone(d), analyzeSentiment(d)} {
			checkSpans(t, d, r)
		}
		if c := analyzeTone(d).Figures["confidence"]; c < 0 || c > 1 {
			t.Fatalf("tone confidence %v outside 0-1", c)
		}
		for bi := range d.Blocks {
			for si := range d.Blocks[bi].Sentences {
				s := &d.Blocks[bi].Sentences[si]
				passiveVoice(lang, s)
				transitionWord(lang, s)
			}
		}
	})
}
