package analyze

// Readability thresholds, as Yoast SEO's readability assessments use them.
const (
	// sentence length: share of sentences over the recommended length
	sentenceLengthGreenMax  = 25.0 // ≤ 25 % green
	sentenceLengthOrangeMax = 30.0 // ≤ 30 % orange, above red
	// paragraph length in words
	paragraphOrange = 150 // over 150 orange
	paragraphRed    = 200 // over 200 red
	// subheading distribution in words
	sectionOrange   = 300 // a section over 300 words orange
	sectionRed      = 350 // over 350 red
	shortTextMaxLen = 300 // a text up to 300 words needs no subheadings
	// passive voice share of sentences
	passiveGreenMax  = 10.0
	passiveOrangeMax = 15.0
	// transition word share of sentences; assessed from 200 words on
	transitionRedBelow    = 20.0
	transitionOrangeBelow = 30.0
	transitionMinWords    = 200
	// consecutive sentences starting with the same word
	consecutiveMax = 2 // three or more in a row is red
	// text presence
	minWords = 50
)

// recommendedSentenceLength is the longest sentence, in words, that Yoast
// does not count as long: 25 for Spanish, Italian and Portuguese, 20 else.
func recommendedSentenceLength(lang string) int {
	switch lang {
	case "es", "it", "pt":
		return 25
	}
	return 20
}

// flesch returns the reading ease of the language's Flesch variant, as
// Yoast computes it, rounded to one decimal and clamped to 0-100.
func flesch(lang string, words, sentences, syllables int) float64 {
	if words == 0 || sentences == 0 {
		return 0
	}
	asl := float64(words) / float64(sentences) // average sentence length
	asw := float64(syllables) / float64(words) // average syllables per word
	s100 := float64(syllables) * 100 / float64(words)
	var f float64
	switch lang {
	case "nl": // Flesch–Douma
		f = 206.84 - 0.77*s100 - 0.93*asl
	case "de": // Amstad
		f = 180 - asl - 58.5*asw
	case "fr": // Kandel–Moles
		f = 207 - 1.015*asl - 73.6*asw
	case "es": // Fernández-Huerta
		f = 206.84 - 1.02*asl - 0.6*s100
	case "it": // Flesch–Vacca
		f = 217 - 1.3*asl - 0.6*s100
	case "pt": // Martins
		f = 248.835 - 1.015*asl - 84.6*asw
	default: // Flesch 1948
		f = 206.835 - 1.015*asl - 84.6*asw
	}
	return max(0, min(100, round1(f)))
}

// fleschKincaidGrade is the US school grade of English text.
func fleschKincaidGrade(words, sentences, syllables int) float64 {
	if words == 0 || sentences == 0 {
		return 0
	}
	return round1(0.39*float64(words)/float64(sentences) + 11.8*float64(syllables)/float64(words) - 15.59)
}

// fleschBand returns Yoast's points and wording for a reading ease.
func fleschBand(f float64) (points int, feedback string) {
	switch {
	case f >= 90:
		return 9, "very easy"
	case f >= 80:
		return 9, "easy"
	case f >= 70:
		return 9, "fairly easy"
	case f >= 60:
		return 9, "ok"
	case f >= 50:
		return 6, "fairly difficult"
	case f >= 30:
		return 3, "difficult"
	}
	return 3, "very difficult"
}

// sentenceLengthPoints scores the share of long sentences.
func sentenceLengthPoints(share float64) int {
	switch {
	case share <= sentenceLengthGreenMax:
		return 9
	case share <= sentenceLengthOrangeMax:
		return 6
	}
	return 3
}

// paragraphPoints scores the longest paragraph.
func paragraphPoints(words int) int {
	switch {
	case words > paragraphRed:
		return 3
	case words > paragraphOrange:
		return 6
	}
	return 9
}

// sectionPoints scores the longest stretch of text without a subheading.
func sectionPoints(textWords, subheadings, longest int) int {
	switch {
	case subheadings == 0 && textWords <= shortTextMaxLen:
		return 9
	case subheadings == 0:
		return 2
	case longest > sectionRed:
		return 3
	case longest > sectionOrange:
		return 6
	}
	return 9
}

// passivePoints scores the share of passive sentences.
func passivePoints(share float64) int {
	switch {
	case share <= passiveGreenMax:
		return 9
	case share <= passiveOrangeMax:
		return 6
	}
	return 3
}

// transitionPoints scores the share of sentences with a transition word.
func transitionPoints(share float64) int {
	switch {
	case share >= transitionOrangeBelow:
		return 9
	case share >= transitionRedBelow:
		return 6
	}
	return 3
}

// textSentences returns the sentences of the text that have words: every
// block except code, headings included (Yoast's readability assessments
// count the sentences of headings too).
func textSentences(d *Doc) []*Sentence {
	n := 0
	for bi := range d.Blocks {
		if b := &d.Blocks[bi]; b.Kind != BlockCode {
			n += len(b.Sentences)
		}
	}
	out := make([]*Sentence, 0, n)
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind == BlockCode {
			continue
		}
		for si := range b.Sentences {
			if len(b.Sentences[si].Words) > 0 {
				out = append(out, &b.Sentences[si])
			}
		}
	}
	return out
}

// bodySentences returns the sentences with words of every block except
// headings and code.
func bodySentences(d *Doc) []*Sentence {
	var out []*Sentence
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind == BlockHeading || b.Kind == BlockCode {
			continue
		}
		for si := range b.Sentences {
			if len(b.Sentences[si].Words) > 0 {
				out = append(out, &b.Sentences[si])
			}
		}
	}
	return out
}

// isNumberWord reports whether a word is a number ("2024", "3.5", "1,000"):
// Yoast leaves numbers out of reading ease.
func isNumberWord(w string) bool {
	digit := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= '0' && c <= '9':
			digit = true
		case c == '.' || c == ',' || c == '-' || c == '/' || c == ':':
		default:
			return false
		}
	}
	return digit
}

// Readability penalty points (Yoast's readability score): each shown
// assessment adds 3 when red and 2 when orange — 4 and 2 for Portuguese,
// which Yoast 3.6 supports only partly. The score is 90 (good) up to 4
// points (2 partly), 60 (ok) up to 6 (4 partly), else 30 (poor).
func readabilityScore(lang string, findings []Finding) (score, penalty int) {
	full := lang != "pt"
	shown := 0
	for _, f := range findings {
		switch f.Severity {
		case SeverityProblem:
			penalty += 3
			if !full {
				penalty++
			}
		case SeverityWarning:
			penalty += 2
		case SeverityInfo:
			continue
		}
		shown++
	}
	redAbove, orangeAbove := 6, 4
	if !full {
		redAbove, orangeAbove = 4, 2
	}
	switch {
	case shown <= 1:
		return 0, penalty
	case penalty > redAbove:
		return 30, penalty
	case penalty > orangeAbove:
		return 60, penalty
	}
	return 90, penalty
}

// analyzeReadability scores how easy the text is to read, with Yoast SEO
// 3.6's readability assessments and its penalty scoring. Reading ease is
// reported as a figure and an unscored finding: Yoast 3.6 shows it as an
// insight, not as an assessment.
func analyzeReadability(d *Doc) Result {
	a := newAssessment()
	lang := d.Language
	l := d.loc

	// Reading ease over all text, headings included, numbers left out.
	words, sents, syl, longWords, fleschWords, fleschSyl := 0, 0, 0, 0, 0, 0
	exceptions := syllableExceptionTables[lang]
	for bi := range d.Blocks {
		if d.Blocks[bi].Kind == BlockCode {
			continue
		}
		for si := range d.Blocks[bi].Sentences {
			s := &d.Blocks[bi].Sentences[si]
			if len(s.Words) == 0 {
				continue
			}
			sents++
			for _, w := range s.Words {
				words++
				n := syllablesWith(exceptions, lang, w.Lower)
				syl += n
				if n >= 3 {
					longWords++
				}
				if !isNumberWord(w.Lower) {
					fleschWords++
					fleschSyl += n
				}
			}
		}
	}
	a.figures["words"] = float64(words)
	a.figures["sentences"] = float64(sents)
	a.figures["syllables"] = float64(syl)
	if words == 0 {
		return a.result(TypeReadability)
	}
	f := flesch(lang, fleschWords, sents, fleschSyl)
	a.figures["flesch"] = f
	a.figures["avg_sentence_length"] = round1(float64(words) / float64(sents))
	a.figures["avg_syllables_per_word"] = float64(int(float64(syl)/float64(words)*100+0.5)) / 100
	a.figures["polysyllable_pct"] = round1(float64(longWords) * 100 / float64(words))
	if lang == "en" {
		a.figures["flesch_kincaid_grade"] = fleschKincaidGrade(fleschWords, sents, fleschSyl)
	}

	if words < minWords {
		a.add("readability.text_presence", 3, l.msg(mReadTextPresence, itoa(words), itoa(minWords)), nil)
	}
	if pts, _ := fleschBand(f); pts < 9 {
		a.info("readability.flesch_reading_ease", l.msg(mReadFleschHard, l.num(f), fleschName(lang)), nil)
	} else {
		a.info("readability.flesch_reading_ease", l.msg(mReadFlesch, l.num(f), fleschName(lang)), nil)
	}

	// Sentence length, passive voice and transition words: shares of all
	// sentences, headings included.
	all := textSentences(d)
	limit := recommendedSentenceLength(lang)
	var long []Span
	for _, s := range all {
		if len(s.Words) > limit {
			long = append(long, Span{s.Start, s.End})
		}
	}
	if len(all) > 0 {
		share := float64(len(long)) * 100 / float64(len(all))
		a.figures["long_sentence_pct"] = round1(share)
		a.figures["long_sentence_limit"] = float64(limit)
		p := sentenceLengthPoints(share)
		if p == 9 {
			a.add("readability.sentence_length", p, l.msg(mReadSentenceGood, l.pct(share), itoa(limit), l.pct(sentenceLengthGreenMax)), long)
		} else {
			a.add("readability.sentence_length", p, l.msg(mReadSentenceBad, l.pct(share), itoa(limit), l.pct(sentenceLengthGreenMax)), long)
		}
	}

	// Paragraph length.
	longest := 0
	var longParas []Span
	paras := 0
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind != BlockParagraph {
			continue
		}
		paras++
		n := blockWords(b)
		longest = max(longest, n)
		if n > paragraphOrange {
			longParas = append(longParas, Span{b.Start, b.End})
		}
	}
	if paras > 0 {
		a.figures["longest_paragraph_words"] = float64(longest)
		p := paragraphPoints(longest)
		if p == 9 {
			a.add("readability.paragraph_length", p, l.msg(mReadParagraphGood, itoa(paragraphOrange)), nil)
		} else {
			a.add("readability.paragraph_length", p, l.msg(mReadParagraphBad, itoa(paragraphOrange), itoa(len(longParas)), itoa(longest)), longParas)
		}
	}

	// Subheading distribution.
	secs := sections(d)
	textWords, subheadings, longestSec := 0, 0, 0
	var longSecs []Span
	for _, s := range secs {
		textWords += s.words
		if s.heading != nil {
			subheadings++
		}
		longestSec = max(longestSec, s.words)
		if s.words > sectionOrange {
			longSecs = append(longSecs, s.span)
		}
	}
	a.figures["subheadings"] = float64(subheadings)
	a.figures["longest_section_words"] = float64(longestSec)
	switch p := sectionPoints(textWords, subheadings, longestSec); {
	case subheadings == 0 && p == 9:
		a.add("readability.subheading_distribution", p, l.msg(mReadSubheadShortNone, itoa(textWords)), nil)
	case subheadings == 0:
		a.add("readability.subheading_distribution", p, l.msg(mReadSubheadLongNone, itoa(textWords)), nil)
	case p == 9:
		a.add("readability.subheading_distribution", p, l.msg(mReadSubheadGood, itoa(sectionOrange)), nil)
	default:
		a.add("readability.subheading_distribution", p, l.msg(mReadSubheadBad, itoa(sectionOrange), itoa(len(longSecs)), itoa(longestSec)), longSecs)
	}

	// Passive voice and transition words.
	if len(all) > 0 {
		var passive []Span
		trans := 0
		for _, s := range all {
			if passiveVoice(lang, s) {
				passive = append(passive, Span{s.Start, s.End})
			}
			if transitionWord(lang, s) {
				trans++
			}
		}
		share := float64(len(passive)) * 100 / float64(len(all))
		a.figures["passive_pct"] = round1(share)
		p := passivePoints(share)
		if p == 9 {
			a.add("readability.passive_voice", p, l.msg(mReadPassiveGood, l.pct(share), l.pct(passiveGreenMax)), passive)
		} else {
			a.add("readability.passive_voice", p, l.msg(mReadPassiveBad, l.pct(share), l.pct(passiveGreenMax)), passive)
		}
		tshare := float64(trans) * 100 / float64(len(all))
		a.figures["transition_pct"] = round1(tshare)
		// Texts under 200 words need no transition words: green.
		if p := transitionPoints(tshare); p == 9 || words < transitionMinWords {
			a.add("readability.transition_words", 9, l.msg(mReadTransitionGood, l.pct(tshare), l.pct(transitionOrangeBelow)), nil)
		} else {
			a.add("readability.transition_words", p, l.msg(mReadTransitionBad, l.pct(tshare), l.pct(transitionOrangeBelow)), nil)
		}
	}

	// Consecutive sentences starting with the same word.
	openers := make([]*Sentence, 0, len(all))
	for bi := range d.Blocks {
		if b := &d.Blocks[bi]; b.Kind != BlockCode && b.Kind != BlockListItem {
			for si := range b.Sentences {
				if len(b.Sentences[si].Words) > 0 {
					openers = append(openers, &b.Sentences[si])
				}
			}
		}
	}
	groups, spans := consecutiveStarts(lang, openers)
	a.figures["consecutive_start_groups"] = float64(groups)
	if len(all) > 0 {
		if groups == 0 {
			a.add("readability.consecutive_sentences", 9, l.msg(mReadConsecutiveGood), nil)
		} else {
			a.add("readability.consecutive_sentences", 3, l.msg(mReadConsecutiveBad, itoa(groups)), spans)
		}
	}
	r := a.result(TypeReadability)
	score, penalty := readabilityScore(lang, r.Findings)
	r.Figures["penalty_points"] = float64(penalty)
	r.Score = score
	if score == 0 {
		r.Label = LabelNotApplicable
	} else {
		r.Label = scoreLabel(score)
	}
	return r
}

// fleschName is the name of the language's reading-ease formula.
func fleschName(lang string) string {
	switch lang {
	case "nl":
		return "Flesch–Douma"
	case "de":
		return "Amstad"
	case "fr":
		return "Kandel–Moles"
	case "es":
		return "Fernández-Huerta"
	case "it":
		return "Flesch–Vacca"
	case "pt":
		return "Martins"
	}
	return "Flesch"
}

func blockWords(b *Block) int {
	n := 0
	for si := range b.Sentences {
		n += len(b.Sentences[si].Words)
	}
	return n
}

// firstWordSkip are words a sentence opening is judged without: articles,
// demonstratives and numerals ("The cat… The dog…" varies its openings).
// Our own lists.
var firstWordSkip = map[string]map[string]bool{
	"en": setOf("the a an this that these those one two three four five six seven eight nine ten"),
	"nl": setOf("de het een deze dit die dat twee drie vier vijf zes zeven acht negen tien"),
	"de": setOf("der die das ein eine einen einem einer dieser diese dieses zwei drei vier fünf"),
	"fr": setOf("le la les l un une des ce cet cette ces deux trois quatre cinq"),
	"es": setOf("el la los las un una unos unas este esta estos estas dos tres cuatro cinco"),
	"it": setOf("il lo la i gli le l un uno una questo questa questi queste due tre quattro cinque"),
	"pt": setOf("o a os as um uma uns umas este esta estes estas dois duas três quatro cinco"),
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	start := -1
	for i := 0; i <= len(words); i++ {
		if i == len(words) || words[i] == ' ' {
			if start >= 0 {
				m[words[start:i]] = true
			}
			start = -1
		} else if start < 0 {
			start = i
		}
	}
	return m
}

// sentenceOpening returns how a sentence opens, as compared with its
// neighbours: its first word, or its first two words when the first is an
// article, demonstrative or numeral ("the cat", "questa è"), with the span
// of those words.
func sentenceOpening(lang string, s *Sentence) (key string, sp Span, ok bool) {
	if len(s.Words) == 0 {
		return "", Span{}, false
	}
	w := &s.Words[0]
	if len(s.Words) > 1 && firstWordSkip[lang][w.Lower] {
		v := &s.Words[1]
		return w.Lower + " " + v.Lower, Span{w.Start, v.End}, true
	}
	return w.Lower, Span{w.Start, w.End}, true
}

// consecutiveStarts counts runs of more than consecutiveMax sentences that
// open alike and returns the spans of those openings. The caller leaves
// list items out, as Yoast does: a list of steps starting with the same
// verb is normal.
func consecutiveStarts(lang string, body []*Sentence) (groups int, spans []Span) {
	for i := 0; i < len(body); {
		w, _, okw := sentenceOpening(lang, body[i])
		j := i + 1
		for j < len(body) {
			v, _, okv := sentenceOpening(lang, body[j])
			if !okw || !okv || v != w {
				break
			}
			j++
		}
		if j-i > consecutiveMax && okw {
			groups++
			for k := i; k < j; k++ {
				_, sp, _ := sentenceOpening(lang, body[k])
				spans = append(spans, sp)
			}
		}
		i = j
	}
	return groups, spans
}
