package analyze

import (
	"unicode"
	"unicode/utf8"
)

// Syllable counting is rule based per language: count groups of adjacent
// vowels, split a group where the language pronounces two vowels apart
// (hiatus), and correct for silent endings. The rules and the few
// exceptions are Copydesk's own; see README.md.

// vowel classes
const (
	vNone   = iota // consonant or not a letter
	vWeak          // i, u, y
	vStrong        // a, e, o and their accented forms
	vBreak         // starts a syllable of its own: a trema (ë, ï) or an accented weak vowel (í, ú)
)

func vowelClass(lang string, r rune) int {
	switch r {
	case 'a', 'e', 'o':
		return vStrong
	case 'i', 'u':
		return vWeak
	case 'y':
		if lang == "es" || lang == "it" || lang == "pt" {
			return vNone // consonant, except at the end of a word (handled by the caller)
		}
		return vWeak
	case 'á', 'à', 'â', 'ã', 'é', 'è', 'ê', 'ó', 'ò', 'ô', 'õ', 'æ', 'œ':
		return vStrong
	case 'ä', 'ö':
		if lang == "de" {
			return vStrong
		}
		if lang == "nl" {
			return vBreak
		}
		return vStrong
	case 'ü':
		switch lang {
		case "de":
			return vWeak
		case "es", "pt":
			return vWeak // güe, güi: the u is pronounced but glides
		}
		return vBreak
	case 'ë', 'ï', 'ÿ':
		return vBreak
	case 'í', 'ì', 'ú', 'ù':
		if lang == "es" || lang == "it" || lang == "pt" {
			return vBreak
		}
		return vWeak
	case 'î', 'û':
		return vWeak
	}
	return vNone
}

// syllables returns the number of syllables of a lower-case word in lang;
// at least 1 for any word.
func syllables(lang, w string) int {
	return syllablesWith(syllableExceptionTables[lang], lang, w)
}

// exceptionTable holds a language's syllable exceptions with a filter that
// rules out most words before the map lookup.
type exceptionTable struct {
	words  map[string]int
	filter [4]uint64 // bit exceptionKey(w) set for every exception
}

// exceptionKey hashes a word's length and first and last bytes to 0-255.
func exceptionKey(w string) uint {
	return (uint(w[0])*31 + uint(w[len(w)-1])*7 + uint(len(w))) & 255
}

// mayHave reports whether w can be an exception.
func (t *exceptionTable) mayHave(w string) bool {
	if t == nil || w == "" {
		return false
	}
	k := exceptionKey(w)
	return t.filter[k>>6]&(1<<(k&63)) != 0
}

// syllableExceptionTables are built once from syllableExceptions.
var syllableExceptionTables = func() map[string]*exceptionTable {
	m := map[string]*exceptionTable{}
	for lang, words := range syllableExceptions {
		t := &exceptionTable{words: words}
		for w := range words {
			k := exceptionKey(w)
			t.filter[k>>6] |= 1 << (k & 63)
		}
		m[lang] = t
	}
	return m
}()

// syllablesWith is syllables with the language's exceptions looked up
// once by the caller.
func syllablesWith(exceptions *exceptionTable, lang, w string) int {
	if exceptions.mayHave(w) {
		if n, ok := exceptions.words[w]; ok {
			return n
		}
	}
	count := 0
	var prev, prev2 rune
	prevClass := vNone
	last := len(w)
	for i, r := range w {
		if r >= utf8.RuneSelf && !unicode.IsLetter(r) {
			prevClass, prev2, prev = vNone, prev, r
			continue
		}
		c := vowelClass(lang, r)
		if r == 'y' && c == vNone && i == last-1 && prevClass == vNone {
			c = vWeak // "hay" has a glide, "ley" too; "y" alone after a consonant is a vowel
		}
		if c == vNone {
			prevClass, prev2, prev = vNone, prev, r
			continue
		}
		switch {
		case prevClass == vNone:
			count++
		case c == vBreak || prevClass == vBreak && lang != "nl" && lang != "fr":
			count++
		case hiatus(lang, prev2, prev, r, i+utf8.RuneLen(r) == len(w)):
			count++
		}
		prevClass, prev2, prev = c, prev, r
	}
	if count == 0 {
		return 0 // no vowel: an abbreviation or a symbol ("cd", "gpl"), as Yoast counts it
	}
	count -= silentEndings(lang, w, count)
	if count < 1 {
		count = 1
	}
	return count
}

func isStrong(r rune) bool {
	switch r {
	case 'a', 'e', 'o', 'á', 'à', 'â', 'ã', 'é', 'è', 'ê', 'ó', 'ò', 'ô', 'õ':
		return true
	}
	return false
}

// hiatus reports whether vowel b after vowel a (after p) starts a new
// syllable.
func hiatus(lang string, p, a, b rune, atEnd bool) bool {
	switch lang {
	case "es", "it", "pt":
		if isStrong(a) && isStrong(b) {
			if lang == "pt" && (a == 'ã' || a == 'õ') {
				return false // não, mãe, põe
			}
			return true
		}
		// Portuguese pronounces an unaccented i or u before a vowel apart
		// (di-as, bi-o-ló-gi-ca, su-as), except at the very end of a word,
		// where the pair is counted as one (dia, ba-te-ria, sua), and the u
		// of qu/gu (que, guerra).
		if lang == "pt" && !atEnd && (a == 'i' || a == 'u') && isStrong(b) && !(a == 'u' && (p == 'q' || p == 'g')) {
			return true
		}
	case "de":
		switch {
		case a == 'i' && (b == 'a' || b == 'o'), a == 'e' && (b == 'a' || b == 'o'), a == 'o' && b == 'a':
			return true // Radio, Theater, Video
		case p == 'e' && a == 'u' && b == 'e':
			return true // Feuer, neue
		}
	case "en":
		if a == 'i' && (b == 'a' || b == 'o') && !isOneOf(p, 't', 's', 'c', 'g', 'x') {
			return true // radio, media, variable; not nation, social, region
		}
		if a == 'u' && b == 'a' && !isOneOf(p, 'q', 'g') {
			return true // actual, usual; not quality, guard
		}
	case "nl":
		switch {
		case a == 'i' && (b == 'a' || b == 'o') && p != 'i' && !(p == 't' && b == 'o'):
			return true // radio, piano, via; not -tio- (functionaliteit, operationeel)
		case a == 'i' && b == 'u', a == 'o' && b == 'a' && p != 'o', a == 'e' && b == 'a' && p != 'e':
			return true // medium, zo-als, ge-avanceerd, the-ater
		}
	}
	return false
}

func isOneOf(r rune, set ...rune) bool {
	for _, s := range set {
		if r == s {
			return true
		}
	}
	return false
}

func isVowelByte(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

func isConsonantByte(c byte) bool {
	return c >= 'a' && c <= 'z' && !isVowelByte(c)
}

// silentEndings returns how many counted vowel groups are not pronounced
// at the end of w: English and French silent e, English -es and -ed.
func silentEndings(lang, w string, count int) int {
	n := len(w)
	if count < 2 || n < 3 {
		return 0
	}
	switch lang {
	case "en":
		switch {
		case w[n-1] == 'e' && isConsonantByte(w[n-2]):
			if w[n-2] == 'l' && isConsonantByte(w[n-3]) {
				return 0 // table, little
			}
			return 1 // make, time
		case w[n-2:] == "es" && isConsonantByte(w[n-3]):
			if isOneOf(rune(w[n-3]), 's', 'x', 'z', 'c', 'g') || n >= 4 && (w[n-4:n-2] == "ch" || w[n-4:n-2] == "sh") {
				return 0 // boxes, pages, wishes
			}
			if w[n-3] == 'l' && n >= 4 && isConsonantByte(w[n-4]) {
				return 0 // tables
			}
			return 1 // makes, times
		case w[n-2:] == "ed" && isConsonantByte(w[n-3]):
			if w[n-3] == 't' || w[n-3] == 'd' {
				return 0 // wanted, needed
			}
			return 1 // jumped
		}
	case "fr":
		switch {
		case w[n-1] == 'e' && isConsonantByte(w[n-2]):
			return 1 // belle, promenade
		case w[n-2:] == "es" && isConsonantByte(w[n-3]):
			return 1 // tables
		case n >= 4 && w[n-3:] == "ent" && isConsonantByte(w[n-4]) && w[n-4] != 'm':
			return 0
		}
	}
	return 0
}

// syllableExceptions are words the rules above count wrong, per language.
var syllableExceptions = map[string]map[string]int{
	"en": {
		"people": 2, "business": 2, "area": 3, "idea": 3, "create": 2, "created": 3, "creates": 2, "being": 2,
		"every": 2, "everything": 3, "everyone": 3, "science": 2, "quiet": 2, "poem": 2, "poet": 2, "video": 3,
		"real": 1, "really": 2, "ideas": 3, "areas": 3, "going": 2, "doing": 2, "seeing": 2, "the": 1,
		"one": 1, "once": 1, "someone": 2, "something": 2, "sometimes": 2, "themselves": 2, "are": 1,
		"were": 1, "there": 1, "where": 1, "here": 1, "more": 1, "before": 2, "sure": 1, "whole": 1,
		"use": 1, "used": 1, "uses": 2, "write": 1, "home": 1, "page": 1, "pages": 2, "site": 1, "sites": 1,
	},
	"nl": {
		"theater": 3, "museum": 3, "idee": 2, "ideeën": 3, "oceaan": 3, "januari": 4, "februari": 4, "koala": 3,
		"e-mail": 2, "email": 2, "website": 2, "websites": 2, "online": 2, "software": 2, "hardware": 2,
	},
	"de": {
		"museum": 3, "idee": 2, "ideen": 3, "januar": 3, "e-mail": 2, "email": 2, "website": 2, "online": 2,
	},
	"fr": {
		"piano": 3, "idée": 2, "idées": 2, "pays": 2, "ciel": 1, "voici": 2, "site": 1, "web": 1,
	},
	"es": {},
	"it": {"ciao": 1, "mio": 2, "tuo": 2, "suo": 2},
	"pt": {},
}
