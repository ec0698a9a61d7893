package analyze

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToneLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lang, text string
		wantLabel        string
	}{
		{"nl formal", "nl", "Wij helpen u graag. Uw aanvraag wordt binnen een dag behandeld. U ontvangt een bevestiging per e-mail.", "professional"},
		{"nl informal", "nl", "We helpen je graag. Jouw aanvraag regelen we snel. Je krijgt een mailtje van ons.", "casual"},
		{"nl mixed address", "nl", "Wij helpen u graag. Je krijgt een mailtje van ons.", "mixed"},
		{"de formal", "de", "Wir helfen Ihnen gern. Ihre Anfrage bearbeiten wir schnell. Sie erhalten eine Bestätigung.", "professional"},
		{"de informal", "de", "Wir helfen dir gern. Deine Anfrage bearbeiten wir schnell. Du bekommst eine Mail.", "casual"},
		{"de sie lower case is she", "de", "Sie kam gestern. Dann ging sie nach Hause. Das Wetter war gut.", "neutral"},
		{"fr formal", "fr", "Nous vous aidons volontiers. Votre demande est traitée rapidement.", "professional"},
		{"fr informal", "fr", "On t'aide volontiers. Ta demande est traitée rapidement. Tu reçois un mail.", "casual"},
		{"es formal", "es", "Le ayudamos con gusto. Usted recibirá una confirmación.", "professional"},
		{"es informal", "es", "Te ayudamos con gusto. Tú recibirás una confirmación.", "casual"},
		{"en contractions", "en", "We're here to help. Don't worry, you'll get an answer. It's easy.", "casual"},
		{"en formal markers", "en", "We hereby confirm your order. Furthermore, the invoice is attached. Kindly pay within thirty days.", "professional"},
		{"en plain", "en", "The library has a new opening schedule. The building closes at six in the evening.", "neutral"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := mustRulesDoc(t, tt.lang, FormatText, tt.text)
			r := analyzeTone(d)
			checkSpans(t, d, r)
			if r.Label != tt.wantLabel {
				t.Errorf("%q: got label %q, want %q (figures %v)", tt.text, r.Label, tt.wantLabel, r.Figures)
			}
			if c := r.Figures["confidence"]; c < 0 || c > 1 {
				t.Errorf("got confidence %v, want 0-1", c)
			}
		})
	}
}

func TestToneFindings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, lang, text, rule string
		want                   []string
	}{
		{"mixed address spans both", "nl", "Wij helpen u graag. Je krijgt een mail. Uw code staat erin.", ruleToneMixedAddress, []string{"u", "Je", "Uw"}},
		{"consistent address", "nl", "Wij helpen u graag. U krijgt een mail.", ruleToneMixedAddress, nil},
		{"de mixed", "de", "Wir helfen Ihnen gern. Du bekommst eine Mail.", ruleToneMixedAddress, []string{"Ihnen", "Du"}},
		{"fr elision", "fr", "Vous aimez ce texte. On t'aide volontiers.", ruleToneMixedAddress, []string{"Vous", "t'"}},
		{"fr typographic elision", "fr", "Vous aimez ce texte. On t’aide volontiers.", ruleToneMixedAddress, []string{"Vous", "t’"}},
		{"all caps", "en", "Order now. BUY IT TODAY and save.", ruleToneAllCaps, []string{"BUY IT TODAY"}},
		{"acronyms are no shouting", "en", "We use SEO and HTML daily.", ruleToneAllCaps, nil},
		{"fr le ton is a noun", "fr", "Vous aimez le ton de ce texte.", ruleToneMixedAddress, nil},
		{"hype en", "en", "Our revolutionary, game-changing tool is here.", ruleToneHype, []string{"revolutionary", "game-changing"}},
		{"hype en phrase", "en", "This is a game changer for teams.", ruleToneHype, []string{"game changer"}},
		{"hype nl inflected", "nl", "Een baanbrekende en ongeëvenaarde oplossing.", ruleToneHype, []string{"baanbrekende", "ongeëvenaarde"}},
		{"hype nl phrase", "nl", "De beste ooit, zeggen klanten.", ruleToneHype, []string{"beste ooit"}},
		{"no hype", "en", "Our tool exports reports in two seconds.", ruleToneHype, nil},
		{"multiple exclamation", "en", "Buy now!! It is here.", ruleToneMultiExclaim, []string{"!!"}},
		{"exclamation density", "en", "Buy now! It is here! Do it today. Yes.", ruleToneExclamations, []string{"!", "!"}},
		{"one exclamation is fine", "en", "Welcome! Here is how it works. Read on. Then start.", ruleToneExclamations, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := mustRulesDoc(t, tt.lang, FormatText, tt.text)
			r := analyzeTone(d)
			checkSpans(t, d, r)
			if diff := cmp.Diff(tt.want, spanTexts(d, r, tt.rule)); diff != "" {
				t.Errorf("%q: %s spans (-want +got):\n%s", tt.text, tt.rule, diff)
			}
		})
	}
}

func TestToneScore(t *testing.T) {
	t.Parallel()
	clean := analyzeTone(mustRulesDoc(t, "nl", FormatText, "Wij helpen u graag. U krijgt binnen een dag antwoord."))
	if clean.Score != 100 {
		t.Errorf("clean text: got score %d, want 100", clean.Score)
	}
	// Mixed address: -30.
	mixed := analyzeTone(mustRulesDoc(t, "nl", FormatText, "Wij helpen u graag. Je krijgt binnen een dag antwoord."))
	if mixed.Score != 70 {
		t.Errorf("mixed address: got score %d, want 70", mixed.Score)
	}
	// Two hype words in under 100 words: 2 per 100 words, -20.
	hype := analyzeTone(mustRulesDoc(t, "en", FormatText, "A revolutionary tool. An unparalleled result."))
	if hype.Score != 80 || hype.Figures["hype_words"] != 2 {
		t.Errorf("hype: got score %d with %v hype words, want 80 with 2", hype.Score, hype.Figures["hype_words"])
	}
	// Exclamations: 2 of 4 sentences (50 %): -min(25, 100×0.4) = -25.
	shout := analyzeTone(mustRulesDoc(t, "en", FormatText, "Buy now! It is here! Do it today. Yes."))
	if shout.Score != 75 {
		t.Errorf("exclamations: got score %d, want 75 (figures %v)", shout.Score, shout.Figures)
	}
}

func TestToneIsContraction(t *testing.T) {
	t.Parallel()
	for w, want := range map[string]bool{
		"don't": true, "don’t": true, "we're": true, "you'll": true, "i'm": true, "it's": true, "let's": true,
		"john's": false, "o'clock": false, "rock'n'roll": false, "cats'": false, "isn’t": true,
	} {
		if got := toneIsContraction(w); got != want {
			t.Errorf("toneIsContraction(%q) = %v, want %v", w, got, want)
		}
	}
}

func TestToneUnsupportedLanguageStillCountsExclamations(t *testing.T) {
	t.Parallel()
	d := mustRulesDoc(t, "en", FormatText, "Go! Now! Today! Yes.")
	d.Language = "sv"
	r := analyzeTone(d)
	if r.Figures["supported"] != 0 || r.Figures["exclamations"] != 3 {
		t.Errorf("got figures %v, want supported 0 and 3 exclamations", r.Figures)
	}
	if !strings.Contains(r.Findings[len(r.Findings)-1].Message, "not available") {
		t.Errorf("got register message %q, want one saying markers are not available", r.Findings[len(r.Findings)-1].Message)
	}
}

// TestToneLabelFormula checks toneLabel against hand-computed values:
// strength = total/(total+4); professional/casual confidence = strength ×
// (0.5 + |2f-1|/2); mixed = strength × (1 - |2f-1|); mixed address =
// strength × (0.5 + 0.5 × minority/majority); neutral = (1-strength) ×
// words/(words+30).
func TestToneLabelFormula(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                    string
		formal, informal        float64
		mixedAddr               bool
		fAddr, iAddr, words     int
		wantLabel               string
		wantConf, wantFormality float64
	}{
		{"three u", 6, 0, false, 3, 0, 50, "professional", 0.6, 1},
		{"je and contraction-like markers", 1, 5, false, 0, 2, 50, "casual", 0.6 * (0.5 + (2.0/3)/2), 1.0 / 6},
		{"even split", 2, 2, false, 0, 0, 50, "mixed", 0.5, 0.5},
		{"mixed address 2 vs 1", 4, 2, true, 2, 1, 50, "mixed", 0.6 * 0.75, 4.0 / 6},
		{"nothing", 0, 0, false, 0, 0, 90, "neutral", 0.75, 0.5},
		{"one stray marker", 0, 1, false, 0, 0, 30, "neutral", 0.8 * 0.5, 0},
	}
	for _, tt := range tests {
		label, conf, formality := toneLabel(tt.formal, tt.informal, tt.mixedAddr, tt.fAddr, tt.iAddr, tt.words)
		if label != tt.wantLabel || math.Abs(conf-tt.wantConf) > 1e-9 || math.Abs(formality-tt.wantFormality) > 1e-9 {
			t.Errorf("%s: got %q %.4f %.4f, want %q %.4f %.4f", tt.name, label, conf, formality, tt.wantLabel, tt.wantConf, tt.wantFormality)
		}
	}
}
