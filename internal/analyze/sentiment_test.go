package analyze

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSentimentSentenceRaw checks the raw sums by hand: polarity ×1.5 per
// intensifier, ×0.5 per diminisher, ×-0.5 after a negator, and 0.5/1.5
// weights around a contrast word.
func TestSentimentSentenceRaw(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang, text string
		want       float64
	}{
		{"en", "The service is good.", 2},
		{"en", "The service is very good.", 3},                   // 2 × 1.5
		{"en", "The service is really very good.", 4.5},          // 2 × 1.5 × 1.5
		{"en", "The service is not good.", -1},                   // 2 × -0.5
		{"en", "The service is not very good.", -1.5},            // 2 × 1.5 × -0.5
		{"en", "The service isn't bad.", 1},                      // -2 × -0.5
		{"en", "The service is slightly slow.", -0.5},            // -1 × 0.5
		{"en", "The room was great but the food was awful.", -3}, // 0.5×3 + 1.5×-3
		{"en", "The weather is mild and the room has a view.", 0},
		{"en", "Never a problem with this shop.", 1}, // -2 × -0.5
		{"nl", "De service is goed.", 2},
		{"nl", "De service is zeer goed.", 3},
		{"nl", "De service is niet goed.", -1},
		{"nl", "Het is geen slecht product.", 1},
		{"nl", "Een heel erg goede ervaring.", 4.5},
		{"nl", "De kamer was prachtig maar het eten was vreselijk.", -3},
		{"nl", "Het is een beetje traag.", -1},
		{"en", "The new plan is less expensive.", 0.5}, // -1 × -0.5
		{"nl", "Ja, maar minder goed.", -1.5},          // 2 × -0.5, after "maar" × 1.5
		{"de", "Das ist wirklich schlecht.", -3},
		{"de", "Der Service ist nicht gut.", -1},
		{"fr", "Le service est très bon.", 3},
		{"fr", "Le service n'est pas bon.", -1},
		{"es", "El servicio es muy bueno.", 3},
		{"es", "La comida no es mala.", 1},
		{"it", "Il servizio è molto buono.", 3},
		{"it", "Il servizio non è buono.", -1},
		{"pt", "O serviço é muito bom.", 3},
		{"pt", "A comida não é ruim.", 1},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			t.Parallel()
			s := mustSentence(t, tt.lang, tt.text)
			got, _ := sentimentSentence(sentimentLexicons.get(tt.lang), s.Words)
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("sentimentSentence(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestSentimentDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lang, text string
		wantLabel        string
		wantScore        int
		wantNegative     []string
	}{
		{
			name: "positive en", lang: "en",
			text:      "The service was excellent. The staff were friendly.",
			wantLabel: "positive",
			// excellent 3 → 3/√24 = 0.6124; friendly 2 → 2/√19 = 0.4588; mean 0.5356 → 50+26.78 = 76.78 → 77
			wantScore: 77,
		},
		{
			name: "negative en", lang: "en",
			text:         "The delivery was a disaster. The product is fine.",
			wantLabel:    "negative",
			wantScore:    ruleClamp(50 + 50*((-3/math.Sqrt(24)+1/math.Sqrt(16))/2)),
			wantNegative: []string{"The delivery was a disaster."},
		},
		{
			name: "neutral en", lang: "en",
			text:      "The shop opens at nine. It closes at six.",
			wantLabel: "neutral", wantScore: 50,
		},
		{
			name: "negative nl", lang: "nl",
			text:         "De levering was een ramp en de klantenservice was onbeschoft. Verder prima.",
			wantLabel:    "negative",
			wantScore:    ruleClamp(50 + 50*((-6/math.Sqrt(51)+2/math.Sqrt(19))/2)),
			wantNegative: []string{"De levering was een ramp en de klantenservice was onbeschoft."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := mustRulesDoc(t, tt.lang, FormatText, tt.text)
			r := analyzeSentiment(d)
			checkSpans(t, d, r)
			if r.Type != TypeSentiment || r.Label != tt.wantLabel || r.Score != tt.wantScore {
				t.Errorf("got %s %q score %d, want sentiment %q score %d (figures %v)", r.Type, r.Label, r.Score, tt.wantLabel, tt.wantScore, r.Figures)
			}
			if diff := cmp.Diff(tt.wantNegative, spanTexts(d, r, ruleSentimentNegative)); diff != "" {
				t.Errorf("negative sentences (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSentimentUnsupportedLanguage(t *testing.T) {
	t.Parallel()
	d := mustRulesDoc(t, "en", FormatText, "This is really bad.")
	d.Language = "sv" // Parse accepts only supported languages; the analysis must cope anyway
	r := analyzeSentiment(d)
	if r.Label != "neutral" || r.Score != 50 || r.Figures["supported"] != 0 {
		t.Errorf("got %q %d %v, want neutral 50 unsupported", r.Label, r.Score, r.Figures)
	}
	if len(r.Findings) != 1 || r.Findings[0].Rule != ruleSentimentUnsupported {
		t.Errorf("got findings %+v, want one %s", r.Findings, ruleSentimentUnsupported)
	}
}

// TestSentimentLexiconsWellFormed guards the hand-written lexicons: every
// polarity in -3..+3 and not zero, and a reasonable size.
func TestSentimentLexiconsWellFormed(t *testing.T) {
	t.Parallel()
	for _, lang := range SupportedLanguages {
		lex := sentimentLexicons.get(lang)
		words := 0
		for w, e := range lex {
			if e.kind == sentWord {
				words++
				if e.score == 0 || e.score < -3 || e.score > 3 {
					t.Errorf("%s %q: got score %d, want -3..-1 or 1..3", lang, w, e.score)
				}
			}
		}
		want := 150 // polarity words with generated forms; en and nl are first-class
		if lang == "en" || lang == "nl" {
			want = 400
		}
		if words < want {
			t.Errorf("%s: got %d polarity words, want at least %d", lang, words, want)
		}
	}
}
