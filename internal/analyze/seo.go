package analyze

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// SEO thresholds, as Yoast SEO's SEO assessments use them.
const (
	densityMinWords     = 100 // density is assessed from 100 words on
	densityMin          = 0.5 // % — below: too few
	densityMax          = 3.0 // % — up to: good
	densityOverMax      = 4.0 // % — up to: too many; above: way too many
	keyphraseMaxGood    = 4   // content words
	keyphraseMaxOK      = 8
	textLengthGood      = 300 // words
	textLengthOK        = 250
	textLengthBad       = 200
	textLengthVeryBad   = 100
	metaDescMin         = 120 // characters
	metaDescMax         = 156
	titleMinPixels      = 400
	titleMaxPixels      = 600
	subheadingKeyMinPct = 30.0
	subheadingKeyMaxPct = 75.0
	altManyImages       = 5 // from this many images the share with the keyphrase counts
	altMinPct           = 30.0
	altMaxPct           = 70.0
)

// phrase is a keyphrase or synonym prepared for matching.
type phrase struct {
	words   []string // all words, lower-cased
	content []string // content words (function words left out), or all if none is left
}

func newPhrase(lang, s string) phrase {
	s = strings.Trim(strings.TrimSpace(s), "\"“”")
	var p phrase
	var bounds [16][2]int
	for _, r := range splitWords(s, 0, len(s), bounds[:0]) {
		p.words = append(p.words, strings.ToLower(s[r[0]:r[1]]))
	}
	bit := langBit[lang]
	for _, w := range p.words {
		if functionWords[w]&bit == 0 {
			p.content = append(p.content, w)
		}
	}
	if len(p.content) == 0 {
		p.content = p.words
	}
	return p
}

// wordMatches reports whether a text word is a form of keyphrase word kw:
// the same, or kw with a plural or inflection ending (s, es, en, n, e, er,
// 's).
func wordMatches(w, kw string) bool {
	if w == kw {
		return true
	}
	if len(kw) < 3 || len(w) <= len(kw) || w[:len(kw)] != kw {
		return false
	}
	switch w[len(kw):] {
	case "s", "es", "en", "n", "e", "er", "'s", "’s":
		return true
	}
	return false
}

// occurrences returns how often all content words of p occur in words: the
// smallest count of any of them, as Yoast counts keyphrase matches per
// sentence. When there is a match, the spans of the matching words are
// appended to spans.
func occurrences(p phrase, words []Word, spans []Span) (int, []Span) {
	if len(p.content) == 0 {
		return 0, spans
	}
	var small [8]int
	counts := small[:0]
	if len(p.content) > len(small) {
		counts = make([]int, 0, len(p.content))
	}
	counts = counts[:len(p.content)]
	mark := len(spans)
	for i := range words {
		w := words[i].Lower
		for j, kw := range p.content {
			if wordMatches(w, kw) {
				counts[j]++
				spans = append(spans, Span{words[i].Start, words[i].End})
				break
			}
		}
	}
	least := counts[0]
	for _, c := range counts[1:] {
		least = min(least, c)
	}
	if least == 0 {
		spans = spans[:mark]
	}
	return least, spans
}

// wordsOf tokenizes a string that is not part of the document (title,
// meta description, alt text, link text) into buf, which it returns
// resliced. Offsets are into s.
func wordsOf(s string, buf []Word) []Word {
	buf = buf[:0]
	var bounds [64][2]int
	for _, r := range splitWords(s, 0, len(s), bounds[:0]) {
		t := s[r[0]:r[1]]
		lower := t
		if hasUpper(t) {
			lower = strings.ToLower(t)
		}
		buf = append(buf, Word{Text: t, Lower: lower, Start: r[0], End: r[1]})
	}
	return buf
}

// exactAt returns the word index where all words of p occur in a row in
// words, or -1.
func exactAt(p phrase, words []Word) int {
	for i := 0; i+len(p.words) <= len(words); i++ {
		ok := true
		for j, kw := range p.words {
			if !wordMatches(words[i+j].Lower, kw) {
				ok = false
				break
			}
		}
		if ok && len(p.words) > 0 {
			return i
		}
	}
	return -1
}

// analyzeSEO scores keyphrase use, lengths, links and images.
func analyzeSEO(d *Doc) Result {
	a := newAssessment()
	lang := d.Language
	words := wordCount(d)
	a.figures["words"] = float64(words)

	// Text length.
	switch {
	case words >= textLengthGood:
		a.add("seo.text_length", 9, "The text has "+itoa(words)+" words, at least the recommended "+itoa(textLengthGood)+".", nil)
	case words >= textLengthOK:
		a.add("seo.text_length", 6, "The text has "+itoa(words)+" words, slightly below the recommended "+itoa(textLengthGood)+". Add more content.", nil)
	case words >= textLengthBad:
		a.add("seo.text_length", 3, "The text has "+itoa(words)+" words, below the recommended "+itoa(textLengthGood)+". Add more content.", nil)
	case words >= textLengthVeryBad:
		a.add("seo.text_length", -10, "The text has "+itoa(words)+" words, far below the recommended "+itoa(textLengthGood)+". Add more content.", nil)
	default:
		a.add("seo.text_length", -20, "The text has "+itoa(words)+" words, far too few for search engines. Write at least "+itoa(textLengthGood)+".", nil)
	}

	// Title width and meta description length.
	if d.Title == "" {
		a.add("seo.title_width", 1, "The page has no SEO title. Write one.", nil)
	} else {
		px := titleWidth(d.Title)
		a.figures["title_width_px"] = float64(px)
		switch {
		case px < titleMinPixels:
			a.add("seo.title_width", 6, "The SEO title is "+itoa(px)+" px wide, shorter than the recommended "+itoa(titleMinPixels)+"–"+itoa(titleMaxPixels)+" px. Use the space for a more descriptive title.", nil)
		case px > titleMaxPixels:
			a.add("seo.title_width", 3, "The SEO title is "+itoa(px)+" px wide; search results cut it off above "+itoa(titleMaxPixels)+" px. Shorten it.", nil)
		default:
			a.add("seo.title_width", 9, "The SEO title is "+itoa(px)+" px wide, within "+itoa(titleMinPixels)+"–"+itoa(titleMaxPixels)+" px.", nil)
		}
	}
	metaLen := utf8.RuneCountInString(d.MetaDescription)
	a.figures["meta_description_chars"] = float64(metaLen)
	switch {
	case metaLen == 0:
		a.add("seo.meta_description_length", 1, "The page has no meta description; search engines will show a snippet of the text instead. Write one.", nil)
	case metaLen < metaDescMin:
		a.add("seo.meta_description_length", 6, "The meta description has "+itoa(metaLen)+" characters, fewer than the recommended "+itoa(metaDescMin)+". Use the space to tell what the page offers.", nil)
	case metaLen > metaDescMax:
		a.add("seo.meta_description_length", 6, "The meta description has "+itoa(metaLen)+" characters; search results cut it off after "+itoa(metaDescMax)+". Shorten it.", nil)
	default:
		a.add("seo.meta_description_length", 9, "The meta description has "+itoa(metaLen)+" characters, a good length.", nil)
	}

	// Single H1.
	if d.H1Count > 1 {
		var spans []Span
		for bi := range d.Blocks {
			if b := &d.Blocks[bi]; b.Kind == BlockHeading && b.Level == 1 {
				spans = append(spans, Span{b.Start, b.End})
			}
		}
		a.add("seo.single_h1", 1, "The content has "+itoa(d.H1Count)+" H1 headings; use one H1 for the main title only.", spans)
	}

	// Links.
	internal, internalFollow, outbound, outboundFollow := 0, 0, 0, 0
	for _, l := range d.Links {
		follow := !hasToken(l.Rel, "nofollow")
		if l.Internal {
			internal++
			if follow {
				internalFollow++
			}
		} else {
			outbound++
			if follow {
				outboundFollow++
			}
		}
	}
	a.figures["internal_links"] = float64(internal)
	a.figures["outbound_links"] = float64(outbound)
	// Plain text cannot hold links or images: those checks apply to
	// Markdown and HTML only.
	if d.Format != FormatText {
		switch {
		case internal == 0:
			a.add("seo.internal_links", 3, "The content has no internal links. Link to related pages of your own site.", nil)
		case internalFollow == 0:
			a.add("seo.internal_links", 7, "All "+itoa(internal)+" internal link(s) are nofollow. Let search engines follow your own pages.", linkSpans(d, true))
		default:
			a.add("seo.internal_links", 8, "The content has "+itoa(internal)+" internal link(s).", nil)
		}
		switch {
		case outbound == 0:
			a.add("seo.outbound_links", 3, "The content has no outbound links. Link to a relevant source elsewhere.", nil)
		case outboundFollow == 0:
			a.add("seo.outbound_links", 7, "All "+itoa(outbound)+" outbound link(s) are nofollow. Let search engines follow at least one.", linkSpans(d, false))
		default:
			a.add("seo.outbound_links", 8, "The content has "+itoa(outbound)+" outbound link(s).", nil)
		}

		// Images.
		a.figures["images"] = float64(len(d.Images))
		if len(d.Images) == 0 {
			a.add("seo.images", 3, "The content has no images. Add at least one relevant image.", nil)
		} else {
			a.add("seo.images", 9, "The content has "+itoa(len(d.Images))+" image(s).", nil)
		}
	}

	if d.Keyphrase == "" {
		a.add("seo.keyphrase_length", 0, "No focus keyphrase is set. Set one to check its use in the text, title, headings and meta description.", nil)
		return a.result(TypeSEO)
	}
	kp := newPhrase(lang, d.Keyphrase)
	scratch := make([]Word, 0, 32) // reused to tokenize titles, alt and link texts
	phrases := []phrase{kp}
	for _, s := range d.Synonyms {
		if p := newPhrase(lang, s); len(p.words) > 0 {
			phrases = append(phrases, p)
		}
	}

	// Keyphrase length in content words.
	n := len(kp.content)
	a.figures["keyphrase_words"] = float64(n)
	switch {
	case n == 0:
		a.add("seo.keyphrase_length", 0, "The focus keyphrase has no words. Set a keyphrase of one to four words.", nil)
		return a.result(TypeSEO)
	case n <= keyphraseMaxGood:
		a.add("seo.keyphrase_length", 9, "The keyphrase has "+itoa(n)+" content word(s), a good length.", nil)
	case n <= keyphraseMaxOK:
		a.add("seo.keyphrase_length", 6, "The keyphrase has "+itoa(n)+" content words, more than the recommended "+itoa(keyphraseMaxGood)+". Make it shorter.", nil)
	default:
		a.add("seo.keyphrase_length", 3, "The keyphrase has "+itoa(n)+" content words, far more than the recommended "+itoa(keyphraseMaxGood)+". Make it shorter.", nil)
	}

	// Density over body text and headings.
	count := 0
	var matches []Span
	for bi := range d.Blocks {
		for si := range d.Blocks[bi].Sentences {
			var c int
			c, matches = occurrences(kp, d.Blocks[bi].Sentences[si].Words, matches)
			count += c
		}
	}
	a.figures["keyphrase_count"] = float64(count)
	if words >= densityMinWords {
		density := float64(count) * 100 / float64(words)
		a.figures["keyphrase_density"] = float64(int(density*100+0.5)) / 100
		minCount := recommendedCount(words, densityMin, true)
		maxCount := recommendedCount(words, densityMax, false)
		switch {
		case count == 0:
			a.add("seo.keyphrase_density", 4, "The keyphrase was found 0 times; the recommended minimum for a text of this length is "+itoa(minCount)+". Use it in the text.", nil)
		case density < densityMin || count == 1:
			a.add("seo.keyphrase_density", 4, "The keyphrase was found "+itoa(count)+" time(s), less than the recommended minimum of "+itoa(minCount)+" for a text of this length. Use it more often.", matches)
		case density <= densityMax || count == 2 && minCount <= 2:
			a.add("seo.keyphrase_density", 9, "The keyphrase was found "+itoa(count)+" times (density "+pct(density)+"). Good.", matches)
		case density <= densityOverMax:
			a.add("seo.keyphrase_density", -10, "The keyphrase was found "+itoa(count)+" times, more than the recommended maximum of "+itoa(maxCount)+" for a text of this length. Don't over-optimize.", matches)
		default:
			a.add("seo.keyphrase_density", -50, "The keyphrase was found "+itoa(count)+" times, far more than the recommended maximum of "+itoa(maxCount)+". Don't over-optimize.", matches)
		}
	}

	// Keyphrase in the introduction: the first paragraph.
	var intro *Block
	for bi := range d.Blocks {
		if b := &d.Blocks[bi]; b.Kind == BlockParagraph || b.Kind == BlockListItem || b.Kind == BlockQuote {
			intro = b
			break
		}
	}
	if intro != nil {
		inSentence, inParagraph := false, false
		var spans []Span
		for _, p := range phrases {
			all := make([]Word, 0, 64)
			for si := range intro.Sentences {
				s := &intro.Sentences[si]
				all = append(all, s.Words...)
				if c, sp := occurrences(p, s.Words, nil); c > 0 {
					inSentence = true
					spans = append(spans, sp...)
				}
			}
			if c, _ := occurrences(p, all, nil); c > 0 {
				inParagraph = true
			}
		}
		switch {
		case inSentence:
			a.add("seo.keyphrase_in_introduction", 9, "The keyphrase appears in the first paragraph.", spans)
		case inParagraph:
			a.add("seo.keyphrase_in_introduction", 6, "The words of the keyphrase appear in the first paragraph, but not within one sentence. Use them together.", []Span{{intro.Start, intro.End}})
		default:
			a.add("seo.keyphrase_in_introduction", 3, "The keyphrase does not appear in the first paragraph. Make the topic clear right away.", []Span{{intro.Start, intro.End}})
		}
	}

	// Keyphrase in the SEO title.
	if d.Title != "" {
		scratch = wordsOf(d.Title, scratch)
		tw := scratch
		at := exactAt(kp, tw)
		c, _ := occurrences(kp, tw, nil)
		switch {
		case at == 0 || at > 0 && allFunctionWords(lang, tw[:at]):
			a.add("seo.keyphrase_in_title", 9, "The SEO title starts with the exact keyphrase.", nil)
		case at > 0:
			a.add("seo.keyphrase_in_title", 6, "The SEO title contains the exact keyphrase, but not at the beginning. Move it to the front.", nil)
		case c > 0:
			a.add("seo.keyphrase_in_title", 6, "The SEO title contains the words of the keyphrase, but not as the exact phrase. Use the exact keyphrase at the beginning.", nil)
		default:
			a.add("seo.keyphrase_in_title", 2, "The SEO title does not contain the keyphrase. Put it at the beginning.", nil)
		}
	}

	// Keyphrase in the meta description.
	if d.MetaDescription != "" {
		scratch = wordsOf(d.MetaDescription, scratch)
		mw := scratch
		c := 0
		for _, p := range phrases {
			n, _ := occurrences(p, mw, nil)
			c += n
		}
		switch {
		case c == 0:
			a.add("seo.keyphrase_in_meta_description", 3, "The meta description does not contain the keyphrase. Add it.", nil)
		case c <= 2:
			a.add("seo.keyphrase_in_meta_description", 9, "The keyphrase appears in the meta description.", nil)
		default:
			a.add("seo.keyphrase_in_meta_description", 3, "The keyphrase appears "+itoa(c)+" times in the meta description, more than twice. Don't over-optimize.", nil)
		}
	}

	// Keyphrase in subheadings (H2 and H3).
	subs, withKey := 0, 0
	var keySubs []Span
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind != BlockHeading || b.Level < 2 || b.Level > 3 {
			continue
		}
		subs++
		hw := scratch[:0]
		for si := range b.Sentences {
			hw = append(hw, b.Sentences[si].Words...)
		}
		scratch = hw
		for _, p := range phrases {
			if c, _ := occurrences(p, hw, nil); c > 0 {
				withKey++
				keySubs = append(keySubs, Span{b.Start, b.End})
				break
			}
		}
	}
	if subs > 0 {
		share := float64(withKey) * 100 / float64(subs)
		a.figures["subheadings_with_keyphrase_pct"] = round1(share)
		switch {
		case withKey == 0:
			a.add("seo.keyphrase_in_subheadings", 3, "No H2 or H3 subheading contains the keyphrase or a synonym. Use it in a few of them.", nil)
		case subs == 1 || share >= subheadingKeyMinPct && share <= subheadingKeyMaxPct:
			a.add("seo.keyphrase_in_subheadings", 9, itoa(withKey)+" of "+itoa(subs)+" subheadings contain the keyphrase or a synonym.", keySubs)
		case share < subheadingKeyMinPct:
			a.add("seo.keyphrase_in_subheadings", 3, "Only "+itoa(withKey)+" of "+itoa(subs)+" subheadings contain the keyphrase or a synonym; aim for 30–75%.", keySubs)
		default:
			a.add("seo.keyphrase_in_subheadings", 3, itoa(withKey)+" of "+itoa(subs)+" subheadings contain the keyphrase or a synonym, more than 75%. Don't over-optimize.", keySubs)
		}
	}

	// Keyphrase in the slug (from the canonical URL if no slug is given).
	slug := d.Slug
	if slug == "" && d.Canonical != "" {
		if u, err := url.Parse(d.Canonical); err == nil {
			path := strings.Trim(u.Path, "/")
			slug = path[strings.LastIndexByte(path, '/')+1:]
		}
	}
	if slug != "" {
		scratch = wordsOf(strings.Map(func(r rune) rune {
			switch r {
			case '-', '_', '/', '.':
				return ' '
			}
			return r
		}, slug), scratch)
		sw := scratch
		found := 0
		for _, kw := range kp.content {
			for _, w := range sw {
				if wordMatches(w.Lower, kw) {
					found++
					break
				}
			}
		}
		switch {
		case found == len(kp.content):
			a.add("seo.keyphrase_in_slug", 9, "The slug contains the keyphrase.", nil)
		case found*2 >= len(kp.content) && found > 0:
			a.add("seo.keyphrase_in_slug", 6, "The slug contains only part of the keyphrase. Use all of its words.", nil)
		default:
			a.add("seo.keyphrase_in_slug", 3, "The slug does not contain the keyphrase. Change it to include the keyphrase.", nil)
		}
	}

	// Keyphrase in image alt text.
	if len(d.Images) > 0 {
		withAlt, withKeyAlt := 0, 0
		var noAlt []Span
		for _, im := range d.Images {
			if im.Alt == "" {
				noAlt = append(noAlt, im.Span)
				continue
			}
			withAlt++
			scratch = wordsOf(im.Alt, scratch)
			aw := scratch
			for _, p := range phrases {
				if c, _ := occurrences(p, aw, nil); c > 0 {
					withKeyAlt++
					break
				}
			}
		}
		share := float64(withKeyAlt) * 100 / float64(len(d.Images))
		a.figures["images_with_keyphrase_alt_pct"] = round1(share)
		switch {
		case withAlt == 0:
			a.add("seo.image_alt", 3, "No image has alt text. Describe each image, and use the keyphrase where it fits.", noAlt)
		case withKeyAlt == 0:
			a.add("seo.image_alt", 6, "No image alt text contains the keyphrase or a synonym. Use it in the alt text of a relevant image.", noAlt)
		case len(d.Images) < altManyImages || share >= altMinPct && share <= altMaxPct:
			a.add("seo.image_alt", 9, itoa(withKeyAlt)+" of "+itoa(len(d.Images))+" image(s) have the keyphrase or a synonym in their alt text.", noAlt)
		case share < altMinPct:
			a.add("seo.image_alt", 6, "Only "+itoa(withKeyAlt)+" of "+itoa(len(d.Images))+" images have the keyphrase in their alt text; aim for 30–70%.", noAlt)
		default:
			a.add("seo.image_alt", 6, itoa(withKeyAlt)+" of "+itoa(len(d.Images))+" images have the keyphrase in their alt text, more than 70%. Don't over-optimize.", noAlt)
		}
	}

	// Links with the keyphrase as anchor text compete with this page.
	var competing []Span
	for _, l := range d.Links {
		scratch = wordsOf(l.Text, scratch)
		if c, _ := occurrences(kp, scratch, nil); c > 0 {
			competing = append(competing, l.Span)
		}
	}
	if len(competing) > 0 {
		a.add("seo.competing_links", 2, itoa(len(competing))+" link(s) use the keyphrase as anchor text, which tells search engines another page is about this topic. Change the anchor text.", competing)
	}
	return a.result(TypeSEO)
}

// recommendedCount is the keyphrase count a density boundary gives for a
// text of textWords words, at least 2; the minimum rounds up, the maximum
// down.
func recommendedCount(textWords int, density float64, isMin bool) int {
	c := density * float64(textWords) / 100
	if c < 2 {
		return 2
	}
	if isMin {
		n := int(c)
		if float64(n) < c {
			n++
		}
		return n
	}
	return int(c)
}

func allFunctionWords(lang string, ws []Word) bool {
	bit := langBit[lang]
	for _, w := range ws {
		if functionWords[w.Lower]&bit == 0 {
			return false
		}
	}
	return true
}

func linkSpans(d *Doc, internal bool) []Span {
	var out []Span
	for _, l := range d.Links {
		if l.Internal == internal {
			out = append(out, l.Span)
		}
	}
	return out
}

// arialWidths are the advance widths of printable ASCII in Arial (the font
// of Google's result titles), in thousandths of an em.
var arialWidths = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
	278, 278, 584, 584, 584, 556, 1015, // : ; < = > ? @
	667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // A-Z
	278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
	556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // a-z
	334, 260, 334, 584, // { | } ~
}

// titleFontPx is the font size of a search result title.
const titleFontPx = 20

// titleWidth estimates the rendered width of a title in pixels in Arial at
// 20 px. Accented letters take the width of their base letter; other
// characters that of a lower-case letter.
func titleWidth(s string) int {
	units := 0
	for _, r := range s {
		switch {
		case r >= ' ' && r <= '~':
			units += int(arialWidths[r-' '])
		default:
			if b := baseLetter(r); b != 0 {
				units += int(arialWidths[b-' '])
			} else {
				units += 556
			}
		}
	}
	return (units*titleFontPx + 500) / 1000
}

// baseLetter maps common Latin accented letters to their base letter.
func baseLetter(r rune) rune {
	const from = "àáâãäåèéêëìíîïòóôõöùúûüýÿñçÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝÑÇ"
	const to = "aaaaaaeeeeiiiiooooouuuuyyncAAAAAAEEEEIIIIOOOOOUUUUYNC"
	i := 0
	for _, f := range from {
		if f == r {
			return rune(to[i])
		}
		i++
	}
	return 0
}
