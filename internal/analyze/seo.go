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
	words             []string // all words, lower-cased
	content           []string // content words (function words left out), or all if none is left
	onlyFunctionWords bool     // the phrase has words, all of them function words
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
		p.onlyFunctionWords = len(p.words) > 0
	}
	return p
}

// wordMatches reports whether a text word is keyphrase word kw: the same
// word form (case aside), also after an elided article or pronoun
// ("l'installateur", "dell’utente"). Other forms do not match, as in Yoast
// SEO without its morphology data ("Akkus" is not "Akku"); list them as
// synonyms to count them.
func wordMatches(w, kw string) bool {
	if w == kw {
		return true
	}
	if head, ok := elidedHead(w); ok && len(head) <= 6 {
		rest := w[len(head):]
		if strings.HasSuffix(head, "'") && !strings.HasPrefix(w[len(head)-1:], "'") {
			rest = w[len(head)+2:] // the head was written with ’ (3 bytes)
		}
		return rest == kw
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

// seoAssessments is the number of assessments Yoast SEO 3.6's SEO analysis
// makes for a page with a keyphrase; its score divides the points by 9 per
// assessment, including the function-word check that is silent unless the
// keyphrase has only function words. The SEO score does the same so that
// its label agrees with Yoast's.
const seoAssessments = 17

// seoRun is one page's SEO analysis in progress: what every rule reads
// and the assessment they add to.
type seoRun struct {
	a     *assessment
	d     *Doc
	l     locale
	words int // words of the page (wordCount)
	// kp is the keyphrase and phrases it with its synonyms (set before the
	// keyphrase rules run).
	kp      phrase
	phrases []phrase
	// scratch is reused to tokenize titles, slugs, alt and link texts.
	scratch []Word
}

// seoRule is one SEO assessment: check adds its result (or nothing).
type seoRule struct {
	name string
	// markup is set for a rule of Markdown and HTML only: plain text
	// cannot hold links or images.
	markup bool
	check  func(s *seoRun)
}

// seoPageRules assess the page whatever its keyphrase, in the order of
// the report.
var seoPageRules = []seoRule{
	{name: "text length", check: (*seoRun).textLength},
	{name: "title width", check: (*seoRun).titleWidth},
	{name: "meta description length", check: (*seoRun).metaDescriptionLength},
	{name: "single h1", check: (*seoRun).singleH1},
	{name: "links", check: (*seoRun).linkFigures},
	{name: "internal links", markup: true, check: (*seoRun).internalLinks},
	{name: "outbound links", markup: true, check: (*seoRun).outboundLinks},
	{name: "images", markup: true, check: (*seoRun).imageCount},
}

// seoKeyphraseRules assess the use of a keyphrase with content words, in
// the order of the report.
var seoKeyphraseRules = []seoRule{
	{name: "keyphrase density", check: (*seoRun).keyphraseDensity},
	{name: "keyphrase in introduction", check: (*seoRun).keyphraseInIntroduction},
	{name: "keyphrase in title", check: (*seoRun).keyphraseInTitle},
	{name: "keyphrase in meta description", check: (*seoRun).keyphraseInMeta},
	{name: "keyphrase in subheadings", check: (*seoRun).keyphraseInSubheadings},
	{name: "keyphrase in slug", check: (*seoRun).keyphraseInSlug},
	{name: "keyphrase in image alt", check: (*seoRun).keyphraseInImageAlt},
	{name: "competing links", check: (*seoRun).competingLinks},
}

// run runs the rules that apply to d's format.
func (s *seoRun) run(rules []seoRule) {
	for _, r := range rules {
		if r.markup && s.d.Format == FormatText {
			continue
		}
		r.check(s)
	}
}

// analyzeSEO scores keyphrase use, lengths, links and images: the page
// rules, then the keyphrase's length and, for a keyphrase with content
// words, the keyphrase rules.
func analyzeSEO(d *Doc) Result {
	s := &seoRun{a: newAssessment(), d: d, l: d.loc, words: wordCount(d), scratch: make([]Word, 0, 32)}
	s.a.figures["words"] = float64(s.words)
	s.run(seoPageRules)
	if !s.keyphraseLength() {
		return s.a.result(TypeSEO)
	}
	s.run(seoKeyphraseRules)
	if d.Format != FormatText {
		s.a.n = max(s.a.n, seoAssessments)
	}
	return s.a.result(TypeSEO)
}

// textLength assesses the number of words.
func (s *seoRun) textLength() {
	a, l, words := s.a, s.l, s.words
	w, rec := itoa(words), itoa(textLengthGood)
	switch {
	case words >= textLengthGood:
		a.add("seo.text_length", 9, l.msg(mSeoTextLength9, w, rec), nil)
	case words >= textLengthOK:
		a.add("seo.text_length", 6, l.msg(mSeoTextLength6, w, rec), nil)
	case words >= textLengthBad:
		a.add("seo.text_length", 3, l.msg(mSeoTextLength3, w, rec), nil)
	case words >= textLengthVeryBad:
		a.add("seo.text_length", -10, l.msg(mSeoTextLengthFar, w, rec), nil)
	default:
		a.add("seo.text_length", -20, l.msg(mSeoTextLengthVeryFar, w, rec), nil)
	}
}

// titleWidth assesses the SEO title's width in pixels.
func (s *seoRun) titleWidth() {
	if s.d.Title != "" {
		s.a.figures["title_width_px"] = float64(titleWidth(s.d.Title))
	}
	s.a.addCheck(checkTitleWidth(s.l, s.d.Title))
}

// metaDescriptionLength assesses the meta description's length.
func (s *seoRun) metaDescriptionLength() {
	s.a.figures["meta_description_chars"] = float64(utf8.RuneCountInString(s.d.MetaDescription))
	s.a.addCheck(checkMetaDescriptionLength(s.l, s.d.MetaDescription))
}

// singleH1 assesses the number of H1 headings, pointing at each when there
// are several.
func (s *seoRun) singleH1() {
	d := s.d
	var h1Spans []Span
	if d.H1Count > 1 {
		for bi := range d.Blocks {
			if b := &d.Blocks[bi]; b.Kind == BlockHeading && b.Level == 1 {
				h1Spans = append(h1Spans, Span{b.Start, b.End})
			}
		}
	}
	c := checkSingleH1(s.l, d.H1Count)
	s.a.add(c.Finding.Rule, c.Points, c.Finding.Message, h1Spans)
}

// linkCounts counts d's internal and outbound links, and those of each
// without rel=nofollow.
func linkCounts(d *Doc) (internal, internalFollow, outbound, outboundFollow int) {
	for _, lk := range d.Links {
		follow := !hasToken(lk.Rel, "nofollow")
		if lk.Internal {
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
	return internal, internalFollow, outbound, outboundFollow
}

// linkFigures records the numbers of links, in every format.
func (s *seoRun) linkFigures() {
	internal, _, outbound, _ := linkCounts(s.d)
	s.a.figures["internal_links"] = float64(internal)
	s.a.figures["outbound_links"] = float64(outbound)
}

// internalLinks assesses the links to the site itself.
func (s *seoRun) internalLinks() {
	a, l := s.a, s.l
	internal, internalFollow, _, _ := linkCounts(s.d)
	switch {
	case internal == 0:
		a.add("seo.internal_links", 3, l.msg(mSeoInternalNone), nil)
	case internalFollow == 0:
		a.add("seo.internal_links", 7, l.msg(mSeoInternalNofollow, itoa(internal)), linkSpans(s.d, true))
	case internalFollow < internal:
		a.add("seo.internal_links", 8, l.msg(mSeoInternalSome, itoa(internal)), nil)
	default:
		a.add("seo.internal_links", 9, l.msg(mSeoInternalGood, itoa(internal)), nil)
	}
}

// outboundLinks assesses the links to other sites.
func (s *seoRun) outboundLinks() {
	a, l := s.a, s.l
	_, _, outbound, outboundFollow := linkCounts(s.d)
	switch {
	case outbound == 0:
		a.add("seo.outbound_links", 3, l.msg(mSeoOutboundNone), nil)
	case outboundFollow == 0:
		a.add("seo.outbound_links", 7, l.msg(mSeoOutboundNofollow, itoa(outbound)), linkSpans(s.d, false))
	case outboundFollow < outbound:
		a.add("seo.outbound_links", 8, l.msg(mSeoOutboundSome, itoa(outbound)), nil)
	default:
		a.add("seo.outbound_links", 9, l.msg(mSeoOutboundGood, itoa(outbound)), nil)
	}
}

// imageCount assesses whether the page has images.
func (s *seoRun) imageCount() {
	d := s.d
	s.a.figures["images"] = float64(len(d.Images))
	if len(d.Images) == 0 {
		s.a.add("seo.images", 3, s.l.msg(mSeoImagesNone), nil)
	} else {
		s.a.add("seo.images", 9, s.l.msg(mSeoImagesGood, itoa(len(d.Images))), nil)
	}
}

// keyphraseLength prepares the keyphrase and its synonyms and assesses
// its length in content words. It reports whether the keyphrase rules
// apply: not without a keyphrase or with one of no words.
func (s *seoRun) keyphraseLength() bool {
	a, d, l := s.a, s.d, s.l
	if d.Keyphrase == "" {
		a.add("seo.keyphrase_length", 0, l.msg(mSeoKeyphraseNone), nil)
		return false
	}
	s.kp = newPhrase(d.Language, d.Keyphrase)
	s.phrases = []phrase{s.kp}
	for _, syn := range d.Synonyms {
		if p := newPhrase(d.Language, syn); len(p.words) > 0 {
			s.phrases = append(s.phrases, p)
		}
	}
	n := len(s.kp.content)
	a.figures["keyphrase_words"] = float64(n)
	switch {
	case n == 0:
		a.add("seo.keyphrase_length", 0, l.msg(mSeoKeyphraseNoWords), nil)
		return false
	case n <= keyphraseMaxGood:
		a.add("seo.keyphrase_length", 9, l.msg(mSeoKeyphraseGood, itoa(n)), nil)
	case n <= keyphraseMaxOK:
		a.add("seo.keyphrase_length", 6, l.msg(mSeoKeyphraseLong, itoa(n), itoa(keyphraseMaxGood)), nil)
	default:
		a.add("seo.keyphrase_length", 3, l.msg(mSeoKeyphraseTooLong, itoa(n), itoa(keyphraseMaxGood)), nil)
	}
	// Yoast's function-word check: scored (0 points, a grey bullet there)
	// when the keyphrase has only function words, silent otherwise, and
	// counted in the SEO score either way.
	if s.kp.onlyFunctionWords {
		a.info("seo.keyphrase_function_words", l.msg(mSeoKeyphraseFunctionWords), nil)
	}
	a.silent()
	return true
}

// keyphraseDensity assesses how often the keyphrase occurs in body text
// and headings.
func (s *seoRun) keyphraseDensity() {
	a, d, l, words, kp := s.a, s.d, s.l, s.words, s.kp
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
	if words > 0 && words < densityMinWords {
		// Short texts: one match is enough, two at most from 51 words.
		maxShort := 1
		if words > 50 {
			maxShort = 2
		}
		switch {
		case count == 0:
			a.add("seo.keyphrase_density", 4, l.msg(mSeoDensityZero, "1"), nil)
		case count <= maxShort:
			a.add("seo.keyphrase_density", 9, l.msg(mSeoDensityGood, itoa(count), l.pct(float64(count)*100/float64(words))), matches)
		default:
			a.add("seo.keyphrase_density", -10, l.msg(mSeoDensityHigh, itoa(count), itoa(maxShort)), matches)
		}
	}
	if words >= densityMinWords {
		density := float64(count) * 100 / float64(words)
		a.figures["keyphrase_density"] = float64(int(density*100+0.5)) / 100
		// Yoast weighs density by the keyphrase's length: a phrase of
		// several words is rarer, so fewer matches give the same weight.
		factor := 0.7 + float64(len(kp.content))/3
		minCount := recommendedCount(words, densityMin/factor, true)
		maxCount := recommendedCount(words, densityMax/factor, false)
		weighted := density * factor
		switch {
		case count == 0:
			a.add("seo.keyphrase_density", 4, l.msg(mSeoDensityZero, itoa(minCount)), nil)
		case weighted < densityMin || count == 1:
			a.add("seo.keyphrase_density", 4, l.msg(mSeoDensityLow, itoa(count), itoa(minCount)), matches)
		case weighted <= densityMax || count == 2 && minCount <= 2:
			a.add("seo.keyphrase_density", 9, l.msg(mSeoDensityGood, itoa(count), l.pct(density)), matches)
		case weighted <= densityOverMax:
			a.add("seo.keyphrase_density", -10, l.msg(mSeoDensityHigh, itoa(count), itoa(maxCount)), matches)
		default:
			a.add("seo.keyphrase_density", -50, l.msg(mSeoDensityTooHigh, itoa(count), itoa(maxCount)), matches)
		}
	}
}

// keyphraseInIntroduction assesses the keyphrase (or a synonym) in the
// first paragraph: in one sentence, or spread over it.
func (s *seoRun) keyphraseInIntroduction() {
	a, d, l := s.a, s.d, s.l
	var intro *Block
	for bi := range d.Blocks {
		if b := &d.Blocks[bi]; b.Kind == BlockParagraph || b.Kind == BlockListItem || b.Kind == BlockQuote {
			intro = b
			break
		}
	}
	if intro == nil {
		return
	}
	inSentence, inParagraph := false, false
	var spans []Span
	for _, p := range s.phrases {
		all := make([]Word, 0, 64)
		for si := range intro.Sentences {
			sn := &intro.Sentences[si]
			all = append(all, sn.Words...)
			if c, sp := occurrences(p, sn.Words, nil); c > 0 {
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
		a.add("seo.keyphrase_in_introduction", 9, l.msg(mSeoIntroSentence), spans)
	case inParagraph:
		a.add("seo.keyphrase_in_introduction", 6, l.msg(mSeoIntroParagraph), []Span{{intro.Start, intro.End}})
	default:
		a.add("seo.keyphrase_in_introduction", 3, l.msg(mSeoIntroNone), []Span{{intro.Start, intro.End}})
	}
}

// keyphraseInTitle assesses the keyphrase in the SEO title.
func (s *seoRun) keyphraseInTitle() {
	if s.d.Title == "" {
		s.a.add("seo.keyphrase_in_title", 2, s.l.msg(mSeoTitleKeyNoTitle), nil)
		return
	}
	c, _ := checkKeyphraseInTitle(s.l, s.d.Title, s.kp, s.d.Language)
	s.a.addCheck(c)
}

// keyphraseInMeta assesses the keyphrase in the meta description.
func (s *seoRun) keyphraseInMeta() {
	d := s.d
	if d.MetaDescription == "" {
		s.a.add("seo.keyphrase_in_meta_description", 3, s.l.msg(mSeoMetaKeyNoMeta), nil)
		return
	}
	s.a.addCheck(checkKeyphraseInMeta(s.l, KeyphraseCount(d.MetaDescription, d.Keyphrase, d.Synonyms, d.Language)))
}

// keyphraseInSubheadings assesses the keyphrase in subheadings (H2 and
// H3): a subheading reflects the topic when it holds more than half of
// the content words of the keyphrase or of a synonym.
func (s *seoRun) keyphraseInSubheadings() {
	a, d, l := s.a, s.d, s.l
	subs, withKey := 0, 0
	var keySubs []Span
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind != BlockHeading || b.Level < 2 || b.Level > 3 {
			continue
		}
		subs++
		hw := s.scratch[:0]
		for si := range b.Sentences {
			hw = append(hw, b.Sentences[si].Words...)
		}
		s.scratch = hw
		for _, p := range s.phrases {
			if 2*contentWordsFound(p, hw) > len(p.content) {
				withKey++
				keySubs = append(keySubs, Span{b.Start, b.End})
				break
			}
		}
	}
	if subs > 0 {
		a.figures["subheadings_with_keyphrase_pct"] = round1(float64(withKey) * 100 / float64(subs))
	}
	lo, hi := (3*subs+9)/10, subs*3/4 // ceil(30 %), floor(75 %)
	switch {
	case subs == 0 && s.words >= sectionOrange:
		a.add("seo.keyphrase_in_subheadings", 2, l.msg(mSeoSubheadLongNone), nil)
	case subs == 0:
		a.add("seo.keyphrase_in_subheadings", 9, l.msg(mSeoSubheadShortNone), nil)
	case withKey > 0 && withKey < lo:
		a.add("seo.keyphrase_in_subheadings", 3, l.msg(mSeoSubheadFew, itoa(withKey), itoa(subs)), keySubs)
	case subs > 1 && withKey > hi:
		a.add("seo.keyphrase_in_subheadings", 3, l.msg(mSeoSubheadMany, itoa(withKey), itoa(subs)), keySubs)
	case subs == 1 && withKey == 1, withKey > 0 && withKey >= lo && withKey <= hi:
		a.add("seo.keyphrase_in_subheadings", 9, l.msg(mSeoSubheadGood, itoa(withKey), itoa(subs)), keySubs)
	default:
		a.add("seo.keyphrase_in_subheadings", 3, l.msg(mSeoSubheadNone), nil)
	}
}

// keyphraseInSlug assesses the keyphrase in the slug (from the canonical
// URL if no slug is given): keyphrases of one or two content words need
// all of them, longer ones more than half.
func (s *seoRun) keyphraseInSlug() {
	a, d, l, kp := s.a, s.d, s.l, s.kp
	slug := d.Slug
	if slug == "" && d.Canonical != "" {
		if u, err := url.Parse(d.Canonical); err == nil {
			path := strings.Trim(u.Path, "/")
			slug = path[strings.LastIndexByte(path, '/')+1:]
		}
	}
	if slug == "" {
		a.add("seo.keyphrase_in_slug", 3, l.msg(mSeoSlugNone), nil)
		return
	}
	s.scratch = wordsOf(strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '/', '.':
			return ' '
		}
		return r
	}, slug), s.scratch)
	found := 0
	for _, kw := range kp.content {
		for _, w := range s.scratch {
			if slugWordMatches(w.Lower, kw) {
				found++
				break
			}
		}
	}
	all := found == len(kp.content)
	if all || len(kp.content) >= 3 && 2*found > len(kp.content) {
		a.add("seo.keyphrase_in_slug", 9, l.msg(mSeoSlugGood), nil)
	} else {
		a.add("seo.keyphrase_in_slug", 6, l.msg(mSeoSlugPart), nil)
	}
}

// keyphraseInImageAlt assesses the keyphrase in image alt texts: an alt
// text reflects the topic when it holds at least half of the content
// words of the keyphrase or of a synonym.
func (s *seoRun) keyphraseInImageAlt() {
	a, d, l := s.a, s.d, s.l
	withAlt, withKeyAlt := 0, 0
	var noAlt []Span
	for _, im := range d.Images {
		if im.Alt == "" {
			noAlt = append(noAlt, im.Span)
			continue
		}
		withAlt++
		s.scratch = wordsOf(im.Alt, s.scratch)
		for _, p := range s.phrases {
			if 2*contentWordsFound(p, s.scratch) >= len(p.content) {
				withKeyAlt++
				break
			}
		}
	}
	images := len(d.Images)
	if images > 0 {
		a.figures["images_with_keyphrase_alt_pct"] = round1(float64(withKeyAlt) * 100 / float64(images))
	}
	altLo, altHi := (3*images+9)/10, images*3/4
	switch {
	case images == 0:
		a.add("seo.image_alt", 3, l.msg(mSeoAltNoImages), nil)
	case withAlt > 0 && withKeyAlt == 0:
		a.add("seo.image_alt", 6, l.msg(mSeoAltNoKey), noAlt)
	case images > 4 && withKeyAlt > 0 && withKeyAlt < altLo:
		a.add("seo.image_alt", 6, l.msg(mSeoAltFew, itoa(withKeyAlt), itoa(images)), noAlt)
	case images < 5 && withKeyAlt > 0, images == 5 && withKeyAlt >= 2 && withKeyAlt <= 4,
		images > 4 && withKeyAlt >= altLo && withKeyAlt <= altHi:
		a.add("seo.image_alt", 9, l.msg(mSeoAltGood, itoa(withKeyAlt), itoa(images)), noAlt)
	case images > 4 && withKeyAlt > altHi:
		a.add("seo.image_alt", 6, l.msg(mSeoAltMany, itoa(withKeyAlt), itoa(images)), noAlt)
	default:
		a.add("seo.image_alt", 6, l.msg(mSeoAltNoAlt), noAlt)
	}
}

// competingLinks assesses links whose text is the keyphrase (all of its
// content words, and no other content word): they compete with this page.
func (s *seoRun) competingLinks() {
	var competing []Span
	for _, lk := range s.d.Links {
		s.scratch = wordsOf(lk.Text, s.scratch)
		for _, p := range s.phrases {
			if anchorIsTopic(s.d.Language, p, s.scratch) {
				competing = append(competing, lk.Span)
				break
			}
		}
	}
	if len(competing) > 0 {
		s.a.add("seo.competing_links", 2, s.l.msg(mSeoCompetingBad, itoa(len(competing))), competing)
	} else {
		s.a.add("seo.competing_links", 8, s.l.msg(mSeoCompetingGood), nil)
	}
}

// contentWordsFound counts the content words of p that occur in words.
func contentWordsFound(p phrase, words []Word) int {
	found := 0
	for _, kw := range p.content {
		for i := range words {
			if wordMatches(words[i].Lower, kw) {
				found++
				break
			}
		}
	}
	return found
}

// anchorIsTopic reports whether a link text consists of the content words
// of p: all of them, and no other content word.
func anchorIsTopic(lang string, p phrase, words []Word) bool {
	if len(words) == 0 || contentWordsFound(p, words) < len(p.content) {
		return false
	}
	bit := langBit[lang]
	for i := range words {
		w := words[i].Lower
		if functionWords[w]&bit != 0 {
			continue
		}
		ok := false
		for _, kw := range p.content {
			if wordMatches(w, kw) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// slugWordMatches is wordMatches for slugs, which are written without
// accents: "licencas" matches "licenças".
func slugWordMatches(w, kw string) bool {
	return wordMatches(w, kw) || wordMatches(w, foldAccents(kw))
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

// foldAccents replaces common Latin accented letters by their base letter.
func foldAccents(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Map(func(r rune) rune {
				if b := baseLetter(r); b != 0 {
					return b
				}
				return r
			}, s)
		}
	}
	return s
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
