package suggest

import (
	"cmp"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
)

const pageContent = `# Cold brew at home

Cold brew coffee is coffee steeped in cold water for many hours. This guide shows how to make cold brew at home.

## What you need

A jar, coarse coffee and a filter.

## How long to steep

Twelve to eighteen hours in the fridge.`

// MustDoc parses pageContent with a keyphrase, as the handler does.
func MustDoc(tb testing.TB, keyphrase, title, meta string) *analyze.Doc {
	tb.Helper()
	req := &Request{Content: pageContent, Format: analyze.FormatMarkdown, Language: "en", Keyphrase: keyphrase, Title: title, MetaDescription: meta, Count: 10}
	doc, err := analyze.Parse(input(req))
	if err != nil {
		tb.Fatal(err)
	}
	return doc
}

// engineFindings returns the findings Analyze reports for the page with
// the given title and meta description, by rule.
func engineFindings(tb testing.TB, keyphrase, title, meta string) (map[string]analyze.Finding, map[string]float64) {
	tb.Helper()
	req := &Request{Content: pageContent, Format: analyze.FormatMarkdown, Language: "en", Keyphrase: keyphrase, Title: title, MetaDescription: meta}
	r, err := analyze.Analyze(input(req))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]analyze.Finding{}
	for _, f := range r.Results[0].Findings {
		out[f.Rule] = f
	}
	return out, r.Results[0].Figures
}

func TestRescoreAgreesWithAnalyze(t *testing.T) {
	t.Parallel()
	tooWide := "Cold brew coffee at home: the complete and definitive guide to brewing, steeping, filtering and serving"
	tests := []struct {
		name      string
		keyphrase string
		title     string
		wantFits  bool
		wantStart bool
	}{
		{"too short with keyphrase", "cold brew", "Cold brew", false, true},
		{"too short without keyphrase", "cold brew", "Iced coffee", false, false},
		{"fine with keyphrase at start", "cold brew", "Cold brew coffee: a complete guide to brewing at home", true, true},
		{"fine with keyphrase later", "cold brew", "A complete guide to making cold brew coffee at home", true, false},
		{"fine without keyphrase", "cold brew", "A complete guide to making iced coffee in your kitchen", true, false},
		{"fine, no keyphrase set", "", "A complete guide to making iced coffee in your kitchen", true, false},
		{"too wide with keyphrase", "cold brew", tooWide, false, true},
		{"too wide without keyphrase", "cold brew", strings.Replace(tooWide, "Cold brew", "Iced", 1), false, false},
	}
	for _, tt := range tests {
		t.Run("title "+tt.name, func(t *testing.T) {
			t.Parallel()
			s := &scorer{lang: "en", keyphrase: tt.keyphrase, doc: MustDoc(t, tt.keyphrase, "", "")}
			got := s.titles([]string{tt.title}, 3)
			if len(got) != 1 {
				t.Fatalf("got %d titles, want 1", len(got))
			}
			want, fig := engineFindings(t, tt.keyphrase, tt.title, "")
			ti := got[0]
			if ti.WidthPx != int(fig["title_width_px"]) {
				t.Errorf("width: got %d px, want %v px", ti.WidthPx, fig["title_width_px"])
			}
			if ti.Fits != tt.wantFits || ti.KeyphraseAtStart != tt.wantStart {
				t.Errorf("fits, keyphrase at start: got %v, %v, want %v, %v", ti.Fits, ti.KeyphraseAtStart, tt.wantFits, tt.wantStart)
			}
			wantRules := []string{"seo.title_width"}
			if tt.keyphrase != "" {
				wantRules = append(wantRules, "seo.keyphrase_in_title")
			}
			checkFindings(t, ti.Findings, want, wantRules)
		})
	}

	metas := []struct {
		name, meta string
		wantFits   bool
	}{
		{"below the band", "Make cold brew at home.", false},
		{"inside the band", "Make cold brew coffee at home with a jar, coarse coffee and a filter: how long to steep it, how to filter it and how to serve it.", true},
		{"at the lower bound", strings.Repeat("a", 119) + " ", false},
		{"above the band", strings.Repeat("Cold brew coffee is smooth and sweet. ", 5), false},
		{"without keyphrase", strings.Repeat("Iced coffee is smooth. ", 6), true},
		{"keyphrase three times", "cold brew, cold brew, cold brew. " + strings.Repeat("x", 100), true},
	}
	for _, tt := range metas {
		t.Run("meta "+tt.name, func(t *testing.T) {
			t.Parallel()
			s := &scorer{lang: "en", keyphrase: "cold brew", doc: MustDoc(t, "cold brew", "", "")}
			got := s.metaDescriptions([]string{tt.meta}, 3)
			if len(got) != 1 {
				t.Fatalf("got %d meta descriptions, want 1", len(got))
			}
			want, fig := engineFindings(t, "cold brew", "", tt.meta)
			m := got[0]
			// The suggestion is the sanitized, space-collapsed text; the
			// engine counts the same text.
			if m.Text != strings.TrimSpace(tt.meta) {
				t.Errorf("text: got %q, want %q", m.Text, strings.TrimSpace(tt.meta))
			}
			if m.Chars != int(fig["meta_description_chars"]) {
				t.Errorf("chars: got %d, want %v", m.Chars, fig["meta_description_chars"])
			}
			if m.Fits != tt.wantFits {
				t.Errorf("fits: got %v, want %v (%d chars)", m.Fits, tt.wantFits, m.Chars)
			}
			checkFindings(t, m.Findings, want, []string{"seo.meta_description_length", "seo.keyphrase_in_meta_description"})
		})
	}
}

// checkFindings compares a suggestion's findings with the engine's, rule
// by rule.
func checkFindings(tb testing.TB, got []analyze.Finding, want map[string]analyze.Finding, rules []string) {
	tb.Helper()
	if len(got) != len(rules) {
		tb.Fatalf("got %d findings %+v, want rules %v", len(got), got, rules)
	}
	for i, rule := range rules {
		w, ok := want[rule]
		if !ok {
			tb.Fatalf("Analyze reports no %s", rule)
		}
		if g := got[i]; g.Rule != w.Rule || g.Severity != w.Severity || g.Message != w.Message {
			tb.Errorf("%s: got %s %q, want %s %q", rule, g.Severity, g.Message, w.Severity, w.Message)
		}
	}
}

func TestRescoreSortsAndDrops(t *testing.T) {
	t.Parallel()
	doc := MustDoc(t, "cold brew", "Cold brew", "Current meta.")
	a := &answer{
		Titles: []string{
			"Iced coffee", // short, no keyphrase: 6+2
			"Cold brew coffee: a complete guide to brewing at home", // 9+9
			"  ", // empty: dropped
			"cold  BREW coffee: a complete guide to brewing at home", // duplicate: dropped
			"<b>Cold brew</b>", // the current title once sanitized: dropped
			"A complete guide to making cold brew coffee at home", // 9+6
		},
		MetaDescriptions: []string{"current META.", "Cold brew at home."},
		Headings: []answerHeading{
			{Level: 2, Text: "Steeping"},
			{Level: 2, Text: "How long to steep cold brew"},
			{Level: 0, Text: "Bad level"},
			{Level: 3, Text: "What you need for it"},
		},
		Keyphrases: []string{"cold brew", "coffee", "a very long keyphrase of many words", "cold water"},
	}
	res := rescore(a, &Request{Count: 10}, doc, &copydesk.ModelResult{})
	var titles []string
	for _, ti := range res.Titles {
		titles = append(titles, ti.Text)
	}
	want := []string{"Cold brew coffee: a complete guide to brewing at home", "A complete guide to making cold brew coffee at home", "Iced coffee"}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Errorf("titles: got %q, want %q", titles, want)
	}
	for i := 1; i < len(res.Titles); i++ {
		if res.Titles[i].Score > res.Titles[i-1].Score {
			t.Errorf("titles not sorted by score: %d before %d", res.Titles[i-1].Score, res.Titles[i].Score)
		}
	}
	if got := res.Titles[0].Score; got != 100 {
		t.Errorf("best title score: got %d, want 100", got)
	}
	if len(res.MetaDescriptions) != 1 || res.MetaDescriptions[0].Text != "Cold brew at home." {
		t.Errorf("meta descriptions: got %+v, want only the new one", res.MetaDescriptions)
	}
	var heads []string
	for _, h := range res.Headings {
		heads = append(heads, h.Text)
	}
	if want := []string{"How long to steep cold brew", "What you need for it", "Steeping"}; strings.Join(heads, "|") != strings.Join(want, "|") {
		t.Errorf("headings: got %q, want %q", heads, want)
	}
	if h := res.Headings[0]; !h.Keyphrase || !h.Fits || h.Score != 100 {
		t.Errorf("best heading: got %+v, want keyphrase, fits, score 100", h)
	}
	if h := res.Headings[2]; h.Fits || h.Keyphrase {
		t.Errorf("one-word heading: got %+v, want not fitting, no keyphrase", h)
	}
	var kps []string
	for _, k := range res.Keyphrases {
		kps = append(kps, k.Text)
	}
	// "cold brew" is the current keyphrase: dropped. "coffee" occurs most.
	if want := []string{"coffee", "cold water", "a very long keyphrase of many words"}; strings.Join(kps, "|") != strings.Join(want, "|") {
		t.Errorf("keyphrases: got %q, want %q", kps, want)
	}

	res = rescore(a, &Request{Count: 1}, doc, &copydesk.ModelResult{})
	if len(res.Titles) != 1 || len(res.Headings) != 1 || len(res.Keyphrases) != 1 {
		t.Errorf("count 1: got %d titles, %d headings, %d keyphrases", len(res.Titles), len(res.Headings), len(res.Keyphrases))
	}
}

func TestRescoreKeyphrasesAgreeWithAnalyze(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kp       string
		wantFits bool
	}{
		{"the best cold brew for you", true}, // 3 content words
		{"brew coffee", true},                // 2 per block in the intro, 1 per sentence
		{"cold water", true},
		{"a very long keyphrase of many words", false},
		{"one two three four five", false},
	}
	for _, tt := range tests {
		t.Run(tt.kp, func(t *testing.T) {
			t.Parallel()
			s := &scorer{lang: "en", keyphrase: "", doc: MustDoc(t, "", "", "")}
			got := s.keyphrases([]string{tt.kp}, 3)
			if len(got) != 1 {
				t.Fatalf("got %d keyphrases, want 1", len(got))
			}
			want, fig := engineFindings(t, tt.kp, "", "")
			k := got[0]
			if k.Words != int(fig["keyphrase_words"]) {
				t.Errorf("words: got %d, Analyze counts %v", k.Words, fig["keyphrase_words"])
			}
			if k.Occurrences != int(fig["keyphrase_count"]) {
				t.Errorf("occurrences: got %d, Analyze counts %v", k.Occurrences, fig["keyphrase_count"])
			}
			if good := want["seo.keyphrase_length"].Severity == analyze.SeverityGood; k.Fits != good {
				t.Errorf("fits: got %v, Analyze's seo.keyphrase_length is %s", k.Fits, want["seo.keyphrase_length"].Severity)
			}
			if k.Fits != tt.wantFits {
				t.Errorf("fits: got %v, want %v", k.Fits, tt.wantFits)
			}
		})
	}
}

func TestRescoreHeadingLevels(t *testing.T) {
	t.Parallel()
	const noH1 = "Cold brew coffee is coffee steeped in cold water.\n\n## What you need\n\nA jar."
	tests := []struct {
		name         string
		content      string // "" is pageContent, which has an H1
		level        int
		text         string
		wantFits     bool
		wantKey      bool
		wantRules    []string
		wantSingleH1 bool
	}{
		{"H2 with keyphrase", "", 2, "How long to steep cold brew", true, true, []string{"suggest.heading_length", "suggest.heading_keyphrase"}, false},
		{"H3 without keyphrase", "", 3, "What you need for it", true, false, []string{"suggest.heading_length", "suggest.heading_keyphrase"}, false},
		{"H4 with keyphrase: not assessed", "", 4, "Steeping cold brew longer", true, false, []string{"suggest.heading_length"}, false},
		{"second H1", "", 1, "Cold brew coffee at home", false, false, []string{"suggest.heading_length", "seo.single_h1"}, true},
		{"first H1", noH1, 1, "Cold brew coffee at home", true, false, []string{"suggest.heading_length"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			content := cmp.Or(tt.content, pageContent)
			doc, err := analyze.Parse(analyze.Input{Content: content, Format: analyze.FormatMarkdown, Language: "en", Keyphrase: "cold brew"})
			if err != nil {
				t.Fatal(err)
			}
			s := &scorer{lang: "en", keyphrase: "cold brew", doc: doc}
			got := s.headings([]answerHeading{{Level: tt.level, Text: tt.text}}, 3)
			if len(got) != 1 {
				t.Fatalf("got %d headings, want 1", len(got))
			}
			h := got[0]
			if h.Fits != tt.wantFits || h.Keyphrase != tt.wantKey {
				t.Errorf("fits, keyphrase: got %v, %v, want %v, %v", h.Fits, h.Keyphrase, tt.wantFits, tt.wantKey)
			}
			var rules []string
			for _, f := range h.Findings {
				rules = append(rules, f.Rule)
			}
			if strings.Join(rules, ",") != strings.Join(tt.wantRules, ",") {
				t.Fatalf("rules: got %v, want %v", rules, tt.wantRules)
			}
			// The page with the suggested heading added, as Analyze sees it.
			r, err := analyze.Analyze(analyze.Input{Content: content + "\n\n" + strings.Repeat("#", tt.level) + " " + tt.text + "\n\nText.",
				Format: analyze.FormatMarkdown, Language: "en", Keyphrase: "cold brew", Types: []analyze.Type{analyze.TypeSEO}})
			if err != nil {
				t.Fatal(err)
			}
			var want *analyze.Finding
			for i, f := range r.Results[0].Findings {
				// Analyze reports a good seo.single_h1 for at most one H1 (as
				// Yoast does); the suggestion check speaks only of a problem.
				if f.Rule == "seo.single_h1" && f.Severity != analyze.SeverityGood {
					want = &r.Results[0].Findings[i]
				}
			}
			if (want != nil) != tt.wantSingleH1 {
				t.Fatalf("Analyze reports seo.single_h1: %v, want %v", want != nil, tt.wantSingleH1)
			}
			if want != nil {
				if f := h.Findings[1]; f.Severity != want.Severity || f.Message != want.Message {
					t.Errorf("seo.single_h1: got %s %q, want %s %q", f.Severity, f.Message, want.Severity, want.Message)
				}
			}
		})
	}
}
