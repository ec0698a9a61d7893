package analyze

import (
	"strings"
	"testing"
)

func TestTitleWidth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"iiii", 18},  // 4*222*20/1000 = 17.76
		{"WWW", 57},   // 3*944*20/1000 = 56.64
		{"Hello", 46}, // (722+556+222+222+556)*20/1000 = 45.56
		{"é", 11},     // as e: 556*20/1000 = 11.12
		{"日", 11},     // unknown: as a lower-case letter
		{"Cold Brew Coffee: A Complete Guide to Brewing at Home", 512},
	}
	for _, tt := range tests {
		if got := titleWidth(tt.in); got != tt.want {
			t.Errorf("titleWidth(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestRecommendedCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		words   int
		density float64
		isMin   bool
		want    int
	}{
		{1000, 0.5, true, 5},
		{1000, 3, false, 30},
		{100, 0.5, true, 2}, // 0.5 rounds up to the floor of 2
		{250, 3, false, 7},  // 7.5 rounds down
		{333, 0.5, true, 2}, // 1.665
		{500, 0.5, true, 3}, // 2.5 rounds up
	}
	for _, tt := range tests {
		if got := recommendedCount(tt.words, tt.density, tt.isMin); got != tt.want {
			t.Errorf("recommendedCount(%d, %v, %v): got %d, want %d", tt.words, tt.density, tt.isMin, got, tt.want)
		}
	}
}

func TestWordMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		w, kw string
		want  bool
	}{
		{"coffee", "coffee", true},
		{"coffees", "coffee", false}, // exact forms only, as Yoast without morphology
		{"boxes", "box", false},
		{"fietsen", "fiets", false},
		{"coffee's", "coffee", false},
		{"l'installateur", "installateur", true}, // after an elided article
		{"dell’utente", "utente", true},
		{"coffeehouse", "coffee", false},
		{"as", "a", false}, // short keywords match exactly only
		{"cat", "coffee", false},
	}
	for _, tt := range tests {
		if got := wordMatches(tt.w, tt.kw); got != tt.want {
			t.Errorf("wordMatches(%q, %q): got %v, want %v", tt.w, tt.kw, got, tt.want)
		}
	}
}

// textWith returns English text of n words of which k are "coffee", in
// sentences of ten words.
func textWith(n, k int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		w := "alpha"
		if i < k {
			w = "coffee"
		}
		if i%10 == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		sb.WriteString(w)
		if i%10 == 9 {
			sb.WriteString(". ")
		} else {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

func TestKeyphraseDensity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k        int
		severity Severity
		msg      string
	}{
		{0, SeverityProblem, "not found in the text"},
		{1, SeverityProblem, "fewer than the recommended minimum of 2"},
		// A one-word keyphrase weighs 0.7 + 1/3: 5 matches in 200 words
		// are 2.6 %, 6 are 3.1 % (more than 3), 8 are 4.1 % (more than 4).
		{2, SeverityGood, "density 1%"},
		{5, SeverityGood, "density 2.5%"},
		{6, SeverityProblem, "more than the recommended maximum of 5"},
		{7, SeverityProblem, "more than the recommended maximum of 5"},
		{8, SeverityProblem, "far more than"},
	}
	for _, tt := range tests {
		t.Run(itoa(tt.k), func(t *testing.T) {
			t.Parallel()
			d := MustParse(t, Input{Content: textWith(200, tt.k), Language: "en", Keyphrase: "coffee"})
			f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_density")
			if f.Severity != tt.severity || !strings.Contains(f.Message, tt.msg) {
				t.Errorf("got %s %q, want %s containing %q", f.Severity, f.Message, tt.severity, tt.msg)
			}
			if tt.k > 0 && len(f.Spans) != tt.k {
				t.Errorf("got %d spans, want %d", len(f.Spans), tt.k)
			}
		})
	}
	// Under 100 words one or two matches are good (two from 51 words), more
	// are too many.
	for _, tt := range []struct {
		words, k int
		severity Severity
	}{{99, 2, SeverityGood}, {99, 3, SeverityProblem}, {50, 2, SeverityProblem}, {50, 1, SeverityGood}, {50, 0, SeverityProblem}} {
		d := MustParse(t, Input{Content: textWith(tt.words, tt.k), Language: "en", Keyphrase: "coffee"})
		if f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_density"); f.Severity != tt.severity {
			t.Errorf("%d of %d words: got %s, want %s", tt.k, tt.words, f.Severity, tt.severity)
		}
	}
}

func TestSEOKeyphrasePlacement(t *testing.T) {
	t.Parallel()
	titles := []struct {
		title, keyphrase string
		severity         Severity
	}{
		{"Coffee guide for beginners", "coffee", SeverityGood},
		{"A coffee guide", "coffee", SeverityGood}, // function words before it do not count
		{"Brewing coffee guide", "coffee", SeverityWarning},
		{"Brew it cold", "cold brew", SeverityWarning},
		{"Tea guide", "coffee", SeverityProblem},
	}
	for _, tt := range titles {
		d := MustParse(t, Input{Content: "Some text.", Language: "en", Title: tt.title, Keyphrase: tt.keyphrase})
		if f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_in_title"); f.Severity != tt.severity {
			t.Errorf("title %q, keyphrase %q: got %s, want %s", tt.title, tt.keyphrase, f.Severity, tt.severity)
		}
	}
	intro := []struct {
		content  string
		severity Severity
	}{
		{"Cold brew is easy. You need time.", SeverityGood},
		{"Brew it slowly. Keep it cold.", SeverityWarning},
		{"Tea is nice.\n\nCold brew is easy.", SeverityProblem},
	}
	for _, tt := range intro {
		d := MustParse(t, Input{Content: tt.content, Language: "en", Keyphrase: "cold brew"})
		if f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_in_introduction"); f.Severity != tt.severity {
			t.Errorf("intro %q: got %s, want %s", tt.content, f.Severity, tt.severity)
		}
	}
	metas := []struct {
		meta     string
		severity Severity
	}{
		{"All about coffee.", SeverityGood},
		{"Coffee, coffee and more coffee.", SeverityProblem},
		{"All about tea.", SeverityProblem},
	}
	for _, tt := range metas {
		d := MustParse(t, Input{Content: "x", Language: "en", MetaDescription: tt.meta, Keyphrase: "coffee"})
		if f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_in_meta_description"); f.Severity != tt.severity {
			t.Errorf("meta %q: got %s, want %s", tt.meta, f.Severity, tt.severity)
		}
	}
	slugs := []struct {
		slug     string
		severity Severity
	}{
		{"cold-brew-coffee-guide", SeverityGood},
		{"cold-coffee", SeverityGood}, // three content words: more than half is enough
		{"tea", SeverityWarning},      // Yoast's slug check is never red once there is a slug
	}
	for _, tt := range slugs {
		d := MustParse(t, Input{Content: "x", Language: "en", Slug: tt.slug, Keyphrase: "cold brew coffee"})
		if f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_in_slug"); f.Severity != tt.severity {
			t.Errorf("slug %q: got %s, want %s", tt.slug, f.Severity, tt.severity)
		}
	}
	// The slug falls back to the canonical URL's last path segment.
	d := MustParse(t, Input{Content: `<link rel="canonical" href="https://e.com/a/cold-brew-coffee/"><p>x</p>`, Format: FormatHTML, Language: "en", Keyphrase: "cold brew coffee"})
	if f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_in_slug"); f.Severity != SeverityGood {
		t.Errorf("canonical slug: got %s, want good", f.Severity)
	}
}

func TestSEOLinksImagesHeadings(t *testing.T) {
	t.Parallel()
	page := `<link rel="canonical" href="https://shop.example/koffie">
<h1>Koffie</h1><h1>Nog een</h1>
<h2>Over koffie</h2><p>Tekst met <a href="/thee">koffie</a> en <a href="https://other.example/" rel="nofollow">elders</a>.</p>
<h2>Bonen</h2><h3>Malen</h3>
<img src="a.jpg" alt="Koffiebonen"><img src="b.jpg" alt="Een kop koffie"><img src="c.jpg">`
	d := MustParse(t, Input{Content: page, Format: FormatHTML, Language: "nl", Keyphrase: "koffie"})
	r := Run(d, TypeSEO)
	want := map[string]Severity{
		"seo.single_h1":                SeverityProblem,
		"seo.internal_links":           SeverityGood,
		"seo.outbound_links":           SeverityWarning, // only nofollow
		"seo.images":                   SeverityGood,
		"seo.keyphrase_in_subheadings": SeverityGood, // 1 of 3 = 33 %
		"seo.image_alt":                SeverityGood, // 1 of 3 images, fewer than 5
		"seo.competing_links":          SeverityProblem,
		"seo.text_length":              SeverityProblem,
		"seo.meta_description_length":  SeverityProblem,
	}
	for rule, sev := range want {
		if f := findingOf(t, r, rule); f.Severity != sev {
			t.Errorf("%s: got %s (%s), want %s", rule, f.Severity, f.Message, sev)
		}
	}
	if f := findingOf(t, r, "seo.competing_links"); len(f.Spans) != 1 || page[f.Spans[0].Start:f.Spans[0].End] != `<a href="/thee">koffie</a>` {
		t.Errorf("competing link spans %v", f.Spans)
	}
	if r.Figures["subheadings_with_keyphrase_pct"] != 33.3 {
		t.Errorf("got subheadings_with_keyphrase_pct %v, want 33.3", r.Figures["subheadings_with_keyphrase_pct"])
	}
	// No keyphrase: a red keyphrase finding and no keyphrase checks.
	d = MustParse(t, Input{Content: page, Format: FormatHTML, Language: "nl"})
	r = Run(d, TypeSEO)
	if f := findingOf(t, r, "seo.keyphrase_length"); f.Severity != SeverityProblem {
		t.Errorf("no keyphrase: got %s, want problem", f.Severity)
	}
	if hasFinding(r, "seo.keyphrase_in_subheadings") {
		t.Error("keyphrase checks ran without a keyphrase")
	}
	// Plain text cannot hold links or images; it is not judged on them.
	r = Run(MustParse(t, Input{Content: "Plain text without links.", Language: "en"}), TypeSEO)
	for _, rule := range []string{"seo.internal_links", "seo.outbound_links", "seo.images"} {
		if hasFinding(r, rule) {
			t.Errorf("plain text got a %s finding", rule)
		}
	}
}

func TestSEOLengths(t *testing.T) {
	t.Parallel()
	metas := []struct {
		n        int
		severity Severity
	}{{0, SeverityProblem}, {119, SeverityWarning}, {120, SeverityWarning}, {121, SeverityGood}, {156, SeverityGood}, {157, SeverityWarning}}
	for _, tt := range metas {
		d := MustParse(t, Input{Content: "x", Language: "en", MetaDescription: strings.Repeat("é", tt.n)})
		if f := findingOf(t, Run(d, TypeSEO), "seo.meta_description_length"); f.Severity != tt.severity {
			t.Errorf("meta of %d characters: got %s, want %s", tt.n, f.Severity, tt.severity)
		}
	}
	// "i" is 4.44 px wide: 90 of them 400 px, 135 of them 599 px, 136 of them 604 px.
	titles := []struct {
		n        int
		severity Severity
	}{{89, SeverityGood}, {90, SeverityGood}, {135, SeverityGood}, {136, SeverityProblem}} // short titles are fine
	for _, tt := range titles {
		d := MustParse(t, Input{Content: "x", Language: "en", Title: strings.Repeat("i", tt.n)})
		if f := findingOf(t, Run(d, TypeSEO), "seo.title_width"); f.Severity != tt.severity {
			t.Errorf("title of %d px: got %s, want %s", titleWidth(strings.Repeat("i", tt.n)), f.Severity, tt.severity)
		}
	}
	lengths := []struct {
		n        int
		severity Severity
	}{{300, SeverityGood}, {299, SeverityWarning}, {250, SeverityWarning}, {249, SeverityProblem}, {99, SeverityProblem}}
	for _, tt := range lengths {
		d := MustParse(t, Input{Content: textWith(tt.n, 0), Language: "en"})
		if f := findingOf(t, Run(d, TypeSEO), "seo.text_length"); f.Severity != tt.severity {
			t.Errorf("text of %d words: got %s, want %s", tt.n, f.Severity, tt.severity)
		}
	}
	kps := []struct {
		kp       string
		severity Severity
	}{{"coffee", SeverityGood}, {"the finest cold brew coffee beans", SeverityWarning}, {"one two three four five six seven eight nine", SeverityProblem}}
	for _, tt := range kps {
		d := MustParse(t, Input{Content: "x", Language: "en", Keyphrase: tt.kp})
		if f := findingOf(t, Run(d, TypeSEO), "seo.keyphrase_length"); f.Severity != tt.severity {
			t.Errorf("keyphrase %q: got %s, want %s", tt.kp, f.Severity, tt.severity)
		}
	}
}
