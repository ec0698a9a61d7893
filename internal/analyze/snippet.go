package analyze

import (
	"strings"
	"unicode/utf8"
)

// Bands of the search-result snippet, as the SEO analysis assesses them.
const (
	// TitleMinPixels and TitleMaxPixels bound a good SEO title's width, as
	// TitleWidth measures it.
	TitleMinPixels = titleMinPixels
	TitleMaxPixels = titleMaxPixels
	// MetaDescriptionMinChars and MetaDescriptionMaxChars bound a good meta
	// description's length in characters (Unicode code points).
	MetaDescriptionMinChars = metaDescMin
	MetaDescriptionMaxChars = metaDescMax
)

// Check is one scored assessment of the SEO analysis on its own: the points
// it adds to the SEO score (0 to 9; 8 and up is good, 5 to 7 a warning, 4
// and below a problem) and the finding the analysis reports for it. The
// Check* functions give, for a title or meta description alone, exactly the
// finding Analyze reports for a page with that title or meta description.
type Check struct {
	Points  int     `json:"points"`
	Finding Finding `json:"finding"`
}

func check(rule string, points int, msg string) Check {
	return Check{Points: points, Finding: Finding{Rule: rule, Severity: severityOf(points), Message: msg, Source: "local"}}
}

// TitleWidth is the width of an SEO title in pixels as search results render
// it (Arial at 20 px), as the SEO analysis measures it. Surrounding space is
// not counted.
func TitleWidth(title string) int { return titleWidth(strings.TrimSpace(title)) }

// MetaDescriptionChars is the length of a meta description in characters as
// the SEO analysis counts it. Surrounding space is not counted.
func MetaDescriptionChars(meta string) int {
	return utf8.RuneCountInString(strings.TrimSpace(meta))
}

// CheckTitleWidth assesses the width of an SEO title (rule
// "seo.title_width"), with an English message.
func CheckTitleWidth(title string) Check { return checkTitleWidth(locEN, title) }

// checkTitleWidth: no title 1 point, up to 400 px 9 (short titles are fine,
// as in Yoast's SEO analysis), up to 600 px 9, wider 3.
func checkTitleWidth(l locale, title string) Check {
	title = strings.TrimSpace(title)
	if title == "" {
		return check("seo.title_width", 1, l.msg(mSeoTitleNone))
	}
	px := titleWidth(title)
	switch {
	case px < titleMinPixels:
		return check("seo.title_width", 9, l.msg(mSeoTitleShort, itoa(px), itoa(titleMinPixels)))
	case px > titleMaxPixels:
		return check("seo.title_width", 3, l.msg(mSeoTitleLong, itoa(px), itoa(titleMaxPixels)))
	}
	return check("seo.title_width", 9, l.msg(mSeoTitleGood, itoa(px), itoa(titleMinPixels), itoa(titleMaxPixels)))
}

// CheckMetaDescriptionLength assesses the length of a meta description
// (rule "seo.meta_description_length"), with an English message.
func CheckMetaDescriptionLength(meta string) Check { return checkMetaDescriptionLength(locEN, meta) }

func checkMetaDescriptionLength(l locale, meta string) Check {
	n := MetaDescriptionChars(meta)
	switch {
	case n == 0:
		return check("seo.meta_description_length", 1, l.msg(mSeoMetaNone))
	case n <= metaDescMin:
		return check("seo.meta_description_length", 6, l.msg(mSeoMetaShort, itoa(n), itoa(metaDescMin)))
	case n > metaDescMax:
		return check("seo.meta_description_length", 6, l.msg(mSeoMetaLong, itoa(n), itoa(metaDescMax)))
	}
	return check("seo.meta_description_length", 9, l.msg(mSeoMetaGood, itoa(n)))
}

// CheckKeyphraseInTitle assesses the use of the keyphrase in an SEO title
// (rule "seo.keyphrase_in_title") for content in language (an ISO 639-1
// code), with an English message. ok is false when the analysis makes no
// such assessment: an empty title, or a keyphrase without words.
func CheckKeyphraseInTitle(title, keyphrase, language string) (c Check, ok bool) {
	return checkKeyphraseInTitle(locEN, title, newPhrase(language, strings.TrimSpace(keyphrase)), language)
}

func checkKeyphraseInTitle(l locale, title string, kp phrase, language string) (c Check, ok bool) {
	title = strings.TrimSpace(title)
	if title == "" || len(kp.content) == 0 {
		return Check{}, false
	}
	tw := wordsOf(title, nil)
	at := exactAt(kp, tw)
	n, _ := occurrences(kp, tw, nil)
	switch {
	case at == 0 || at > 0 && allFunctionWords(language, tw[:at]):
		return check("seo.keyphrase_in_title", 9, l.msg(mSeoTitleKeyStart)), true
	case at > 0:
		return check("seo.keyphrase_in_title", 6, l.msg(mSeoTitleKeyElsewhere)), true
	case n > 0:
		return check("seo.keyphrase_in_title", 6, l.msg(mSeoTitleKeyWords)), true
	}
	return check("seo.keyphrase_in_title", 2, l.msg(mSeoTitleKeyNone)), true
}

// CheckKeyphraseInMetaDescription assesses the use of the keyphrase (or
// its synonyms) in a meta description (rule
// "seo.keyphrase_in_meta_description"), with an English message. ok is
// false when the analysis makes no such assessment: an empty meta
// description, or a keyphrase without words.
func CheckKeyphraseInMetaDescription(meta, keyphrase string, synonyms []string, language string) (c Check, ok bool) {
	meta = strings.TrimSpace(meta)
	if meta == "" || len(newPhrase(language, strings.TrimSpace(keyphrase)).content) == 0 {
		return Check{}, false
	}
	return checkKeyphraseInMeta(locEN, KeyphraseCount(meta, keyphrase, synonyms, language)), true
}

func checkKeyphraseInMeta(l locale, n int) Check {
	switch {
	case n == 0:
		return check("seo.keyphrase_in_meta_description", 3, l.msg(mSeoMetaKeyNone))
	case n <= 2:
		return check("seo.keyphrase_in_meta_description", 9, l.msg(mSeoMetaKeyGood))
	}
	return check("seo.keyphrase_in_meta_description", 3, l.msg(mSeoMetaKeyTooMany, itoa(n)))
}

// KeyphraseCount is how often the keyphrase and its synonyms occur in text
// as the SEO analysis counts them in titles, meta descriptions and
// subheadings: per phrase, the smallest count of any of its content words,
// summed over the phrases. Inflected forms (plural endings) match.
func KeyphraseCount(text, keyphrase string, synonyms []string, language string) int {
	words := wordsOf(text, nil)
	total := 0
	for i, s := range append([]string{keyphrase}, synonyms...) {
		p := newPhrase(language, strings.TrimSpace(s))
		if len(p.words) == 0 {
			if i == 0 {
				return 0
			}
			continue
		}
		n, _ := occurrences(p, words, nil)
		total += n
	}
	return total
}

// KeyphraseMaxWords is the most content words a keyphrase of a good
// length has (rule "seo.keyphrase_length"); one is the least.
const KeyphraseMaxWords = keyphraseMaxGood

// KeyphraseWords is the length of a keyphrase as the SEO analysis counts
// it (rule "seo.keyphrase_length", figure "keyphrase_words"): its content
// words, the function words of language left out — or all its words when
// it has only function words. A keyphrase without words has 0.
func KeyphraseWords(keyphrase, language string) int {
	return len(newPhrase(language, strings.TrimSpace(keyphrase)).content)
}

// DocKeyphraseCount is how often keyphrase occurs in the text and headings
// of d as the SEO analysis counts the focus keyphrase (figure
// "keyphrase_count", the basis of "seo.keyphrase_density"): per sentence,
// the smallest count of any of its content words, summed over the
// sentences of every block.
func DocKeyphraseCount(d *Doc, keyphrase string) int {
	kp := newPhrase(d.Language, strings.TrimSpace(keyphrase))
	if len(kp.words) == 0 {
		return 0
	}
	count := 0
	for bi := range d.Blocks {
		for si := range d.Blocks[bi].Sentences {
			c, _ := occurrences(kp, d.Blocks[bi].Sentences[si].Words, nil)
			count += c
		}
	}
	return count
}

// CheckSingleH1 assesses the number of H1 headings of a page (rule
// "seo.single_h1"), with an English message. ok is false when the page has
// at most one H1: Analyze reports that as a good finding, which a snippet
// check has no use for.
func CheckSingleH1(h1Count int) (c Check, ok bool) {
	if h1Count <= 1 {
		return Check{}, false
	}
	return checkSingleH1(locEN, h1Count), true
}

// checkSingleH1: at most one H1 8 points, more 1.
func checkSingleH1(l locale, h1Count int) Check {
	if h1Count <= 1 {
		return check("seo.single_h1", 8, l.msg(mSeoSingleH1Good))
	}
	return check("seo.single_h1", 1, l.msg(mSeoSingleH1Bad, itoa(h1Count)))
}
