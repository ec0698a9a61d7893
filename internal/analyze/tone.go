package analyze

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Tone rule ids.
const (
	ruleToneMixedAddress   = "tone.mixed_address"
	ruleToneHype           = "tone.hype_word"
	ruleToneExclamations   = "tone.exclamation_density"
	ruleToneMultiExclaim   = "tone.multiple_exclamation"
	ruleToneRegister       = "tone.register"
	ruleToneAllCaps        = "tone.all_caps"
	toneAllCapsRun         = 3    // consecutive all-capital words that read as shouting
	toneExclamationMaxRate = 0.10 // share of sentences ending in "!" above which the text shouts
)

// toneKind classifies a word in a language's tone table.
type toneKind uint8

const (
	toneNone toneKind = iota
	toneFormalAddress
	toneInformalAddress
	toneFormalMarker
	toneInformalMarker
	toneHype
	toneCapitalFormal // formal address only when capitalised mid-sentence
)

// toneLang is one language's tone table.
type toneLang struct {
	entries map[string]*toneEntry
	// notAfter: an informal address word is not one after these words
	// (French "le ton" is a noun, not "your").
	notAfter     lexSet
	formalName   string // e.g. "u/uw", for messages
	informalName string // e.g. "je/jij/jouw"
	contractions bool   // English: contractions mark informal register
	elision      bool   // French: "t'" before a verb is informal address
}

// toneEntry is what a word means for tone on its own, and the phrases it
// starts ("pretty much", "met betrekking tot", "game changer").
type toneEntry struct {
	kind    toneKind
	phrases []tonePhrase
}

// tonePhrase is a multi-word entry: the words after the first, and its kind.
type tonePhrase struct {
	tail []string
	kind toneKind
}

// match returns the kind and length of the longest phrase of e matching
// words[i:], or the word's own kind and 1.
func (e *toneEntry) match(words []Word, i int) (toneKind, int) {
	kind, n := e.kind, 1
	for _, p := range e.phrases {
		if len(p.tail)+1 <= n || i+len(p.tail) >= len(words) {
			continue
		}
		ok := true
		for k, t := range p.tail {
			if words[i+1+k].Lower != t {
				ok = false
				break
			}
		}
		if ok {
			kind, n = p.kind, len(p.tail)+1
		}
	}
	return kind, n
}

// analyzeTone measures register and consistency: formal and informal address
// (nl u vs je, de Sie vs du, fr vous vs tu, es usted vs tú, it Lei vs tu, pt
// o senhor vs tu), English contractions and informal markers, formal
// markers, hype words and exclamation density.
//
// Label: "mixed" when the text addresses the reader both formally and
// informally; otherwise with formal = 2×formal address + formal markers and
// informal = 2×informal address + informal markers + contractions +
// ½×exclamatory sentences, "neutral" when formal+informal < 2 (one stray
// marker says nothing), else
// "professional" when formal/(formal+informal) >= 0.75, "casual" when <=
// 0.25, "mixed" in between. Figures["confidence"] (0–1) grows with the
// number of signals and how one-sided they are.
//
// Score: 100 minus 30 for mixed address, up to 30 for hype (10 per hype word
// per 100 words), up to 25 for exclamation density above 10 % of sentences,
// 5 per "!!" (up to 10) and 5 per run of three or more words in capitals
// (up to 10).
func analyzeTone(d *Doc) Result {
	L := toneTables.get(d.Language)
	var (
		formalAddr, informalAddr, formalMark, informalMark, contractions, hype int
		addrSpans                                                              []Span
		findings                                                               []Finding
		sentences, exclaimed, multi, shouting                                  int
		exclaimSpans                                                           []Span
	)
	for bi := range d.Blocks {
		b := &d.Blocks[bi]
		if b.Kind == BlockCode {
			continue
		}
		for si := range b.Sentences {
			s := &b.Sentences[si]
			if len(s.Words) > 0 {
				sentences++
			}
			if first, last, ok := toneShouting(s.Words); ok {
				shouting++
				findings = append(findings, Finding{Rule: ruleToneAllCaps, Severity: SeverityWarning,
					Message: d.loc.msg(mToneAllCaps),
					Spans:   []Span{{s.Words[first].Start, s.Words[last].End}}, Source: "local"})
			}
			for i := 0; i < len(s.Words); i++ {
				w := &s.Words[i]
				if L == nil {
					break
				}
				kind, n := toneNone, 1
				if e := L.entries[w.Lower]; e != nil {
					kind, n = e.match(s.Words, i)
				}
				end := s.Words[i+n-1].End
				i += n - 1
				if kind == toneCapitalFormal {
					kind = toneNone
					if i > 0 && ruleFirstUpper(w.Text) {
						kind = toneFormalAddress
					}
				}
				if kind == toneInformalAddress && i > 0 && L.notAfter.has(s.Words[i-1].Lower) {
					kind = toneNone
				}
				if kind == toneNone && L.elision && toneInformalElision(w.Lower) {
					informalAddr++
					k, n := toneApostrophe(w.Text)
					if w.End-w.Start == len(w.Text) {
						addrSpans = append(addrSpans, Span{w.Start, w.Start + k + n})
					} else {
						addrSpans = append(addrSpans, Span{w.Start, w.End})
					}
					continue
				}
				switch kind {
				case toneFormalAddress:
					formalAddr++
					addrSpans = append(addrSpans, Span{w.Start, w.End})
				case toneInformalAddress:
					informalAddr++
					addrSpans = append(addrSpans, Span{w.Start, w.End})
				case toneFormalMarker:
					formalMark++
				case toneInformalMarker:
					informalMark++
				case toneHype:
					hype++
					findings = append(findings, toneHypeFinding(d, Span{w.Start, end}))
				default:
					if L.contractions && toneIsContraction(w.Lower) {
						contractions++
					}
				}
			}
			// Exclamations: the sentence's own text, markup-free.
			if e := strings.TrimRight(s.Text, "\"'”’»)] "); strings.HasSuffix(e, "!") {
				exclaimed++
				k := strings.LastIndexByte(s.Text, '!')
				run := 1
				for k-run >= 0 && s.Text[k-run] == '!' {
					run++
				}
				if sp, ok := toneSpanInSentence(d, b, s, k-run+1, k+1); ok {
					exclaimSpans = append(exclaimSpans, sp)
					if run > 1 {
						multi++
						findings = append(findings, Finding{Rule: ruleToneMultiExclaim, Severity: SeverityWarning,
							Message: d.loc.msg(mToneMultipleExcl),
							Spans:   []Span{sp}, Source: "local"})
					}
				}
			}
		}
	}

	words := ruleWordCount(d)
	score := 100.0
	mixedAddress := formalAddr > 0 && informalAddr > 0
	if mixedAddress {
		score -= 30
		findings = append(findings, Finding{Rule: ruleToneMixedAddress, Severity: SeverityProblem,
			Message: d.loc.msg(mToneMixedAddress, L.formalName, itoa(formalAddr), L.informalName, itoa(informalAddr)),
			Spans:   addrSpans, Source: "local"})
	}
	hypePer100 := float64(hype) * 100 / float64(max(words, 100))
	score -= math.Min(30, 10*hypePer100)
	share := 0.0
	if sentences > 0 {
		share = float64(exclaimed) / float64(sentences)
	}
	if share > toneExclamationMaxRate && exclaimed >= 2 {
		score -= math.Min(25, 100*(share-toneExclamationMaxRate))
		findings = append(findings, Finding{Rule: ruleToneExclamations, Severity: SeverityWarning,
			Message: d.loc.msg(mToneExclamations, itoa(exclaimed), itoa(sentences), d.loc.pct(math.Round(share*100)), d.loc.pct(toneExclamationMaxRate*100)),
			Spans:   exclaimSpans, Source: "local"})
	}
	score -= math.Min(10, 5*float64(multi))
	score -= math.Min(10, 5*float64(shouting))

	formal := 2*float64(formalAddr) + float64(formalMark)
	informal := 2*float64(informalAddr) + float64(informalMark) + float64(contractions) + 0.5*float64(exclaimed)
	label, confidence, formality := toneLabel(formal, informal, mixedAddress, formalAddr, informalAddr, words)
	findings = append(findings, Finding{Rule: ruleToneRegister, Severity: SeverityInfo,
		Message: toneRegisterMessage(d.loc, label, confidence, L), Source: "local"})

	return Result{
		Type:  TypeTone,
		Score: ruleClamp(score),
		Label: label,
		Figures: map[string]float64{
			"confidence":        math.Round(confidence*100) / 100,
			"formality":         math.Round(formality*100) / 100,
			"formal_address":    float64(formalAddr),
			"informal_address":  float64(informalAddr),
			"formal_markers":    float64(formalMark),
			"informal_markers":  float64(informalMark),
			"contractions":      float64(contractions),
			"hype_words":        float64(hype),
			"hype_per_100":      math.Round(hypePer100*100) / 100,
			"exclamations":      float64(exclaimed),
			"exclamation_share": math.Round(share*1000) / 1000,
			"sentences":         float64(sentences),
			"all_caps_runs":     float64(shouting),
			"words":             float64(words),
			"supported":         boolFigure(L != nil),
		},
		Findings: findings,
	}
}

// toneLabel turns the weighted signals into a label, a confidence (0–1) and
// a formality (share of formal signals, 0.5 when there are none).
func toneLabel(formal, informal float64, mixedAddress bool, formalAddr, informalAddr, words int) (string, float64, float64) {
	total := formal + informal
	formality := 0.5
	if total > 0 {
		formality = formal / total
	}
	strength := total / (total + 4)
	switch {
	case mixedAddress:
		lo, hi := float64(min(formalAddr, informalAddr)), float64(max(formalAddr, informalAddr))
		return "mixed", strength * (0.5 + 0.5*lo/hi), formality
	case total < 2:
		return "neutral", (1 - strength) * float64(words) / float64(words+30), formality
	case formality >= 0.75:
		return "professional", strength * (0.5 + math.Abs(2*formality-1)/2), formality
	case formality <= 0.25:
		return "casual", strength * (0.5 + math.Abs(2*formality-1)/2), formality
	}
	return "mixed", strength * (1 - math.Abs(2*formality-1)), formality
}

func toneRegisterMessage(l locale, label string, confidence float64, L *toneLang) string {
	c := strconv.FormatFloat(confidence, 'f', 2, 64)
	if l != locEN {
		c = strings.Replace(c, ".", ",", 1)
	}
	if L == nil {
		return l.msg(mToneRegisterNone)
	}
	if label == "mixed" {
		return l.msg(mToneRegisterMixed, c)
	}
	return l.msg(mToneRegister, LabelText(label, localeCodes[l]), c)
}

func toneHypeFinding(d *Doc, sp Span) Finding {
	return Finding{Rule: ruleToneHype, Severity: SeverityWarning,
		Message: d.loc.msg(mToneHype, strconv.Quote(truncate(d.Source[sp.Start:sp.End], 40))),
		Spans:   []Span{sp}, Source: "local"}
}

// toneInformalElision reports French "t'" before a verb ("t'aide", "t’offre").
func toneInformalElision(w string) bool {
	return len(w) > 3 && w[0] == 't' && (w[1] == '\'' || strings.HasPrefix(w[1:], "’"))
}

// toneShouting finds the first run of at least toneAllCapsRun consecutive
// words written entirely in capitals (two letters or more each).
func toneShouting(words []Word) (first, last int, ok bool) {
	run := 0
	for i := range words {
		if toneAllCaps(&words[i]) {
			run++
			if run >= toneAllCapsRun {
				last = i
				ok = true
			}
			continue
		}
		if ok {
			return i - run, last, true
		}
		run = 0
	}
	if ok {
		return len(words) - run, last, true
	}
	return 0, 0, false
}

func toneAllCaps(w *Word) bool {
	if w.Text == w.Lower || len(w.Text) < 2 {
		return false
	}
	letters := 0
	for _, r := range w.Text {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 2
}

// toneIsContraction reports English contractions: "don't", "we're", "it's".
func toneIsContraction(w string) bool {
	i, size := toneApostrophe(w)
	if i <= 0 {
		return false
	}
	suffix := w[i+size:]
	switch suffix {
	case "t":
		return strings.HasSuffix(w[:i], "n")
	case "re", "ve", "ll", "d", "m":
		return true
	case "s":
		return toneSContractions.has(w[:i])
	}
	return false
}

// toneApostrophe returns the index and byte length of the first straight
// or typographic (’) apostrophe in w, or -1. A byte loop: this runs for
// every English word.
func toneApostrophe(w string) (int, int) {
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '\'':
			return i, 1
		case 0xE2:
			if i+2 < len(w) && w[i+1] == 0x80 && w[i+2] == 0x99 {
				return i, 3
			}
		}
	}
	return -1, 0
}

// toneSpanInSentence maps bytes [a, z) of s.Text to the source through the
// block's byte map, if s.Text is a slice of b.Text.
func toneSpanInSentence(d *Doc, b *Block, s *Sentence, a, z int) (Span, bool) {
	if a < 0 || z > len(s.Text) || a >= z || len(b.Offsets) != len(b.Text) {
		return Span{}, false
	}
	// Find s.Text inside b.Text: the tokenizer slices it, so the offset of
	// its first byte maps to s.Start.
	base := sort.SearchInts(b.Offsets, s.Start)
	if base >= len(b.Offsets) || b.Offsets[base] != s.Start || base+len(s.Text) > len(b.Text) || b.Text[base:base+len(s.Text)] != s.Text {
		return Span{}, false
	}
	return d.Span(b, base+a, base+z), true
}

func boolFigure(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
