package analyze

import "strconv"

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

// textSentences returns the sentences of body text: every non-code block
// except headings.
func textSentences(d *Doc) []*Sentence {
	n := 0
	for bi := range d.Blocks {
		if b := &d.Blocks[bi]; b.Kind != BlockHeading && b.Kind != BlockCode {
			n += len(b.Sentences)
		}
	}
	out := make([]*Sentence, 0, n)
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

// analyzeReadability scores how easy the text is to read.
func analyzeReadability(d *Doc) Result {
	a := newAssessment()
	lang := d.Language

	// Flesch over all text, headings included.
	words, sents, syl, longWords := 0, 0, 0, 0
	exceptions := syllableExceptionTables[lang]
	for bi := range d.Blocks {
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
			}
		}
	}
	a.figures["words"] = float64(words)
	a.figures["sentences"] = float64(sents)
	a.figures["syllables"] = float64(syl)
	if words == 0 {
		return a.result(TypeReadability)
	}
	f := flesch(lang, words, sents, syl)
	a.figures["flesch"] = f
	a.figures["avg_sentence_length"] = round1(float64(words) / float64(sents))
	a.figures["avg_syllables_per_word"] = float64(int(float64(syl)/float64(words)*100+0.5)) / 100
	a.figures["polysyllable_pct"] = round1(float64(longWords) * 100 / float64(words))
	if lang == "en" {
		a.figures["flesch_kincaid_grade"] = fleschKincaidGrade(words, sents, syl)
	}

	if words < minWords {
		a.add("readability.text_presence", 3, "The text has "+itoa(words)+" words; write at least "+itoa(minWords)+" for a meaningful readability score.", nil)
	}
	pts, feedback := fleschBand(f)
	msg := "The text scores " + strconv.FormatFloat(f, 'f', -1, 64) + " on " + fleschName(lang) + ", which is " + feedback + " to read."
	if pts < 9 {
		msg += " Use shorter sentences and shorter, more common words."
	}
	a.add("readability.flesch_reading_ease", pts, msg, nil)

	// Sentence length.
	body := textSentences(d)
	limit := recommendedSentenceLength(lang)
	var long []Span
	for _, s := range body {
		if len(s.Words) > limit {
			long = append(long, Span{s.Start, s.End})
		}
	}
	if len(body) > 0 {
		share := float64(len(long)) * 100 / float64(len(body))
		a.figures["long_sentence_pct"] = round1(share)
		a.figures["long_sentence_limit"] = float64(limit)
		p := sentenceLengthPoints(share)
		if p == 9 {
			a.add("readability.sentence_length", p, pct(share)+" of the sentences have more than "+itoa(limit)+" words, within the recommended maximum of 25%.", long)
		} else {
			a.add("readability.sentence_length", p, pct(share)+" of the sentences have more than "+itoa(limit)+" words, more than the recommended maximum of 25%. Split the highlighted sentences.", long)
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
			a.add("readability.paragraph_length", p, "No paragraph is longer than "+itoa(paragraphOrange)+" words.", nil)
		} else {
			a.add("readability.paragraph_length", p, itoa(len(longParas))+" paragraph(s) are longer than the recommended "+itoa(paragraphOrange)+" words (the longest has "+itoa(longest)+"). Shorten or split them.", longParas)
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
		a.add("readability.subheading_distribution", p, "The text has no subheadings, which is fine at "+itoa(textWords)+" words.", nil)
	case subheadings == 0:
		a.add("readability.subheading_distribution", p, "The text has "+itoa(textWords)+" words and no subheadings. Add subheadings to break it up.", nil)
	case p == 9:
		a.add("readability.subheading_distribution", p, "No stretch of text between subheadings is longer than "+itoa(sectionOrange)+" words.", nil)
	default:
		a.add("readability.subheading_distribution", p, itoa(len(longSecs))+" section(s) run longer than "+itoa(sectionOrange)+" words without a subheading (the longest has "+itoa(longestSec)+"). Add a subheading.", longSecs)
	}

	// Passive voice and transition words.
	if len(body) > 0 {
		var passive []Span
		trans := 0
		for _, s := range body {
			if passiveVoice(lang, s) {
				passive = append(passive, Span{s.Start, s.End})
			}
			if transitionWord(lang, s) {
				trans++
			}
		}
		share := float64(len(passive)) * 100 / float64(len(body))
		a.figures["passive_pct"] = round1(share)
		p := passivePoints(share)
		if p == 9 {
			a.add("readability.passive_voice", p, pct(share)+" of the sentences are passive, within the recommended maximum of 10%.", passive)
		} else {
			a.add("readability.passive_voice", p, pct(share)+" of the sentences are passive, more than the recommended maximum of 10%. Rewrite the highlighted sentences in the active voice.", passive)
		}
		tshare := float64(trans) * 100 / float64(len(body))
		a.figures["transition_pct"] = round1(tshare)
		if textWords >= transitionMinWords {
			p := transitionPoints(tshare)
			if p == 9 {
				a.add("readability.transition_words", p, pct(tshare)+" of the sentences contain a transition word, at least the recommended 30%.", nil)
			} else {
				a.add("readability.transition_words", p, "Only "+pct(tshare)+" of the sentences contain a transition word; aim for 30% to connect your ideas.", nil)
			}
		}
	}

	// Consecutive sentences starting with the same word.
	groups, spans := consecutiveStarts(lang, body)
	a.figures["consecutive_start_groups"] = float64(groups)
	if len(body) > 0 {
		if groups == 0 {
			a.add("readability.consecutive_sentences", 9, "No three or more consecutive sentences start with the same word.", nil)
		} else {
			a.add("readability.consecutive_sentences", 3, itoa(groups)+" time(s) three or more consecutive sentences start with the same word. Vary the highlighted sentence openings.", spans)
		}
	}
	return a.result(TypeReadability)
}

func fleschName(lang string) string {
	switch lang {
	case "nl":
		return "Flesch–Douma reading ease"
	case "de":
		return "Amstad reading ease"
	case "fr":
		return "Kandel–Moles reading ease"
	case "es":
		return "Fernández-Huerta reading ease"
	case "it":
		return "Flesch–Vacca reading ease"
	case "pt":
		return "Martins reading ease"
	}
	return "Flesch reading ease"
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

// sentenceOpening returns the word a sentence is judged to start with.
func sentenceOpening(lang string, s *Sentence) *Word {
	if len(s.Words) == 0 {
		return nil
	}
	if len(s.Words) > 1 && firstWordSkip[lang][s.Words[0].Lower] {
		return &s.Words[1]
	}
	return &s.Words[0]
}

// consecutiveStarts counts runs of more than consecutiveMax sentences that
// open with the same word and returns the spans of those openings.
func consecutiveStarts(lang string, body []*Sentence) (groups int, spans []Span) {
	for i := 0; i < len(body); {
		w := sentenceOpening(lang, body[i])
		j := i + 1
		for j < len(body) {
			v := sentenceOpening(lang, body[j])
			if w == nil || v == nil || v.Lower != w.Lower {
				break
			}
			j++
		}
		if j-i > consecutiveMax && w != nil {
			groups++
			for k := i; k < j; k++ {
				o := sentenceOpening(lang, body[k])
				spans = append(spans, Span{o.Start, o.End})
			}
		}
		i = j
	}
	return groups, spans
}
