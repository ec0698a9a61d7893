package analyze

import (
	"strings"
	"testing"
)

// seoFinding returns the finding of rule that Analyze reports for a page
// with the given title, meta description and keyphrase.
func seoFinding(tb testing.TB, title, meta, keyphrase, lang, rule string) (Finding, bool) {
	tb.Helper()
	r, err := Analyze(Input{
		Content: "Some body text about something else entirely.", Language: lang,
		Title: title, MetaDescription: meta, Keyphrase: keyphrase, Types: []Type{TypeSEO},
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range r.Results[0].Findings {
		if f.Rule == rule {
			return f, true
		}
	}
	return Finding{}, false
}

func TestSnippetChecksAgreeWithAnalyze(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Cold brew coffee guide ", 10)
	tests := []struct {
		name, title, meta, keyphrase, lang string
	}{
		{"short title without keyphrase", "Coffee", "Short.", "cold brew", "en"},
		{"fine title starting with keyphrase", "Cold brew coffee: a complete guide to brewing at home", strings.Repeat("a", 130), "cold brew", "en"},
		{"keyphrase after function words", "The cold brew guide for people who like good coffee at home", strings.Repeat("x ", 70), "cold brew", "en"},
		{"keyphrase not at the start", "A complete guide to cold brew coffee at home for beginners", strings.Repeat("é", 157), "cold brew", "en"},
		{"keyphrase words apart", "Brew it cold: the complete guide to better coffee at home", "Cold brew is easy. " + strings.Repeat("y", 110), "cold brew", "en"},
		{"too wide title", long, long, "cold brew", "en"},
		{"meta with keyphrase three times", "Koude koffie zetten", "koude koffie, koude koffie en nog eens koude koffie", "koude koffie", "nl"},
		{"no keyphrase", "Koude koffie zetten", "Lekker.", "", "nl"},
		{"surrounding space", "  Coffee  ", "  Meta.  ", " coffee ", "en"},
		{"empty title and meta", "", "", "coffee", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			type got struct {
				c  Check
				ok bool
			}
			cases := map[string]got{
				"seo.title_width":             {CheckTitleWidth(tt.title), true},
				"seo.meta_description_length": {CheckMetaDescriptionLength(tt.meta), true},
			}
			c, ok := CheckKeyphraseInTitle(tt.title, tt.keyphrase, tt.lang)
			cases["seo.keyphrase_in_title"] = got{c, ok}
			c, ok = CheckKeyphraseInMetaDescription(tt.meta, tt.keyphrase, nil, tt.lang)
			cases["seo.keyphrase_in_meta_description"] = got{c, ok}
			for rule, g := range cases {
				want, wantOK := seoFinding(t, tt.title, tt.meta, tt.keyphrase, tt.lang, rule)
				if !g.ok && wantOK && (tt.title == "" && rule == "seo.keyphrase_in_title" || tt.meta == "" && rule == "seo.keyphrase_in_meta_description") {
					continue // Analyze reports the missing title or meta description; a snippet check has nothing to check
				}
				if g.ok != wantOK {
					t.Errorf("%s: assessed %v, Analyze assessed %v", rule, g.ok, wantOK)
					continue
				}
				if !g.ok {
					continue
				}
				f := g.c.Finding
				if f.Rule != want.Rule || f.Severity != want.Severity || f.Message != want.Message || f.Source != want.Source {
					t.Errorf("%s: got %+v, want %+v", rule, f, want)
				}
				if sev := severityOf(g.c.Points); sev != f.Severity {
					t.Errorf("%s: points %d give %s, finding says %s", rule, g.c.Points, sev, f.Severity)
				}
			}
		})
	}
}

func TestSnippetFigures(t *testing.T) {
	t.Parallel()
	title := "Cold Brew Coffee: A Complete Guide to Brewing at Home"
	r, err := Analyze(Input{Content: "Text.", Title: title, MetaDescription: " ñandú ", Types: []Type{TypeSEO}})
	if err != nil {
		t.Fatal(err)
	}
	fig := r.Results[0].Figures
	if got, want := TitleWidth(" "+title+" "), int(fig["title_width_px"]); got != want {
		t.Errorf("TitleWidth: got %d, want %d", got, want)
	}
	if got, want := MetaDescriptionChars(" ñandú "), int(fig["meta_description_chars"]); got != want {
		t.Errorf("MetaDescriptionChars: got %d, want %d", got, want)
	}
	if TitleMinPixels != 400 || TitleMaxPixels != 600 || MetaDescriptionMinChars != 120 || MetaDescriptionMaxChars != 156 {
		t.Errorf("bands: got %d-%d px, %d-%d chars", TitleMinPixels, TitleMaxPixels, MetaDescriptionMinChars, MetaDescriptionMaxChars)
	}
}

func TestKeyphraseCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, kp string
		syn      []string
		want     int
	}{
		{"How to brew cold brew coffee", "cold brew", nil, 1},
		{"Cold coffees, brewed cold", "cold coffee", nil, 0}, // exact forms only
		{"Nothing here", "cold brew", nil, 0},
		{"Iced coffee and cold brew", "cold brew", []string{"iced coffee"}, 2},
		{"Anything", "", []string{"anything"}, 0},
	}
	for _, tt := range tests {
		if got := KeyphraseCount(tt.text, tt.kp, tt.syn, "en"); got != tt.want {
			t.Errorf("KeyphraseCount(%q, %q, %q): got %d, want %d", tt.text, tt.kp, tt.syn, got, tt.want)
		}
	}
}

// seoResult returns the SEO result Analyze reports for content.
func seoResult(tb testing.TB, in Input) Result {
	tb.Helper()
	in.Types = []Type{TypeSEO}
	r, err := Analyze(in)
	if err != nil {
		tb.Fatal(err)
	}
	return r.Results[0]
}

func TestKeyphraseWordsAgreesWithAnalyze(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kp, lang string
		want     int
	}{
		{"the best cold brew for you", "en", 2},
		{"cold brew", "en", 2},
		{"  coffee  ", "en", 1},
		{"the", "en", 1}, // only function words: all of them count
		{"de koude koffie", "nl", 2},
		{"one two three four five six seven eight nine ten", "en", 10},
	}
	for _, tt := range tests {
		t.Run(tt.kp, func(t *testing.T) {
			t.Parallel()
			got := KeyphraseWords(tt.kp, tt.lang)
			r := seoResult(t, Input{Content: "Some body text.", Language: tt.lang, Keyphrase: tt.kp})
			if want := int(r.Figures["keyphrase_words"]); got != want {
				t.Errorf("KeyphraseWords(%q): got %d, Analyze counts %d", tt.kp, got, want)
			}
			if got != tt.want {
				t.Errorf("KeyphraseWords(%q): got %d, want %d", tt.kp, got, tt.want)
			}
		})
	}
	if got := KeyphraseWords("  ", "en"); got != 0 {
		t.Errorf("KeyphraseWords of space: got %d, want 0", got)
	}
}

func TestDocKeyphraseCountAgreesWithAnalyze(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		format  Format
		kp      string
	}{
		{"two sentences", "Cold brew is smooth. I like cold brew.", FormatText, "cold brew"},
		// Per block, "cold" occurs twice and "brew" once: 1. Per sentence:
		// the first sentence has both (1), the second only "cold" (0).
		{"words split over sentences", "Cold brew is smooth. Cold water helps. Brew it slowly.", FormatText, "cold brew"},
		{"headings and code", "# Cold brew\n\nCold brew at home.\n\n```\ncold brew\n```\n\n## Brew it cold", FormatMarkdown, "cold brew"},
		{"html", "<h2>Cold brew</h2><p>Make cold brew. Then drink the cold brew.</p>", FormatHTML, "cold brew"},
		{"none", "Nothing about it here.", FormatText, "cold brew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := Input{Content: tt.content, Format: tt.format, Language: "en", Keyphrase: tt.kp}
			d, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			got := DocKeyphraseCount(d, tt.kp)
			if want := int(seoResult(t, in).Figures["keyphrase_count"]); got != want {
				t.Errorf("DocKeyphraseCount: got %d, Analyze counts %d", got, want)
			}
		})
	}
	d, err := Parse(Input{Content: "Cold brew is smooth. Cold water helps. Brew it slowly.", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if got := DocKeyphraseCount(d, "cold brew"); got != 1 {
		t.Errorf("words split over sentences: got %d, want 1 (per sentence)", got)
	}
}

func TestCheckSingleH1AgreesWithAnalyze(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 2, 3} {
		content := strings.Repeat("# Heading\n\nText.\n\n", n) + "Body."
		r := seoResult(t, Input{Content: content, Format: FormatMarkdown, Language: "en"})
		var want *Finding
		for i := range r.Findings {
			if r.Findings[i].Rule == "seo.single_h1" {
				want = &r.Findings[i]
			}
		}
		c, ok := CheckSingleH1(n)
		if n <= 1 {
			// Analyze reports a good finding; the snippet check has nothing to say.
			if ok || want == nil || want.Severity != SeverityGood {
				t.Errorf("%d H1: got %v and %+v, want no check and a good finding", n, ok, want)
			}
			continue
		}
		if ok != (want != nil) {
			t.Fatalf("%d H1: assessed %v, Analyze assessed %v", n, ok, want != nil)
		}
		if ok && (c.Finding.Rule != want.Rule || c.Finding.Severity != want.Severity || c.Finding.Message != want.Message) {
			t.Errorf("%d H1: got %+v, want %+v", n, c.Finding, *want)
		}
	}
}
