package analyze

import (
	"strings"
	"testing"
)

func TestFlesch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang              string
		words, sents, syl int
		want              float64
	}{
		// 100 words, 5 sentences, 150 syllables: ASL 20, ASW 1.5, 150 syllables per 100 words.
		{"en", 100, 5, 150, 59.6}, // 206.835 - 1.015*20 - 84.6*1.5 = 59.635
		{"nl", 100, 5, 150, 72.7}, // 206.84 - 0.77*150 - 0.93*20 = 72.74
		{"de", 100, 5, 150, 72.3}, // 180 - 20 - 58.5*1.5 = 72.25
		{"fr", 100, 5, 150, 76.3}, // 207 - 1.015*20 - 73.6*1.5 = 76.3
		{"es", 100, 5, 150, 96.4}, // 206.84 - 1.02*20 - 0.6*150 = 96.44
		{"it", 100, 5, 150, 100},  // 217 - 1.3*20 - 0.6*150 = 101, clamped
		{"pt", 100, 5, 150, 100},  // 248.835 - 1.015*20 - 84.6*1.5 = 101.635, clamped
		// 60 words, 2 sentences, 100 syllables: ASL 30, ASW 1.667.
		{"en", 60, 2, 100, 35.4}, // 206.835 - 30.45 - 141 = 35.385
		{"nl", 60, 2, 100, 50.6}, // 206.84 - 128.33 - 27.9 = 50.61
		{"it", 60, 2, 100, 78},   // 217 - 39 - 100 = 78
		{"pt", 60, 2, 100, 77.4}, // 248.835 - 30.45 - 141 = 77.385
		{"de", 60, 2, 100, 52.5}, // 180 - 30 - 97.5 = 52.5
		{"fr", 60, 2, 100, 53.9}, // 207 - 1.015*30 - 73.6*100/60 = 207 - 30.45 - 122.667 = 53.883
		// Very hard text is clamped to 0; no words gives 0.
		{"en", 100, 2, 200, 0}, // 206.835 - 50.75 - 169.2 = -13.1
		{"en", 0, 0, 0, 0},
	}
	for _, tt := range tests {
		if got := flesch(tt.lang, tt.words, tt.sents, tt.syl); got != tt.want {
			t.Errorf("flesch(%s, %d, %d, %d): got %v, want %v", tt.lang, tt.words, tt.sents, tt.syl, got, tt.want)
		}
	}
}

func TestFleschKincaidGrade(t *testing.T) {
	t.Parallel()
	// 0.39*20 + 11.8*1.5 - 15.59 = 9.91
	if got := fleschKincaidGrade(100, 5, 150); got != 9.9 {
		t.Errorf("got %v, want 9.9", got)
	}
	// 0.39*10 + 11.8*1.2 - 15.59 = 2.47
	if got := fleschKincaidGrade(100, 10, 120); got != 2.5 {
		t.Errorf("got %v, want 2.5", got)
	}
}

func TestReadabilityBands(t *testing.T) {
	t.Parallel()
	flesch := []struct {
		f        float64
		points   int
		feedback string
	}{
		{100, 9, "very easy"}, {90, 9, "very easy"}, {89.9, 9, "easy"}, {80, 9, "easy"}, {79.9, 9, "fairly easy"},
		{70, 9, "fairly easy"}, {69.9, 9, "ok"}, {60, 9, "ok"}, {59.9, 6, "fairly difficult"}, {50, 6, "fairly difficult"},
		{49.9, 3, "difficult"}, {30, 3, "difficult"}, {29.9, 3, "very difficult"}, {0, 3, "very difficult"},
	}
	for _, tt := range flesch {
		if p, fb := fleschBand(tt.f); p != tt.points || fb != tt.feedback {
			t.Errorf("fleschBand(%v): got %d %q, want %d %q", tt.f, p, fb, tt.points, tt.feedback)
		}
	}
	ints := []struct {
		name string
		fn   func(float64) int
		in   float64
		want int
	}{
		{"sentence length", sentenceLengthPoints, 0, 9},
		{"sentence length", sentenceLengthPoints, 25, 9},
		{"sentence length", sentenceLengthPoints, 25.1, 6},
		{"sentence length", sentenceLengthPoints, 30, 6},
		{"sentence length", sentenceLengthPoints, 30.1, 3},
		{"passive", passivePoints, 10, 9},
		{"passive", passivePoints, 10.1, 6},
		{"passive", passivePoints, 15, 6},
		{"passive", passivePoints, 15.1, 3},
		{"transition", transitionPoints, 30, 9},
		{"transition", transitionPoints, 29.9, 6},
		{"transition", transitionPoints, 20, 6},
		{"transition", transitionPoints, 19.9, 3},
		{"paragraph", func(x float64) int { return paragraphPoints(int(x)) }, 150, 9},
		{"paragraph", func(x float64) int { return paragraphPoints(int(x)) }, 151, 6},
		{"paragraph", func(x float64) int { return paragraphPoints(int(x)) }, 200, 6},
		{"paragraph", func(x float64) int { return paragraphPoints(int(x)) }, 201, 3},
	}
	for _, tt := range ints {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("%s points for %v: got %d, want %d", tt.name, tt.in, got, tt.want)
		}
	}
	sections := []struct{ textWords, subheadings, longest, want int }{
		{300, 0, 300, 9}, // short text needs no subheadings
		{301, 0, 301, 2}, // long text without any
		{1000, 3, 300, 9},
		{1000, 3, 301, 6},
		{1000, 3, 350, 6},
		{1000, 3, 351, 3},
	}
	for _, tt := range sections {
		if got := sectionPoints(tt.textWords, tt.subheadings, tt.longest); got != tt.want {
			t.Errorf("sectionPoints(%d, %d, %d): got %d, want %d", tt.textWords, tt.subheadings, tt.longest, got, tt.want)
		}
	}
	for lang, want := range map[string]int{"en": 20, "nl": 20, "de": 20, "fr": 20, "es": 25, "it": 25, "pt": 25} {
		if got := recommendedSentenceLength(lang); got != want {
			t.Errorf("recommendedSentenceLength(%s): got %d, want %d", lang, got, want)
		}
	}
}

// findingOf returns the finding with the rule, or fails.
func findingOf(tb testing.TB, r Result, rule string) Finding {
	tb.Helper()
	for _, f := range r.Findings {
		if f.Rule == rule {
			return f
		}
	}
	tb.Fatalf("no finding %s in %+v", rule, r.Findings)
	return Finding{}
}

func hasFinding(r Result, rule string) bool {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func TestReadabilityFindings(t *testing.T) {
	t.Parallel()
	long := "This sentence has far more than twenty words because it keeps on going and going with one clause after another clause until the reader is tired."
	short := "This one is short."
	t.Run("sentence length", func(t *testing.T) {
		t.Parallel()
		// 1 long sentence of 3: 33.3 % > 30 %: red, with the long sentence highlighted.
		src := short + " " + long + " " + short
		d := MustParse(t, Input{Content: src, Language: "en"})
		r := Run(d, TypeReadability)
		f := findingOf(t, r, "readability.sentence_length")
		if f.Severity != SeverityProblem || len(f.Spans) != 1 || src[f.Spans[0].Start:f.Spans[0].End] != long {
			t.Errorf("got %+v, want a problem highlighting the long sentence", f)
		}
		if r.Figures["long_sentence_pct"] != 33.3 {
			t.Errorf("got long_sentence_pct %v, want 33.3", r.Figures["long_sentence_pct"])
		}
	})
	t.Run("spanish limit is 25", func(t *testing.T) {
		t.Parallel()
		// 22 words: long in English, not in Spanish.
		s := strings.Repeat("palabra ", 21) + "fin."
		d := MustParse(t, Input{Content: s, Language: "es"})
		if got := Run(d, TypeReadability).Figures["long_sentence_pct"]; got != 0 {
			t.Errorf("got long_sentence_pct %v for 22 words in es, want 0", got)
		}
		d = MustParse(t, Input{Content: s, Language: "en"})
		if got := Run(d, TypeReadability).Figures["long_sentence_pct"]; got != 100 {
			t.Errorf("got long_sentence_pct %v for 22 words in en, want 100", got)
		}
	})
	t.Run("consecutive starts", func(t *testing.T) {
		t.Parallel()
		src := "The cat sat down. The cat ran off. The cat came back. A dog barked."
		d := MustParse(t, Input{Content: src, Language: "en"})
		r := Run(d, TypeReadability)
		f := findingOf(t, r, "readability.consecutive_sentences")
		if f.Severity != SeverityProblem || len(f.Spans) != 3 || src[f.Spans[0].Start:f.Spans[0].End] != "The cat" {
			t.Errorf("got %+v, want a problem on the three openings \"The cat\"", f)
		}
		// An article or demonstrative is compared with the word after it:
		// "Questa è… Questa è… Questa è…" opens alike, "Questa è… Questa
		// casa…" does not.
		d = MustParse(t, Input{Content: "Questa è una casa. Questa casa è grande. Questa è la cucina. Fine.", Language: "it"})
		if f := findingOf(t, Run(d, TypeReadability), "readability.consecutive_sentences"); f.Severity != SeverityGood {
			t.Errorf("it, different second words: got %s, want good", f.Severity)
		}
		// List items are left out: steps may all start with the same verb.
		d = MustParse(t, Input{Content: "Intro text here.\n\n- Use a name.\n- Use a date.\n- Use a place.", Language: "en"})
		if f := findingOf(t, Run(d, TypeReadability), "readability.consecutive_sentences"); f.Severity != SeverityGood {
			t.Errorf("list items: got %s, want good", f.Severity)
		}
		d = MustParse(t, Input{Content: "The cat sat. The dog ran. The cat came back.", Language: "en"})
		if f := findingOf(t, Run(d, TypeReadability), "readability.consecutive_sentences"); f.Severity != SeverityGood {
			t.Errorf("got %s for varied openings, want good", f.Severity)
		}
	})
	t.Run("paragraph length", func(t *testing.T) {
		t.Parallel()
		para := strings.Repeat("Short words make text easy to read. ", 26) // 7*26 = 182 words: orange
		d := MustParse(t, Input{Content: para + "\n\nA second paragraph.", Language: "en"})
		f := findingOf(t, Run(d, TypeReadability), "readability.paragraph_length")
		if f.Severity != SeverityWarning || len(f.Spans) != 1 {
			t.Errorf("got %+v, want one warning", f)
		}
	})
	t.Run("text presence", func(t *testing.T) {
		t.Parallel()
		d := MustParse(t, Input{Content: "Too short.", Language: "en"})
		if f := findingOf(t, Run(d, TypeReadability), "readability.text_presence"); f.Severity != SeverityProblem {
			t.Errorf("got %s, want problem", f.Severity)
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Parallel()
		d := MustParse(t, Input{Content: "  ", Language: "en"})
		if r := Run(d, TypeReadability); r.Label != LabelNotApplicable {
			t.Errorf("got label %q for empty text, want not_applicable", r.Label)
		}
	})
	t.Run("figures", func(t *testing.T) {
		t.Parallel()
		// 2 sentences, 8 words; syllables: the(1) cat(1) sat(1) down(1) a(1) table(2) is(1) here(1) = 9.
		d := MustParse(t, Input{Content: "The cat sat down. A table is here.", Language: "en"})
		r := Run(d, TypeReadability)
		// 206.835 - 1.015*4 - 84.6*9/8 = 206.835 - 4.06 - 95.175 = 107.6 → 100
		want := map[string]float64{"words": 8, "sentences": 2, "syllables": 9, "flesch": 100, "avg_sentence_length": 4}
		for k, v := range want {
			if r.Figures[k] != v {
				t.Errorf("figure %s: got %v, want %v", k, r.Figures[k], v)
			}
		}
	})
}
