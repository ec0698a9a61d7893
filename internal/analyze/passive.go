package analyze

import "strings"

// passiveVoice reports whether s contains a passive construction in lang:
//
//   - en: a form of "be" followed, possibly after adverbs, by a past
//     participle (-ed or an irregular one): "is written", "was not used".
//   - nl: a form of "worden" or "zijn" and a voltooid deelwoord in the same
//     clause, in either order ("wordt geschreven", "dat geschreven werd");
//     with "zijn", participles of verbs that form their perfect with zijn
//     ("is gekomen") and adjectives ("is geschikt") are exceptions.
//   - de: a form of "werden" and a Partizip II in the same clause.
//   - fr, es, it, pt: a form of être / ser / essere or venire / ser directly
//     followed (adverbs allowed) by a participle, except verbs that form
//     their perfect with the same auxiliary ("est arrivé", "è andato").
//
// It is a heuristic tuned for few false positives: Yoast-style passive
// shares need a sentence-level yes or no, not a parse tree.
func passiveVoice(lang string, s *Sentence) bool {
	if s == nil || len(s.Words) < 2 {
		return false
	}
	switch lang {
	case "en":
		return passiveEN(s.Words)
	case "nl":
		return passiveClause(s, passiveNL())
	case "de":
		return passiveClause(s, passiveDE())
	case "fr":
		return passiveRomance(s.Words, passiveFR())
	case "es":
		return passiveRomance(s.Words, passiveES())
	case "it":
		return passiveRomance(s.Words, passiveIT())
	case "pt":
		return passiveRomance(s.Words, passivePT())
	}
	return false
}

// passiveEN: a be-form, then up to three adverbs, then a participle.
func passiveEN(words []Word) bool {
	for i := 0; i < len(words)-1; i++ {
		if !passiveENAux(words[i].Lower) {
			continue
		}
		for j := i + 1; j < len(words) && j <= i+4; j++ {
			w := words[j].Lower
			if w == "used" {
				if passiveENUsedTo(words, j) {
					break // "is used to working": an adjective of habit
				}
				return true // "is used by", "is used to create"
			}
			if passiveENParticiple(w) {
				return true
			}
			if !passiveENAdverb(w) {
				break
			}
		}
	}
	return false
}

// passiveENUsedTo reports "used to" + -ing form, pronoun or noun phrase
// ("I am used to it"), as opposed to "used to" + verb ("is used to build").
func passiveENUsedTo(words []Word, j int) bool {
	if j+1 >= len(words) || words[j+1].Lower != "to" {
		return false
	}
	if j+2 >= len(words) {
		return true
	}
	next := words[j+2].Lower
	return strings.HasSuffix(next, "ing") || passiveENUsedToObject.has(next)
}

func passiveENAux(w string) bool {
	if passiveENBe.has(w) {
		return true
	}
	// "it's done", "they're used": only after pronouns, never possessives.
	return passiveENContractedBe.has(w)
}

func passiveENAdverb(w string) bool {
	if passiveENAdverbs.has(w) {
		return true
	}
	return len(w) > 4 && strings.HasSuffix(w, "ly") && !passiveENParticiple(w)
}

func passiveENParticiple(w string) bool {
	if passiveENIrregular.has(w) {
		return true
	}
	if len(w) < 4 || !strings.HasSuffix(w, "ed") || passiveENNotParticiple.has(w) {
		return false
	}
	if strings.HasSuffix(w, "eed") {
		return passiveENEedParticiple.has(w)
	}
	return true
}

// passiveClauseLang holds the tables of a language whose participle may sit
// anywhere in the clause of its auxiliary (Dutch and German verb order).
type passiveClauseLang struct {
	aux        lexSet // forms of worden / werden: always passive with a participle
	auxState   lexSet // forms of zijn: passive unless the participle is an exception
	stateExcep lexSet // participles and adjectives that are not passive after zijn
	notPart    lexSet // words that look like participles but are not
	bounds     lexSet // words that start a new clause
	softBounds lexSet // coordinating conjunctions: a new clause if a finite verb follows
	finite     lexSet // common finite verbs besides the auxiliaries
	subord     lexSet // clause starters after which the verb comes last
	determiner lexSet // a following "participle" after these is a noun
	separable  []string
	insep      []string
	strongEn   lexSet // -en participles with an inseparable prefix
	german     bool   // German: participles are lower case, nouns capitalised
	infMarker  lexSet // "te", "zu": the next verb is an infinitive
	// possessive is an auxiliary that is also a possessive pronoun (Dutch
	// "zijn"): it counts only next to a participle, at the end of its
	// clause, or after a subject pronoun.
	possessive string
	subjects   lexSet
	flags      map[string]passiveFlag // all of the above, by word (build)
}

// passiveFlag marks the roles of a word in a clause language; one map
// lookup per word gives all of them.
type passiveFlag uint16

const (
	pfBound passiveFlag = 1 << iota
	pfSoft
	pfSubord
	pfAux
	pfState
	pfFinite
	pfDeterminer
	pfInf
	pfStateExcep
	pfNotPart
	pfStrongEn
	pfSubject
)

// build fills L.flags from the word sets; called once at package init.
func (L *passiveClauseLang) build() *passiveClauseLang {
	L.flags = make(map[string]passiveFlag, 512)
	for _, e := range []struct {
		flag passiveFlag
		set  lexSet
	}{
		{pfBound, L.bounds}, {pfSoft, L.softBounds}, {pfSubord, L.subord}, {pfAux, L.aux}, {pfState, L.auxState},
		{pfFinite, L.finite}, {pfDeterminer, L.determiner}, {pfInf, L.infMarker}, {pfStateExcep, L.stateExcep},
		{pfNotPart, L.notPart}, {pfStrongEn, L.strongEn}, {pfSubject, L.subjects},
	} {
		for w := range e.set {
			L.flags[w] |= e.flag
		}
	}
	return L
}

// passiveClause splits s into clauses at commas and conjunctions and looks
// for an auxiliary with a participle in the same clause. Coordinating
// conjunctions ("en", "of", "und") start a new clause only when a finite
// verb follows before the next boundary: "wordt tussen april en september
// opgewekt" is one clause, "wij zijn trots en hebben veel gedaan" two.
func passiveClause(s *Sentence, L *passiveClauseLang) bool {
	words := s.Words
	var buf [48]passiveFlag
	fl := buf[:0]
	for i := range words {
		fl = append(fl, L.flags[words[i].Lower])
	}
	start := 0
	for i := 0; i <= len(words); i++ {
		end := i == len(words)
		if !end && i > start {
			switch {
			case fl[i]&pfBound != 0 || passiveCommaBefore(s, i):
				end = true
			case fl[i]&pfSoft != 0:
				end = passiveFiniteAhead(s, fl, i+1)
			}
		}
		if !end {
			continue
		}
		if passiveClauseHas(words[start:i], fl[start:i], L) {
			return true
		}
		start = i
	}
	return false
}

// passiveFiniteAhead reports whether a finite verb occurs from word i up
// to the next clause boundary.
func passiveFiniteAhead(s *Sentence, fl []passiveFlag, i int) bool {
	for ; i < len(fl); i++ {
		if fl[i]&(pfBound|pfSoft) != 0 || passiveCommaBefore(s, i) {
			return false
		}
		if fl[i]&(pfFinite|pfAux|pfState) != 0 {
			return true
		}
	}
	return false
}

// passiveCommaBefore reports whether punctuation separates words[i-1] and
// words[i], when the sentence text maps one to one onto the source.
func passiveCommaBefore(s *Sentence, i int) bool {
	a, b := s.Words[i-1].End-s.Start, s.Words[i].Start-s.Start
	if a < 0 || b > len(s.Text) || a > b {
		return false
	}
	punct := false
	for _, c := range []byte(s.Text[a:b]) {
		switch c {
		case ',', ';', ':', '(', ')':
			punct = true
		}
	}
	if !punct {
		return false
	}
	w := s.Words[i]
	e := w.End - s.Start
	return e <= len(s.Text) && s.Text[b:e] == w.Text
}

func passiveClauseHas(words []Word, fl []passiveFlag, L *passiveClauseLang) bool {
	if len(words) < 2 {
		return false
	}
	subordinate := fl[0]&pfSubord != 0
	for i := range words {
		strong := fl[i]&pfAux != 0
		state := !strong && fl[i]&pfState != 0
		if !strong && !state {
			continue
		}
		if i > 0 && fl[i-1]&pfInf != 0 && (state || L.german) {
			continue // "moeilijk te zijn", "aufgenommen zu werden": an infinitive
		}
		if words[i].Lower == L.possessive && i+1 < len(words) && !(i > 0 && fl[i-1]&pfSubject != 0) &&
			!passiveClauseParticiple(words[i+1].Lower, fl[i+1], L) {
			continue // "zijn werk": the possessive
		}
		// Main clause: the participle follows the auxiliary ("wordt
		// geschreven"); subordinate clause or clause-final auxiliary: it may
		// precede it ("dat geschreven wordt", "ist geschrieben worden").
		// A participle right before the auxiliary is passive in any clause
		// ("der verwendet werden kann", "die gebruikt worden").
		from := i + 1
		switch {
		case subordinate:
			from = 1 // after the conjunction
		case i == len(words)-1:
			from = 0
		case i > 0:
			from = i - 1
		}
		for j := from; j < len(words); j++ {
			if j == i {
				continue
			}
			if L.german && ruleFirstUpper(words[j].Text) {
				continue
			}
			if j > 0 && j-1 != i && fl[j-1]&pfDeterminer != 0 {
				continue // "de gevolgen": a noun after a determiner (but "zijn verrast" is the auxiliary)
			}
			if state && fl[j]&pfStateExcep != 0 {
				continue
			}
			if j > 0 && fl[j-1]&pfInf != 0 {
				continue // "te ontvangen", "zu erhalten": an infinitive
			}
			if passiveClauseParticiple(words[j].Lower, fl[j], L) {
				return true
			}
		}
	}
	return false
}

// passiveClauseParticiple recognises Dutch and German past participles by
// their shape: ge-…-d/t/en, a separable prefix before ge-, an inseparable
// prefix with -d/-t (or a listed strong -en form), German -iert. f holds
// the word's flags.
func passiveClauseParticiple(w string, f passiveFlag, L *passiveClauseLang) bool {
	if len(w) < 5 || f&(pfNotPart|pfAux|pfState) != 0 {
		return false
	}
	if f&pfStrongEn != 0 {
		return true
	}
	if L.german && strings.HasSuffix(w, "iert") && len(w) > 6 {
		return true
	}
	rest := w
	for _, p := range L.separable {
		if strings.HasPrefix(w, p) && strings.HasPrefix(w[len(p):], "ge") {
			rest = w[len(p):]
			break
		}
	}
	if rest != w && L.flags[rest]&pfNotPart != 0 {
		return false // an infinitive with a separable prefix: "opgeven"
	}
	if rest == w {
		// A separable prefix before an inseparable one: "zurückversetzt",
		// "voorbereid".
		for _, p := range L.separable {
			if r := w[min(len(p), len(w)):]; strings.HasPrefix(w, p) && len(r) >= 6 {
				for _, q := range L.insep {
					if strings.HasPrefix(r, q) && (r[len(r)-1] == 't' || r[len(r)-1] == 'd') && !strings.HasSuffix(r, "heit") && !strings.HasSuffix(r, "heid") {
						return true
					}
				}
			}
		}
	}
	if strings.HasPrefix(rest, "ge") && len(rest) >= 5 {
		return passiveDTEn(rest)
	}
	for _, p := range L.insep {
		if strings.HasPrefix(w, p) && len(w) >= len(p)+3 {
			if strings.HasSuffix(w, "end") && !strings.HasSuffix(w, "kend") {
				return false // present participle: "verschillend"
			}
			if strings.HasSuffix(w, "heid") {
				return false
			}
			last := w[len(w)-1]
			return last == 'd' || last == 't'
		}
	}
	return false
}

func passiveDTEn(w string) bool {
	last := w[len(w)-1]
	if last == 'd' || last == 't' {
		return !strings.HasSuffix(w, "heid")
	}
	return strings.HasSuffix(w, "en") || strings.HasSuffix(w, "aan") || strings.HasSuffix(w, "ien")
}

// passiveRomanceLang holds a Romance language's tables.
type passiveRomanceLang struct {
	aux       lexSet // forms of the passive auxiliaries
	adverbs   lexSet // may stand between auxiliary and participle
	irregular lexSet // irregular participles, all forms
	endings   []string
	notPart   lexSet // words with a participle ending that are not passive here
	reflexive lexSet // a reflexive pronoun before the auxiliary makes it active
	advSuffix string // adverbs end in it ("ment", "mente")
	// clauseStops, when set, end the clause in which a participle may
	// follow its auxiliary at any distance; nil: only adverbs may stand
	// between them.
	clauseStops lexSet
}

func passiveRomance(words []Word, L *passiveRomanceLang) bool {
	for i := 0; i < len(words)-1; i++ {
		aux := words[i].Lower
		if head, elided := elidedHead(aux); elided && (head == "n'" || head == "qu'") {
			aux = aux[len(head):] // "n'est", "qu'était"
			if strings.HasPrefix(words[i].Lower[len(head)-1:], "’") {
				aux = words[i].Lower[len(head)+2:]
			}
		}
		if !L.aux.has(aux) || i > 0 && romanceReflexive(words, i-1, L) {
			continue
		}
		if L.clauseStops != nil {
			// The participle may stand anywhere in the auxiliary's clause,
			// which ends at a conjunction or relative pronoun.
			for j := i + 1; j < len(words) && !L.clauseStops.has(words[j].Lower); j++ {
				if passiveRomanceParticiple(words[j].Lower, L) {
					return true
				}
			}
			continue
		}
		for j := i + 1; j < len(words) && j <= i+3; j++ {
			w := words[j].Lower
			if passiveRomanceParticiple(w, L) {
				return true
			}
			if L.aux.has(w) || L.adverbs.has(w) || len(w) > len(L.advSuffix)+3 && strings.HasSuffix(w, L.advSuffix) {
				continue
			}
			break
		}
	}
	return false
}

// romanceReflexive reports a reflexive pronoun at words[k]: "se", "s'", …,
// and "nous"/"vous" only when doubled ("vous vous êtes connecté"), since
// a single one is the subject ("vous êtes connecté").
func romanceReflexive(words []Word, k int, L *passiveRomanceLang) bool {
	w := words[k].Lower
	if w == "nous" || w == "vous" {
		return k > 0 && words[k-1].Lower == w
	}
	return L.reflexive.has(w)
}

func passiveRomanceParticiple(w string, L *passiveRomanceLang) bool {
	if L.notPart.has(w) {
		return false
	}
	if L.irregular.has(w) {
		return true
	}
	for _, e := range L.endings {
		if len(w) > len(e)+1 && strings.HasSuffix(w, e) {
			return true
		}
	}
	return false
}
