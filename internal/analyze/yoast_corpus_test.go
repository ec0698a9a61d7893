package analyze

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The Yoast corpus: real pages in the seven languages (testdata/yoast/pages,
// sources and licences in DATA-LICENSES.md) with the figures Yoast SEO's
// yoastseo 3.6.0 gave for them (testdata/yoast/reference.json, produced once
// outside the repository; see testdata/yoast/README.md). The test compares
// the engine with those stored facts; Yoast is not run at test time.

// yoastRef is one page's reference figures.
type yoastRef struct {
	Words            int            `json:"words"`
	Flesch           float64        `json:"flesch"`
	Sentences        int            `json:"sentences"`
	LongSentencePct  float64        `json:"long_sentence_pct"`
	PassivePct       float64        `json:"passive_pct"`
	TransitionPct    float64        `json:"transition_pct"`
	ReadabilityScore int            `json:"readability_score"`
	SEOScore         int            `json:"seo_score"`
	Checks           map[string]int `json:"checks"`
}

// yoastPageMeta is what an editor sets for a page besides its text.
type yoastPageMeta struct {
	Language        string `json:"language"`
	Title           string `json:"title"`
	MetaDescription string `json:"meta_description"`
	Keyphrase       string `json:"keyphrase"`
	Slug            string `json:"slug"`
	Source          string `json:"source"`
	Licence         string `json:"licence"`
}

// yoastChecks maps Yoast's assessment identifiers to our rule ids.
var yoastChecks = map[string]string{
	"readability:subheadingsTooLong":     "readability.subheading_distribution",
	"readability:textParagraphTooLong":   "readability.paragraph_length",
	"readability:textSentenceLength":     "readability.sentence_length",
	"readability:textTransitionWords":    "readability.transition_words",
	"readability:passiveVoice":           "readability.passive_voice",
	"readability:textPresence":           "readability.text_presence",
	"readability:sentenceBeginnings":     "readability.consecutive_sentences",
	"seo:introductionKeyword":            "seo.keyphrase_in_introduction",
	"seo:keyphraseLength":                "seo.keyphrase_length",
	"seo:keyphraseDensity":               "seo.keyphrase_density",
	"seo:metaDescriptionKeyword":         "seo.keyphrase_in_meta_description",
	"seo:metaDescriptionLength":          "seo.meta_description_length",
	"seo:subheadingsKeyword":             "seo.keyphrase_in_subheadings",
	"seo:textCompetingLinks":             "seo.competing_links",
	"seo:imageKeyphrase":                 "seo.image_alt",
	"seo:images":                         "seo.images",
	"seo:textLength":                     "seo.text_length",
	"seo:externalLinks":                  "seo.outbound_links",
	"seo:keyphraseInSEOTitle":            "seo.keyphrase_in_title",
	"seo:internalLinks":                  "seo.internal_links",
	"seo:titleWidth":                     "seo.title_width",
	"seo:slugKeyword":                    "seo.keyphrase_in_slug",
	"seo:singleH1":                       "seo.single_h1",
	"seo:functionWordsInKeyphrase":       "seo.keyphrase_function_words",
	"readability:fleschReadingEase":      "readability.flesch_reading_ease",
	"readability:textAlignment":          "readability.text_alignment",
	"readability:listsPresence":          "readability.lists",
	"readability:wordComplexity":         "readability.word_complexity",
	"readability:sentenceLengthInText":   "readability.sentence_length",
	"readability:subheadingDistribution": "readability.subheading_distribution",
}

// yoastLight is the traffic light Yoast shows for an assessment score.
func yoastLight(score int) Severity {
	switch {
	case score > 7:
		return SeverityGood
	case score > 4:
		return SeverityWarning
	}
	return SeverityProblem
}

// yoastLabel labels an overall Yoast score (readability 30/60/90, SEO 0-100)
// as its bullet: above 70 good, above 40 ok, else poor.
func yoastLabel(score int) string {
	switch {
	case score > 70:
		return LabelGood
	case score > 40:
		return LabelOK
	}
	return LabelPoor
}

// yoastCorpusPage is one page with its input, reference and our report.
type yoastCorpusPage struct {
	name string
	meta yoastPageMeta
	ref  yoastRef
	in   Input
}

// MustYoastCorpus reads the corpus pages and their reference figures from
// dir (testdata/yoast or testdata/yoast/heldout).
func MustYoastCorpus(tb testing.TB, dir string) []yoastCorpusPage {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var refs map[string]yoastRef
	if err := json.Unmarshal(b, &refs); err != nil {
		tb.Fatal(err)
	}
	var pages []yoastCorpusPage
	for name, ref := range refs {
		html, err := os.ReadFile(filepath.Join(dir, "pages", name))
		if err != nil {
			tb.Fatal(err)
		}
		mb, err := os.ReadFile(filepath.Join(dir, "pages", strings.TrimSuffix(name, ".html")+".json"))
		if err != nil {
			tb.Fatal(err)
		}
		var m yoastPageMeta
		if err := json.Unmarshal(mb, &m); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		if m.Source == "" || m.Licence == "" {
			tb.Fatalf("%s: source and licence must be recorded", name)
		}
		pages = append(pages, yoastCorpusPage{name: name, meta: m, ref: ref, in: Input{
			Content: string(html), Format: FormatHTML, Language: m.Language, Keyphrase: m.Keyphrase,
			Title: m.Title, MetaDescription: m.MetaDescription, Slug: m.Slug,
			Types: []Type{TypeReadability, TypeSEO},
		}})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].name < pages[j].name })
	return pages
}

// yoastLangStats accumulates one language's agreement figures.
type yoastLangStats struct {
	pages                                  int
	flesch, long, passive, transition      []float64 // |Δ| per page
	readLabel, seoLabel, checks, checksAll int
	checkMiss                              map[string]int
}

func meanMax(xs []float64) (mean, mx float64) {
	for _, x := range xs {
		mean += x
		mx = math.Max(mx, x)
	}
	if len(xs) > 0 {
		mean /= float64(len(xs))
	}
	return mean, mx
}

// TestYoastCorpus compares every figure the engine shares with Yoast SEO
// 3.6 against the stored reference and prints a table per language
// (go test -run TestYoastCorpus -v ./internal/analyze). It fails when a
// language falls below the agreement the engine promises (README.md).
func TestYoastCorpus(t *testing.T) {
	table, failures := yoastAgreement(t, filepath.Join("testdata", "yoast"), 8)
	t.Log("\nThe corpus (testdata/yoast):" + table)
	for _, f := range failures {
		t.Error(f)
	}
	// The second set was measured after the corpus: its disagreements led
	// to the last round of changes (correlative connectors, the get-passive,
	// density weighted by keyphrase length, more function words). Reported,
	// not enforced.
	table, failures = yoastAgreement(t, filepath.Join("testdata", "yoast", "second"), 4)
	t.Log("\nSecond set (testdata/yoast/second):" + table)
	for _, f := range failures {
		t.Log("second set, not enforced: " + f)
	}
	// The held-out pages were never used to tune the word lists or rules:
	// their table shows how the agreement carries over to unseen text. It
	// is reported, not enforced (four pages per language are too few for
	// the promises, where one sentence moves a share by several points).
	table, failures = yoastAgreement(t, filepath.Join("testdata", "yoast", "heldout"), 4)
	t.Log("\nHeld-out pages (testdata/yoast/heldout):" + table)
	for _, f := range failures {
		t.Log("held-out, not enforced: " + f)
	}
}

// yoastAgreement compares the pages of dir with their reference and
// returns the table and the promises a language does not keep.
func yoastAgreement(t *testing.T, dir string, minPages int) (table string, failures []string) {
	t.Helper()
	pages := MustYoastCorpus(t, dir)
	stats := map[string]*yoastLangStats{}
	verbose := os.Getenv("YOAST_CORPUS_DETAIL") != ""
	for _, p := range pages {
		st := stats[p.meta.Language]
		if st == nil {
			st = &yoastLangStats{checkMiss: map[string]int{}}
			stats[p.meta.Language] = st
		}
		st.pages++
		r, err := Analyze(p.in)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		var read, seo *Result
		for i := range r.Results {
			switch r.Results[i].Type {
			case TypeReadability:
				read = &r.Results[i]
			case TypeSEO:
				seo = &r.Results[i]
			}
		}
		fig := read.Figures
		st.flesch = append(st.flesch, math.Abs(fig["flesch"]-p.ref.Flesch))
		st.long = append(st.long, math.Abs(fig["long_sentence_pct"]-p.ref.LongSentencePct))
		st.passive = append(st.passive, math.Abs(fig["passive_pct"]-p.ref.PassivePct))
		st.transition = append(st.transition, math.Abs(fig["transition_pct"]-p.ref.TransitionPct))
		if read.Label == yoastLabel(p.ref.ReadabilityScore) {
			st.readLabel++
		} else if verbose {
			t.Logf("%s: readability %s, Yoast %d", p.name, read.Label, p.ref.ReadabilityScore)
		}
		if seo.Label == yoastLabel(p.ref.SEOScore) {
			st.seoLabel++
		} else if verbose {
			t.Logf("%s: SEO %s (%d), Yoast %d", p.name, seo.Label, seo.Score, p.ref.SEOScore)
		}
		ours := map[string]Severity{}
		for _, res := range []*Result{read, seo} {
			for _, f := range res.Findings {
				if f.Severity != SeverityInfo {
					ours[f.Rule] = f.Severity
				}
			}
		}
		for id, score := range p.ref.Checks {
			rule, ok := yoastChecks[id]
			if !ok {
				t.Fatalf("%s: no rule for Yoast check %s", p.name, id)
			}
			st.checksAll++
			if ours[rule] == yoastLight(score) {
				st.checks++
			} else {
				st.checkMiss[rule]++
				if verbose {
					t.Logf("%s: %s %q, Yoast %d (%s)", p.name, rule, ours[rule], score, yoastLight(score))
				}
			}
		}
		if verbose {
			t.Logf("%s: words %v/%d sentences %v/%d", p.name, fig["words"], p.ref.Words, fig["sentences"], p.ref.Sentences)
			t.Logf("%s: flesch %.1f/%.1f long %.1f/%.1f passive %.1f/%.1f transition %.1f/%.1f", p.name,
				fig["flesch"], p.ref.Flesch, fig["long_sentence_pct"], p.ref.LongSentencePct,
				fig["passive_pct"], p.ref.PassivePct, fig["transition_pct"], p.ref.TransitionPct)
		}
	}

	var sb strings.Builder
	fmt.Fprintf(&sb, "\n| lang | pages | Flesch mean / max abs. diff | long-sentence share mean abs. diff | passive share mean abs. diff | transition share mean abs. diff | readability label | SEO label | traffic lights |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|---|---|---|\n")
	var all yoastLangStats
	all.checkMiss = map[string]int{}
	for _, lang := range SupportedLanguages {
		st := stats[lang]
		if st == nil {
			failures = append(failures, fmt.Sprintf("%s: no pages in the corpus", lang))
			continue
		}
		fm, fx := meanMax(st.flesch)
		lm, _ := meanMax(st.long)
		pm, _ := meanMax(st.passive)
		tm, _ := meanMax(st.transition)
		fmt.Fprintf(&sb, "| %s | %d | %.2f / %.1f | %.2f | %.2f | %.2f | %d/%d | %d/%d | %d/%d (%.1f %%) |\n", lang, st.pages, fm, fx, lm, pm, tm,
			st.readLabel, st.pages, st.seoLabel, st.pages, st.checks, st.checksAll, 100*float64(st.checks)/float64(st.checksAll))
		all.pages += st.pages
		all.flesch = append(all.flesch, st.flesch...)
		all.long = append(all.long, st.long...)
		all.passive = append(all.passive, st.passive...)
		all.transition = append(all.transition, st.transition...)
		all.readLabel += st.readLabel
		all.seoLabel += st.seoLabel
		all.checks += st.checks
		all.checksAll += st.checksAll
		for k, v := range st.checkMiss {
			all.checkMiss[k] += v
		}
		// The promises (README.md, "Agreement with Yoast SEO").
		switch {
		case st.pages < minPages:
			failures = append(failures, fmt.Sprintf("%s: %d pages, want at least %d", lang, st.pages, minPages))
		case fm > 1.5 || fx > 4:
			failures = append(failures, fmt.Sprintf("%s: Flesch mean |Δ| %.2f, max %.1f; want ≤ 1.5 and ≤ 4", lang, fm, fx))
		}
		for _, c := range []struct {
			name string
			mean float64
		}{{"long-sentence %", lm}, {"passive %", pm}, {"transition %", tm}} {
			if c.mean > 3 {
				failures = append(failures, fmt.Sprintf("%s: %s mean |Δ| %.2f, want ≤ 3", lang, c.name, c.mean))
			}
		}
		if 10*st.readLabel < 9*st.pages || 10*st.seoLabel < 9*st.pages {
			failures = append(failures, fmt.Sprintf("%s: labels agree on %d (readability) and %d (SEO) of %d pages, want ≥ 90 percent", lang, st.readLabel, st.seoLabel, st.pages))
		}
		if 100*st.checks < 95*st.checksAll {
			failures = append(failures, fmt.Sprintf("%s: traffic lights agree on %d of %d checks, want ≥ 95 percent", lang, st.checks, st.checksAll))
		}
	}
	fm, fx := meanMax(all.flesch)
	lm, _ := meanMax(all.long)
	pm, _ := meanMax(all.passive)
	tm, _ := meanMax(all.transition)
	fmt.Fprintf(&sb, "| all | %d | %.2f / %.1f | %.2f | %.2f | %.2f | %d/%d | %d/%d | %d/%d (%.1f %%) |\n", all.pages, fm, fx, lm, pm, tm,
		all.readLabel, all.pages, all.seoLabel, all.pages, all.checks, all.checksAll, 100*float64(all.checks)/float64(all.checksAll))
	var misses []string
	for k, v := range all.checkMiss {
		misses = append(misses, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(misses)
	fmt.Fprintf(&sb, "\ntraffic-light disagreements by rule: %s\n", strings.Join(misses, ", "))
	return sb.String(), failures
}
