package analyze

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the machinery shared by the language rules (grammar, tone,
// sentiment, passive voice, transition words): read-only word and phrase
// tables built once at package initialisation from the lists in the
// lexicon_*.go, tone_*.go, transition_*.go and passive_*.go files. Nothing
// here is mutated after init. The lists are ours; see DATA-LICENSES.md.

// lexSet is a read-only set of lower-cased words.
type lexSet map[string]struct{}

// newLexSet builds a set from lower-cased words. Words written with a
// straight apostrophe are also stored with a typographic one, and the
// reverse, so that lookups on Word.Lower need no normalisation.
func newLexSet(words ...string) lexSet {
	s := make(lexSet, len(words)*2)
	for _, w := range words {
		for _, v := range lexApostropheVariants(w) {
			s[v] = struct{}{}
		}
	}
	return s
}

func (s lexSet) has(w string) bool {
	_, ok := s[w]
	return ok
}

// lexApostropheVariants returns w with straight and typographic apostrophes.
func lexApostropheVariants(w string) []string {
	switch {
	case strings.Contains(w, "'"):
		return []string{w, strings.ReplaceAll(w, "'", "’")}
	case strings.Contains(w, "’"):
		return []string{w, strings.ReplaceAll(w, "’", "'")}
	}
	return []string{w}
}

// lexPhrases matches single words and multi-word phrases against a
// sentence's words. It is keyed by the first word; each value lists the
// remaining words of every phrase starting with it (an empty tail is the
// single word itself).
type lexPhrases map[string][][]string

// newLexPhrases builds a phrase table from lower-cased entries separated by
// spaces. A hyphenated entry ("game-changing") matches both as one token and
// as its parts, since writers do both.
func newLexPhrases(entries ...string) lexPhrases {
	p := make(lexPhrases, len(entries))
	add := func(words []string) {
		for _, first := range lexApostropheVariants(words[0]) {
			p[first] = append(p[first], words[1:])
		}
	}
	for _, e := range entries {
		words := strings.Fields(e)
		if len(words) == 0 {
			continue
		}
		add(words)
		if strings.Contains(e, "-") {
			add(strings.Fields(strings.ReplaceAll(e, "-", " ")))
		}
	}
	return p
}

// matchAt returns the number of words of the longest entry that matches
// words[i:], or 0.
//
// An entry word that ends in an apostrophe is an elided form ("qu'",
// "lorsqu'"): it matches the start of a word ("qu’elles", "lorsqu'il").
func (p lexPhrases) matchAt(words []Word, i int) int {
	tails, ok := p[words[i].Lower]
	if !ok {
		if head, elided := elidedHead(words[i].Lower); elided {
			tails, ok = p[head]
		}
		if !ok {
			return 0
		}
	}
	best := 0
	for _, tail := range tails {
		if len(tail)+1 <= best || i+len(tail) >= len(words) && len(tail) > 0 {
			continue
		}
		match := true
		for k, t := range tail {
			if w := words[i+1+k].Lower; w != t {
				if head, elided := elidedHead(w); !elided || head != t {
					match = false
					break
				}
			}
		}
		if match {
			best = len(tail) + 1
		}
	}
	return best
}

// elidedHead returns the elided head of a word with an inner apostrophe,
// written with a straight apostrophe: "qu’elles" gives "qu'".
func elidedHead(w string) (string, bool) {
	for i := 1; i < len(w); i++ {
		switch {
		case w[i] == '\'' && i+1 < len(w):
			return w[:i+1], true
		case strings.HasPrefix(w[i:], "’") && i+3 < len(w):
			return w[:i] + "'", true
		}
	}
	return "", false
}

// lexInflect adds the regular inflected forms of adjectives to a word list:
// the Dutch and German attributive -e (and German -en, -er, -es, -em), the
// French feminine and plural, the Spanish, Italian and Portuguese gender and
// number endings. Irregular forms are listed explicitly in the tables.
func lexInflect(lang string, words []string) []string {
	out := make([]string, 0, len(words)*4)
	for _, w := range words {
		out = append(out, w)
		if strings.ContainsRune(w, ' ') {
			continue
		}
		switch lang {
		case "nl":
			if !strings.HasSuffix(w, "e") {
				out = append(out, w+"e")
			}
		case "de":
			out = append(out, w+"e", w+"en", w+"er", w+"es", w+"em")
		case "fr":
			if strings.HasSuffix(w, "e") {
				out = append(out, w+"s")
			} else {
				out = append(out, w+"e", w+"s", w+"es")
			}
		case "es", "pt":
			if stem, ok := strings.CutSuffix(w, "o"); ok {
				out = append(out, stem+"a", stem+"os", stem+"as")
			} else if !strings.HasSuffix(w, "s") {
				out = append(out, w+"s", w+"es")
			}
		case "it":
			if stem, ok := strings.CutSuffix(w, "o"); ok {
				out = append(out, stem+"a", stem+"i", stem+"e")
			} else if stem, ok := strings.CutSuffix(w, "e"); ok {
				out = append(out, stem+"i")
			}
		}
	}
	return out
}

// ruleWordCount counts the words of the analyzable blocks of d.
func ruleWordCount(d *Doc) int {
	n := 0
	for bi := range d.Blocks {
		for si := range d.Blocks[bi].Sentences {
			n += len(d.Blocks[bi].Sentences[si].Words)
		}
	}
	return n
}

// ruleClamp bounds a score to 0-100.
func ruleClamp(x float64) int {
	switch {
	case x < 0:
		return 0
	case x > 100:
		return 100
	}
	return int(x + 0.5)
}

// ruleFirstUpper reports whether w starts with an upper-case ASCII letter or
// a non-ASCII upper-case letter.
func ruleFirstUpper(w string) bool {
	if w == "" {
		return false
	}
	c := w[0]
	if c < 0x80 {
		return c >= 'A' && c <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}
