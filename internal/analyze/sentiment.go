package analyze

import (
	"math"
	"strconv"
	"strings"
)

// Sentiment rule ids.
const (
	ruleSentimentNegative    = "sentiment.negative_sentence"
	ruleSentimentPositive    = "sentiment.positive_sentence"
	ruleSentimentUnsupported = "sentiment.unsupported_language"
	// sentimentNegativeAt is the sentence compound at or below which a
	// sentence is reported as strongly negative.
	sentimentNegativeAt = -0.5
	// sentimentPositiveAt: sentences at or above it are reported as info,
	// so a UI can highlight the strongest positive sentences too.
	sentimentPositiveAt = 0.5
	// sentimentAlpha normalises a raw sum x to x/sqrt(x²+alpha), the
	// normalisation VADER (Hutto & Gilbert, 2014) uses, so a compound lies in
	// (-1, 1).
	sentimentAlpha = 15.0
	// sentimentLabelAt: a document compound at or above +0.05 is positive,
	// at or below -0.05 negative (VADER's conventional thresholds).
	sentimentLabelAt = 0.05
)

// sentKind classifies a lexicon entry.
type sentKind uint8

const (
	sentWord        sentKind = iota // carries a polarity
	sentNegator                     // not, never, geen, niet
	sentIntensifier                 // very, zeer: ×1.5
	sentDiminisher                  // slightly, enigszins: ×0.5
	sentContrast                    // but, maar: what follows weighs more
)

// sentEntry is one lexicon entry: a polarity -3..+3 or a modifier.
type sentEntry struct {
	score int8
	kind  sentKind
}

// analyzeSentiment scores sentiment with a lexicon (our own; nl and en about
// 400-500 polarity words each, de, fr, es, it and pt about 150-200;
// DATA-LICENSES.md). A word's polarity (-3..+3) is multiplied by 1.5 for each
// intensifier among the two words before it, by 0.5 for a diminisher, and
// by -0.5 when a negator occurs among the three words before it (so "not
// bad" is mildly positive). In a sentence with a contrast word ("but",
// "maar") words before it count half and words after it 1.5 times. A
// sentence's compound is sum/sqrt(sum²+15); the document's compound is the
// mean over its sentences.
//
// Label: "positive" (compound >= 0.05), "negative" (<= -0.05) or "neutral".
// Score: 50 + 50 × compound, so 0 is very negative, 50 neutral and 100 very
// positive. Sentences with a compound <= -0.5 are reported with their span
// as warnings, sentences with a compound >= 0.5 as info.
func analyzeSentiment(d *Doc) Result {
	lex := sentimentLexicons.get(d.Language)
	if lex == nil {
		return Result{
			Type: TypeSentiment, Score: 50, Label: "neutral",
			Figures: map[string]float64{"supported": 0, "words": float64(ruleWordCount(d))},
			Findings: []Finding{{Rule: ruleSentimentUnsupported, Severity: SeverityInfo,
				Message: d.loc.msg(mSentUnsupported, strconv.Quote(d.Language)),
				Source:  "local"}},
		}
	}
	var (
		sum                     float64
		n, pos, neg, hits       int
		findings                []Finding
		mostNegative, mostPosit float64
	)
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind == BlockCode {
			continue
		}
		for si := range b.Sentences {
			s := &b.Sentences[si]
			if len(s.Words) == 0 {
				continue
			}
			raw, h := sentimentSentence(lex, s.Words)
			hits += h
			c := raw / math.Sqrt(raw*raw+sentimentAlpha)
			sum += c
			n++
			switch {
			case c >= sentimentLabelAt:
				pos++
			case c <= -sentimentLabelAt:
				neg++
			}
			mostNegative = math.Min(mostNegative, c)
			mostPosit = math.Max(mostPosit, c)
			switch {
			case c <= sentimentNegativeAt:
				findings = append(findings, Finding{Rule: ruleSentimentNegative, Severity: SeverityWarning,
					Message: d.loc.msg(mSentNegative, sentimentNum(d.loc, c)),
					Spans:   []Span{{s.Start, s.End}}, Source: "local"})
			case c >= sentimentPositiveAt:
				findings = append(findings, Finding{Rule: ruleSentimentPositive, Severity: SeverityInfo,
					Message: d.loc.msg(mSentPositive, sentimentNum(d.loc, c)),
					Spans:   []Span{{s.Start, s.End}}, Source: "local"})
			}
		}
	}
	if findings == nil {
		findings = []Finding{} // JSON "findings": [] rather than null
	}
	compound := 0.0
	if n > 0 {
		compound = sum / float64(n)
	}
	label := "neutral"
	switch {
	case compound >= sentimentLabelAt:
		label = "positive"
	case compound <= -sentimentLabelAt:
		label = "negative"
	}
	return Result{
		Type:  TypeSentiment,
		Score: ruleClamp(50 + 50*compound),
		Label: label,
		Figures: map[string]float64{
			"compound":            math.Round(compound*1000) / 1000,
			"sentences":           float64(n),
			"positive_sentences":  float64(pos),
			"negative_sentences":  float64(neg),
			"neutral_sentences":   float64(n - pos - neg),
			"lexicon_hits":        float64(hits),
			"most_negative":       math.Round(mostNegative*1000) / 1000,
			"most_positive":       math.Round(mostPosit*1000) / 1000,
			"words":               float64(ruleWordCount(d)),
			"supported":           1,
			"negative_threshold":  sentimentNegativeAt,
			"label_threshold_abs": sentimentLabelAt,
		},
		Findings: findings,
	}
}

// sentimentSentence returns the raw sentiment sum of one sentence and the
// number of lexicon words in it.
func sentimentSentence(lex map[string]sentEntry, words []Word) (float64, int) {
	var before, after float64
	contrast := false
	hits := 0
	for i := range words {
		e, ok := lex[words[i].Lower]
		if !ok {
			continue
		}
		switch e.kind {
		case sentContrast:
			contrast = true
			continue
		case sentWord:
		default:
			continue
		}
		hits++
		v := float64(e.score)
		for k := i - 1; k >= 0 && k >= i-3; k-- {
			m, ok := lex[words[k].Lower]
			if !ok {
				continue
			}
			stop := false
			switch m.kind {
			case sentIntensifier:
				if k >= i-2 {
					v *= 1.5
				}
			case sentDiminisher:
				if k >= i-2 {
					v *= 0.5
				}
			case sentNegator:
				v *= -0.5
				stop = true
			case sentContrast, sentWord:
				stop = m.kind == sentContrast || m.score != 0
			}
			if stop {
				break
			}
		}
		if contrast {
			after += v
		} else {
			before += v
		}
	}
	if contrast {
		return 0.5*before + 1.5*after, hits
	}
	return before, hits
}

// sentimentLexicons maps a language to its lexicon: polarity words plus
// negators, intensifiers, diminishers and contrast words, one map lookup per
// word.
var sentimentLexicons = perLanguage[map[string]sentEntry]{build: func(lang string) map[string]sentEntry {
	switch lang {
	case "en":
		return newSentimentLexicon("en", lexiconEN, sentimentModifiersEN)
	case "nl":
		return newSentimentLexicon("nl", lexiconNL, sentimentModifiersNL)
	case "de":
		return newSentimentLexicon("de", lexiconDE, sentimentModifiersDE)
	case "fr":
		return newSentimentLexicon("fr", lexiconFR, sentimentModifiersFR)
	case "es":
		return newSentimentLexicon("es", lexiconES, sentimentModifiersES)
	case "it":
		return newSentimentLexicon("it", lexiconIT, sentimentModifiersIT)
	case "pt":
		return newSentimentLexicon("pt", lexiconPT, sentimentModifiersPT)
	}
	return nil
}}

// sentimentModifiers lists a language's modifier words.
type sentimentModifiers struct {
	negators, intensifiers, diminishers, contrasts []string
}

// newSentimentLexicon parses "word:score" entries separated by white space
// (score -3..+3) and adds the modifiers. Outside English, the regular
// inflected forms of adjectives are added (lexInflect); a listed form always
// wins over a generated one.
func newSentimentLexicon(lang, entries string, mods sentimentModifiers) map[string]sentEntry {
	m := make(map[string]sentEntry, 1024)
	put := func(w string, e sentEntry) {
		for _, v := range lexApostropheVariants(w) {
			if _, taken := m[v]; !taken {
				m[v] = e
			}
		}
	}
	for _, w := range mods.negators {
		put(w, sentEntry{kind: sentNegator})
	}
	for _, w := range mods.intensifiers {
		put(w, sentEntry{kind: sentIntensifier})
	}
	for _, w := range mods.diminishers {
		put(w, sentEntry{kind: sentDiminisher})
	}
	for _, w := range mods.contrasts {
		put(w, sentEntry{kind: sentContrast})
	}
	for _, f := range strings.Fields(entries) {
		i := strings.LastIndexByte(f, ':')
		if i <= 0 || i == len(f)-1 {
			panic("analyze: bad sentiment lexicon entry " + f)
		}
		var score int8
		switch f[i+1:] {
		case "-3":
			score = -3
		case "-2":
			score = -2
		case "-1":
			score = -1
		case "1", "+1":
			score = 1
		case "2", "+2":
			score = 2
		case "3", "+3":
			score = 3
		default:
			panic("analyze: bad sentiment score in " + f)
		}
		w := f[:i]
		put(w, sentEntry{score: score})
		if lang != "en" {
			for _, form := range lexInflect(lang, []string{w})[1:] {
				put(form, sentEntry{score: score})
			}
		}
	}
	return m
}

// sentimentNum formats a compound score with two decimals in the locale's
// notation.
func sentimentNum(l locale, c float64) string {
	s := strconv.FormatFloat(c, 'f', 2, 64)
	if l != locEN {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
