package suggest

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/analyze"
)

// Heading bounds: Copydesk's own (the analysis engine has no heading
// length assessment). A subheading says what its section is about in a
// few words.
const (
	headingMinWords = 2
	headingMaxWords = 12
	headingMaxChars = 80
)

// Title is a suggested SEO title, scored by the local engine as an
// analysis of the page with this title would score it.
type Title struct {
	Text string `json:"text"`
	// WidthPx is its width as search results render it; Chars its length.
	WidthPx int `json:"width_px"`
	Chars   int `json:"chars"`
	// Fits is set when WidthPx is within the engine's band
	// (analyze.TitleMinPixels to analyze.TitleMaxPixels).
	Fits bool `json:"fits"`
	// KeyphraseAtStart and Keyphrase say whether the title starts with
	// the exact keyphrase and whether it contains its words at all
	// (both false without a keyphrase).
	KeyphraseAtStart bool `json:"keyphrase_at_start"`
	Keyphrase        bool `json:"keyphrase"`
	// Score is 0-100, the engine's SEO formula over the checks below.
	Score int `json:"score"`
	// Findings are the engine's findings: seo.title_width and, with a
	// keyphrase, seo.keyphrase_in_title.
	Findings []analyze.Finding `json:"findings"`
}

// MetaDescription is a suggested meta description, scored by the local
// engine as an analysis of the page with it would score it.
type MetaDescription struct {
	Text  string `json:"text"`
	Chars int    `json:"chars"`
	// Fits is set when Chars is within the engine's band
	// (analyze.MetaDescriptionMinChars to analyze.MetaDescriptionMaxChars).
	Fits bool `json:"fits"`
	// KeyphraseCount is how often the keyphrase occurs in it.
	KeyphraseCount int `json:"keyphrase_count"`
	// Score is 0-100, the engine's SEO formula over the checks below.
	Score int `json:"score"`
	// Findings are seo.meta_description_length and, with a keyphrase,
	// seo.keyphrase_in_meta_description.
	Findings []analyze.Finding `json:"findings"`
}

// Heading is a suggested heading.
type Heading struct {
	Level int    `json:"level"`
	Text  string `json:"text"`
	Words int    `json:"words"`
	Chars int    `json:"chars"`
	// Fits is set when the heading has 2-12 words and at most 80
	// characters, and is not an H1 on a page that has one already.
	Fits bool `json:"fits"`
	// Keyphrase is set when the keyphrase occurs in an H2 or H3, as the
	// engine's seo.keyphrase_in_subheadings assessment counts it (which
	// looks at no other level).
	Keyphrase bool `json:"keyphrase"`
	// Score is 0-100 over the checks below.
	Score int `json:"score"`
	// Findings are suggest.heading_length; for an H1 on a page that has
	// one, the engine's seo.single_h1 of the page with it added; for an
	// H2 or H3, with a keyphrase, suggest.heading_keyphrase.
	Findings []analyze.Finding `json:"findings"`
}

// Keyphrase is a suggested focus keyphrase.
type Keyphrase struct {
	Text string `json:"text"`
	// Words is its length in content words (function words left out), as
	// the engine's seo.keyphrase_length assessment counts it.
	Words int `json:"words"`
	// Occurrences is how often it occurs in the page's text and headings,
	// as the engine counts the focus keyphrase (figure keyphrase_count:
	// per sentence, summed).
	Occurrences int `json:"occurrences"`
	// Fits is set for 1-4 content words, the engine's good keyphrase
	// length.
	Fits bool `json:"fits"`
}

// scorer re-scores suggestions for one page.
type scorer struct {
	lang      string
	keyphrase string
	current   []string // normalized current title and meta description
	doc       *analyze.Doc
}

// score applies the engine's formula: points over 9 per check, as a
// percentage, clamped to 0-100.
func score(checks []analyze.Check) (int, []analyze.Finding) {
	if len(checks) == 0 {
		return 0, []analyze.Finding{}
	}
	pts := 0
	fs := make([]analyze.Finding, len(checks))
	for i, c := range checks {
		pts += c.Points
		fs[i] = c.Finding
	}
	s := int(math.Round(float64(pts) * 100 / float64(9*len(checks))))
	return max(0, min(100, s)), fs
}

// texts sanitizes list and drops empty ones, duplicates (case and space
// insensitive) and those equal to a current text.
func (s *scorer) texts(list []string) []string {
	seen := map[string]bool{}
	for _, c := range s.current {
		seen[c] = true
	}
	var out []string
	for _, t := range list {
		t = plainText(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}

func (s *scorer) titles(list []string, n int) []Title {
	out := []Title{}
	for _, t := range s.texts(list) {
		checks := []analyze.Check{analyze.CheckTitleWidth(t)}
		ti := Title{Text: t, WidthPx: analyze.TitleWidth(t), Chars: utf8.RuneCountInString(t)}
		ti.Fits = ti.WidthPx >= analyze.TitleMinPixels && ti.WidthPx <= analyze.TitleMaxPixels
		if c, ok := analyze.CheckKeyphraseInTitle(t, s.keyphrase, s.lang); ok {
			checks = append(checks, c)
			ti.KeyphraseAtStart = c.Points >= 8
			ti.Keyphrase = analyze.KeyphraseCount(t, s.keyphrase, nil, s.lang) > 0
		}
		ti.Score, ti.Findings = score(checks)
		out = append(out, ti)
	}
	slices.SortStableFunc(out, func(a, b Title) int { return better(a.Score, b.Score, a.Fits, b.Fits) })
	return out[:min(n, len(out))]
}

func (s *scorer) metaDescriptions(list []string, n int) []MetaDescription {
	out := []MetaDescription{}
	for _, t := range s.texts(list) {
		checks := []analyze.Check{analyze.CheckMetaDescriptionLength(t)}
		m := MetaDescription{Text: t, Chars: analyze.MetaDescriptionChars(t)}
		m.Fits = m.Chars >= analyze.MetaDescriptionMinChars && m.Chars <= analyze.MetaDescriptionMaxChars
		if c, ok := analyze.CheckKeyphraseInMetaDescription(t, s.keyphrase, nil, s.lang); ok {
			checks = append(checks, c)
			m.KeyphraseCount = analyze.KeyphraseCount(t, s.keyphrase, nil, s.lang)
		}
		m.Score, m.Findings = score(checks)
		out = append(out, m)
	}
	slices.SortStableFunc(out, func(a, b MetaDescription) int { return better(a.Score, b.Score, a.Fits, b.Fits) })
	return out[:min(n, len(out))]
}

func (s *scorer) headings(list []answerHeading, n int) []Heading {
	out := []Heading{}
	seen := map[string]bool{}
	for _, h := range list {
		t := plainText(h.Text)
		k := strings.ToLower(t)
		if t == "" || seen[k] || h.Level < 1 || h.Level > 6 {
			continue
		}
		seen[k] = true
		hd := Heading{Level: h.Level, Text: t, Words: len(strings.Fields(t)), Chars: utf8.RuneCountInString(t)}
		hd.Fits = hd.Words >= headingMinWords && hd.Words <= headingMaxWords && hd.Chars <= headingMaxChars
		var checks []analyze.Check
		if hd.Fits {
			checks = append(checks, localCheck("suggest.heading_length", 9, "The heading has "+itoa(hd.Words)+" words, a good length."))
		} else if hd.Words < headingMinWords {
			checks = append(checks, localCheck("suggest.heading_length", 5, "The heading has "+itoa(hd.Words)+" word; say in a few words what the section is about."))
		} else {
			checks = append(checks, localCheck("suggest.heading_length", 5, "The heading has "+itoa(hd.Words)+" words and "+itoa(hd.Chars)+" characters; keep it to "+itoa(headingMaxWords)+" words and "+itoa(headingMaxChars)+" characters."))
		}
		// An H1 added to a page that has one is a second H1: the engine's
		// seo.single_h1 problem.
		if hd.Level == 1 {
			if c, ok := analyze.CheckSingleH1(s.doc.H1Count + 1); ok {
				hd.Fits = false
				checks = append(checks, c)
			}
		}
		// The engine looks for the keyphrase in H2 and H3 subheadings only.
		if hd.Level >= 2 && hd.Level <= 3 && strings.TrimSpace(s.keyphrase) != "" {
			if analyze.KeyphraseCount(t, s.keyphrase, nil, s.lang) > 0 {
				hd.Keyphrase = true
				checks = append(checks, localCheck("suggest.heading_keyphrase", 9, "The heading contains the keyphrase."))
			} else {
				checks = append(checks, localCheck("suggest.heading_keyphrase", 5, "The heading does not contain the keyphrase; use it in some of the subheadings."))
			}
		}
		hd.Score, hd.Findings = score(checks)
		out = append(out, hd)
	}
	slices.SortStableFunc(out, func(a, b Heading) int { return better(a.Score, b.Score, a.Fits, b.Fits) })
	return out[:min(n, len(out))]
}

func (s *scorer) keyphrases(list []string, n int) []Keyphrase {
	out := []Keyphrase{}
	seen := map[string]bool{strings.ToLower(oneLine(s.keyphrase)): true}
	for _, t := range list {
		t = plainText(t)
		k := strings.ToLower(t)
		if t == "" || seen[k] {
			continue
		}
		seen[k] = true
		kp := Keyphrase{Text: t, Words: analyze.KeyphraseWords(t, s.lang), Occurrences: analyze.DocKeyphraseCount(s.doc, t)}
		kp.Fits = kp.Words >= 1 && kp.Words <= analyze.KeyphraseMaxWords
		out = append(out, kp)
	}
	// A keyphrase of a good length first, then the one the page uses most.
	slices.SortStableFunc(out, func(a, b Keyphrase) int {
		if a.Fits != b.Fits {
			return better(0, 0, a.Fits, b.Fits)
		}
		return b.Occurrences - a.Occurrences
	})
	return out[:min(n, len(out))]
}

// better orders suggestions best first: the higher score, then those that
// fit the band; ties keep the model's order.
func better(scoreA, scoreB int, fitsA, fitsB bool) int {
	if scoreA != scoreB {
		return scoreB - scoreA
	}
	switch {
	case fitsA == fitsB:
		return 0
	case fitsA:
		return -1
	}
	return 1
}

func localCheck(rule string, points int, msg string) analyze.Check {
	sev := analyze.SeverityGood
	switch {
	case points < 5:
		sev = analyze.SeverityProblem
	case points < 8:
		sev = analyze.SeverityWarning
	}
	return analyze.Check{Points: points, Finding: analyze.Finding{Rule: rule, Severity: sev, Message: msg, Source: "local"}}
}

func itoa(n int) string { return strconv.Itoa(n) }
