package analyze

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var placeholderRE = regexp.MustCompile(`\{[0-9]\}`)

// TestCatalogComplete checks that every message exists in all seven
// languages with the same placeholders as the English one.
func TestCatalogComplete(t *testing.T) {
	t.Parallel()
	for k := msgKey(0); k < numMsgs; k++ {
		en := catalog[k][locEN]
		if en == "" {
			t.Errorf("message %d has no English text", k)
			continue
		}
		want := placeholderSet(en)
		for l := locale(0); l < numLocales; l++ {
			s := catalog[k][l]
			if s == "" {
				t.Errorf("message %d (%q) has no %s text", k, en, localeCodes[l])
				continue
			}
			if got := placeholderSet(s); got != want {
				t.Errorf("message %d in %s: placeholders %q, want %q as in %q", k, localeCodes[l], got, want, en)
			}
		}
	}
}

func placeholderSet(s string) string {
	seen := map[string]bool{}
	for _, p := range placeholderRE.FindAllString(s, -1) {
		seen[p] = true
	}
	var out []string
	for i := 0; i < 10; i++ {
		if p := "{" + itoa(i) + "}"; seen[p] {
			out = append(out, p)
		}
	}
	return strings.Join(out, "")
}

func TestResolveLocale(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "en"}, {"nl", "nl"}, {"nl-BE", "nl"}, {"pt_BR", "pt"}, {"DE", "de"}, {" fr ", "fr"},
		{"sv", "en"}, {"english", "en"}, {"x", "en"},
	}
	for _, tt := range tests {
		if got := ResolveLocale(tt.in); got != tt.want {
			t.Errorf("ResolveLocale(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLocaleFromAcceptLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"nl", "nl"},
		{"de-CH, fr;q=0.8", "de"},
		{"sv, fr;q=0.8, en;q=0.5", "fr"},
		{"en;q=0.4, it;q=0.9", "it"},
		{"es;q=0, pt;q=0.1", "pt"},
		{"*, sv", ""},
		{"fr;q=abc, nl;q=0.2", "nl"},
		{"pt-BR,pt;q=0.9,en-US;q=0.8", "pt"},
	}
	for _, tt := range tests {
		if got := LocaleFromAcceptLanguage(tt.in); got != tt.want {
			t.Errorf("LocaleFromAcceptLanguage(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// localeInputs exercise most rules of all six analyses (English content, so
// that the English rules fire too, plus Dutch content for the Dutch rules).
var localeInputs = []Input{
	{Content: MustCorpusText("en-cold-brew.html"), Format: FormatHTML, Keyphrase: "cold brew coffee", Language: "en"},
	{Content: MustCorpusText("nl-fietsen.html"), Format: FormatHTML, Keyphrase: "fiets onderhouden", Language: "nl"},
	{Content: "# A\n\n#### B\n\nIt works better then the old one. We could of won. A apple a day!!  AMAZING GREAT DEAL NOW. " +
		"It is (open. \"Quoted. The the end. Yes , we can.Then go.. Fine. Fine. Fine.\n\n## C\n\n## D\n\nText.", Format: FormatMarkdown, Language: "en", Keyphrase: "a b c d e f g h i j"},
	{Content: "Als u klaar ben, is het sterker als ooit. U ben welkom en jij heb gelijk. Wij zijn super blij!!! " +
		"Dit is echt geweldig en fantastisch. Je kunt het doen. U kunt het doen.", Language: "nl", Keyphrase: "de"},
	{Content: "Quelque soit le prix, c'est terrible et horrible. " + strings.Repeat("Une phrase simple ici. ", 20), Language: "fr", Title: "Titre", MetaDescription: "Une description.", Slug: "titre"},
}

// MustCorpusText reads a page of testdata/corpus.
func MustCorpusText(name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestFindingsLocalised runs every analysis in every locale and checks
// that each finding and label is written in the locale: no placeholder left,
// and for the six other languages different from the English text of the
// same finding (proper names and figures aside, no message is the same in
// two languages).
func TestFindingsLocalised(t *testing.T) {
	t.Parallel()
	seenRules := map[string]bool{}
	for i, in := range localeInputs {
		in.Locale = "en"
		en, err := Analyze(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range SupportedLanguages {
			in.Locale = code
			r, err := Analyze(in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Locale != code {
				t.Errorf("input %d: got locale %q, want %q", i, r.Locale, code)
			}
			if r.LabelText == "" || (code != "en" && r.LabelText == en.LabelText && r.Label != LabelOK) {
				t.Errorf("input %d %s: label text %q (English %q)", i, code, r.LabelText, en.LabelText)
			}
			for ri, res := range r.Results {
				if res.LabelText == "" {
					t.Errorf("input %d %s %s: no label text", i, code, res.Type)
				}
				if len(res.Findings) != len(en.Results[ri].Findings) {
					t.Fatalf("input %d %s %s: %d findings, English has %d", i, code, res.Type, len(res.Findings), len(en.Results[ri].Findings))
				}
				for fi, f := range res.Findings {
					seenRules[f.Rule] = true
					e := en.Results[ri].Findings[fi]
					if f.Rule != e.Rule || f.Severity != e.Severity {
						t.Errorf("input %d %s: finding %d is %s/%s, English %s/%s", i, code, fi, f.Rule, f.Severity, e.Rule, e.Severity)
					}
					if f.Message == "" || placeholderRE.MatchString(f.Message) {
						t.Errorf("input %d %s %s: message %q", i, code, f.Rule, f.Message)
					}
					if code != "en" && f.Message == e.Message {
						t.Errorf("input %d %s %s: message not translated: %q", i, code, f.Rule, f.Message)
					}
				}
			}
		}
	}
	// The inputs reach most rules; the catalog test covers the rest.
	for _, rule := range []string{
		"readability.sentence_length", "readability.passive_voice", "readability.transition_words",
		"readability.consecutive_sentences", "readability.flesch_reading_ease", "readability.subheading_distribution",
		"seo.title_width", "seo.meta_description_length", "seo.keyphrase_density", "seo.keyphrase_in_slug",
		"seo.competing_links", "seo.image_alt", "seo.keyphrase_length", "structure.skipped_heading_level",
		"structure.introduction", "grammar.than_then", "grammar.could_of", "grammar.article_a_an",
		"grammar.repeated_word", "grammar.verb_form", "grammar.comparative_als", "grammar.misspelling",
		"grammar.unmatched_bracket", "grammar.unmatched_quote", "grammar.double_space", "grammar.space_before_punctuation",
		"grammar.missing_space_after_punctuation", "grammar.repeated_punctuation", "grammar.model_needed",
		"tone.mixed_address", "tone.register", "tone.all_caps", "tone.multiple_exclamation", "sentiment.negative_sentence",
	} {
		if !seenRules[rule] {
			t.Errorf("no input raised %s", rule)
		}
	}
}
