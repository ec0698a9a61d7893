package analyze

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRules1000Words measures the three language-rule analyses
// (grammar, tone, sentiment) plus the passive-voice and transition-word
// helpers over every sentence, on parsed 1,000-word HTML pages: the part of
// Analyze that this file's rules cost.
func BenchmarkRules1000Words(b *testing.B) {
	for _, page := range []struct{ lang, path string }{
		{"en", filepath.Join("testdata", "corpus", "en-cold-brew.html")},
		{"nl", filepath.Join("testdata", "rules", "nl-zonnepanelen.html")},
	} {
		b.Run(page.lang, func(b *testing.B) {
			src, err := os.ReadFile(page.path)
			if err != nil {
				b.Skipf("page not available: %v", err)
			}
			d, err := Parse(Input{Content: string(src), Format: FormatHTML, Language: page.lang})
			if err != nil {
				b.Fatal(err)
			}
			if n := ruleWordCount(d); n < 900 || n > 1200 {
				b.Fatalf("page has %d words, want about 1,000", n)
			}
			b.ReportAllocs()
			cpu := processCPU() // CPU time holds on a shared machine; run with -cpu 1
			for b.Loop() {
				analyzeGrammar(d)
				analyzeTone(d)
				analyzeSentiment(d)
				for bi := range d.Blocks {
					for si := range d.Blocks[bi].Sentences {
						s := &d.Blocks[bi].Sentences[si]
						passiveVoice(d.Language, s)
						transitionWord(d.Language, s)
					}
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
