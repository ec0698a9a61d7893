package analyze

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenizeDoc splits every block except code into sentences and words. All
// sentences share one backing array, and all words another; lower-cased
// forms that differ from the text share one string.
func tokenizeDoc(d *Doc) {
	// Estimate the counts so the backing arrays rarely grow: about one word
	// per space, one sentence per sentence mark.
	nWords, nSent := 0, 0
	for i := range d.Blocks {
		if t := d.Blocks[i].Text; d.Blocks[i].Kind != BlockCode {
			nWords += strings.Count(t, " ") + 2
			nSent += strings.Count(t, ". ") + 2
		}
	}
	nWords += nWords / 16
	words := make([]Word, 0, nWords)
	sents := make([]Sentence, 0, nSent)
	var wbuf [][2]int
	var bounds [][2]int
	var lower []byte
	type lowerRef struct{ w, a, b int }
	var lowers []lowerRef

	for bi := range d.Blocks {
		blk := &d.Blocks[bi]
		if blk.Kind == BlockCode {
			continue
		}
		sentStart := len(sents)
		bounds = splitSentences(blk.Text, bounds[:0])
		for _, sb := range bounds {
			a, z := sb[0], sb[1]
			wStart := len(words)
			wbuf = splitWords(blk.Text, a, z, wbuf[:0])
			for _, wb := range wbuf {
				t := blk.Text[wb[0]:wb[1]]
				sp := d.Span(blk, wb[0], wb[1])
				w := Word{Text: t, Lower: t, Start: sp.Start, End: sp.End}
				if hasUpper(t) {
					la := len(lower)
					lower = appendLower(lower, t)
					lowers = append(lowers, lowerRef{len(words), la, len(lower)})
				}
				words = append(words, w)
			}
			sp := d.Span(blk, a, z)
			sents = append(sents, Sentence{Text: blk.Text[a:z], Start: sp.Start, End: sp.End, Words: words[wStart:len(words):len(words)]})
		}
		blk.Sentences = sents[sentStart:len(sents):len(sents)]
	}
	if len(lowers) > 0 {
		all := string(lower)
		for _, l := range lowers {
			words[l.w].Lower = all[l.a:l.b]
		}
	}
	// Sentences point into words: if append reallocated words, earlier
	// slices still point at the arrays they were taken from, which lack the
	// Lower fields set above. Re-point them all at the final array.
	{
		wi := 0
		for bi := range d.Blocks {
			for si := range d.Blocks[bi].Sentences {
				s := &d.Blocks[bi].Sentences[si]
				n := len(s.Words)
				s.Words = words[wi : wi+n : wi+n]
				wi += n
			}
		}
	}
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
			if c < utf8.RuneSelf {
				return true
			}
			for _, r := range s[i:] {
				if unicode.IsUpper(r) || unicode.IsTitle(r) {
					return true
				}
			}
			return false
		}
	}
	return false
}

func appendLower(dst []byte, s string) []byte {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			dst = append(dst, byte(r))
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// isWordRune reports whether r belongs inside a word.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// splitWords appends to out the [start, end) byte ranges of the words in s[a:z].
// A word is a run of letters, digits and marks, joined by inner apostrophes,
// hyphens and dots ("don't", "e-mail", "3.5", "example.com") and by commas
// between digits ("1,000"). A URL or e-mail address is one word.
func splitWords(s string, a, z int, out [][2]int) [][2]int {
	for i := a; i < z; {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isASCIIAlnum(c) {
				i++
				continue
			}
		} else if r, n := utf8.DecodeRuneInString(s[i:z]); !isWordRune(r) {
			i += n
			continue
		}
		start := i
		i = wordEnd(s, i, z)
		// A URL or e-mail address is the whole run up to whitespace. Only a
		// word that stops at "@" or ":" or starts with "www." can be one.
		if i < z && (s[i] == '@' || s[i] == ':') || i-start >= 4 && hasPrefixFold(s[start:i], "www.") {
			if end := urlOrEmailEnd(s, start, z); end > start {
				i = end
			}
		}
		out = append(out, [2]int{start, i})
	}
	return out
}

// wordEnd returns the end of the word starting at i.
func wordEnd(s string, i, z int) int {
	for i < z {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIIAlnum(c) {
				i++
				continue
			}
			// An inner joiner followed by a word character.
			if (c == '\'' || c == '-' || c == '.' || c == ',' || c == '_' || c == '/') && i+1 < z && i > 0 {
				if c == ',' && !(isDigit(s[i-1]) && isDigit(s[i+1])) {
					return i
				}
				if r2, _ := utf8.DecodeRuneInString(s[i+1 : z]); isWordRune(r2) {
					i++
					continue
				}
			}
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:z])
		if isWordRune(r) {
			i += n
			continue
		}
		if isJoiner(r) && i+n < z {
			if r2, _ := utf8.DecodeRuneInString(s[i+n : z]); isWordRune(r2) {
				i += n
				continue
			}
		}
		return i
	}
	return i
}

func isJoiner(r rune) bool {
	switch r {
	case '\'', '’', '-', '‐', '.', ',', '_', '·':
		return true
	}
	return false
}

// urlOrEmailEnd returns the end of the URL or e-mail address starting at i,
// or i if there is none. Trailing punctuation is not part of it.
func urlOrEmailEnd(s string, i, z int) int {
	j := i
	at, colonSlash := -1, -1
	// Longer runs are not taken for a URL; the bound keeps splitting
	// linear on long runs without spaces ("a@a@a@…").
	limit := min(z, i+maxURLLen)
	for j < limit {
		c := s[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		if c == '@' && at < 0 {
			at = j - i
		} else if c == ':' && colonSlash < 0 && j+2 < z && s[j+1] == '/' && s[j+2] == '/' {
			colonSlash = j - i
		}
		j++
	}
	if j == limit && limit < z && !isSpaceByte(s[j]) {
		return i // too long
	}
	run := s[i:j]
	if len(run) < 5 {
		return i
	}
	isURL := colonSlash > 0 && colonSlash < 12 || hasPrefixFold(run, "www.") ||
		at > 0 && at < len(run)-3 && indexByte(run[at:], '.') > 1
	if !isURL {
		return i
	}
	for j > i {
		switch s[j-1] {
		case '.', ',', ';', ':', '!', '?', ')', ']', '"', '\'', '>':
			j--
			continue
		}
		break
	}
	// Do not end inside a multi-byte character.
	for j > i && j < z && !utf8.RuneStart(s[j]) {
		j--
	}
	return j
}

// maxURLLen is the longest URL or e-mail address taken as one word.
const maxURLLen = 512

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

// splitSentences appends to out the [start, end) ranges of the sentences of
// s, trimmed of surrounding spaces. A sentence ends at ".", "!", "?" or "…"
// (with any closing quotes and brackets) followed by whitespace and a
// character that is not a lower-case letter, unless the "." ends an
// abbreviation ("e.g.", "bijv.", "Dr."), an initial ("J.") or an ordinal
// before a month or number. Decimals, URLs and e-mail addresses contain no
// whitespace after their dots and never end a sentence.
func splitSentences(s string, out [][2]int) [][2]int {
	start := skipSpaces(s, 0)
	for i := start; i < len(s); {
		c := s[i]
		term := c == '.' || c == '!' || c == '?'
		if !term && c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0xA6 { // …
			term = true
		}
		if !term {
			i++
			continue
		}
		// The run of terminators, then closing quotes and brackets.
		j := i
		onlyDot := true
		for j < len(s) {
			if s[j] == '.' {
				j++
			} else if s[j] == '!' || s[j] == '?' {
				onlyDot = false
				j++
			} else if j+2 < len(s) && s[j] == 0xE2 && s[j+1] == 0x80 && s[j+2] == 0xA6 {
				onlyDot = false
				j += 3
			} else {
				break
			}
		}
		dots := j - i
		j = skipClosers(s, j)
		if j >= len(s) {
			break
		}
		if !isSpaceByte(s[j]) {
			i = j
			continue
		}
		next := skipSpaces(s, j)
		if next >= len(s) {
			break
		}
		nr, _ := utf8.DecodeRuneInString(s[next:])
		if unicode.IsLower(nr) {
			i = next
			continue
		}
		if onlyDot && dots == 1 && abbreviationBefore(s, start, i, nr) {
			i = next
			continue
		}
		out = append(out, [2]int{start, trimRight(s, start, j)})
		start = next
		i = next
	}
	if end := trimRight(s, start, len(s)); end > start {
		out = append(out, [2]int{start, end})
	}
	return out
}

func skipSpaces(s string, i int) int {
	for i < len(s) && isSpaceByte(s[i]) {
		i++
	}
	return i
}

func trimRight(s string, a, z int) int {
	for z > a && isSpaceByte(s[z-1]) {
		z--
	}
	return z
}

// skipClosers skips closing quotes and brackets at i.
func skipClosers(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == '"' || s[i] == '\'' || s[i] == ')' || s[i] == ']':
			i++
		case hasPrefixAt(s, i, "”"), hasPrefixAt(s, i, "’"), hasPrefixAt(s, i, "»"), hasPrefixAt(s, i, "“"):
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		default:
			return i
		}
	}
	return i
}

func hasPrefixAt(s string, i int, p string) bool {
	return len(s)-i >= len(p) && s[i:i+len(p)] == p
}

// abbreviationBefore reports whether the "." at s[dot] ends an abbreviation,
// an initial or an ordinal number rather than a sentence; next is the first
// character after the following space.
func abbreviationBefore(s string, start, dot int, next rune) bool {
	k := dot
	for k > start && !isSpaceByte(s[k-1]) && s[k-1] != '(' && s[k-1] != '"' {
		k--
	}
	tok := s[k:dot]
	if tok == "" {
		return false
	}
	// A single letter: an initial ("J. R. R. Tolkien").
	if r, n := utf8.DecodeRuneInString(tok); n == len(tok) && unicode.IsLetter(r) {
		return true
	}
	// Dotted short forms: "e.g", "d.w.z", "z.B", "U.S".
	if indexByte(tok, '.') > 0 && len(tok) <= 8 {
		short := true
		for part := tok; part != ""; {
			p := indexByte(part, '.')
			seg := part
			if p >= 0 {
				seg, part = part[:p], part[p+1:]
			} else {
				part = ""
			}
			if utf8.RuneCountInString(seg) > 2 {
				short = false
			}
		}
		if short {
			return true
		}
	}
	// An ordinal ("am 3. Oktober", "de 2. Mai") before a number or a word
	// in a language that writes ordinals with a dot: only when followed by
	// a digit, to keep "in 2023. The" a sentence end.
	if isAllDigits(tok) && len(tok) <= 2 && unicode.IsDigit(next) {
		return true
	}
	var buf [16]byte
	if len(tok) > len(buf) {
		return false
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return abbreviations[string(buf[:n])]
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// abbreviations are common abbreviations (without their final dot) after
// which a "." does not end a sentence, in the supported languages. Our own
// list. Abbreviations that often end a sentence ("etc.", "usw.") are left
// out on purpose.
var abbreviations = map[string]bool{
	// English
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true, "st": true,
	"vs": true, "approx": true, "dept": true, "fig": true, "inc": true, "ltd": true, "co": true,
	"vol": true, "ch": true, "p": true, "pp": true, "feb": true,
	"apr": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"e.g": true, "i.e": true, "cf": true, "gov": true, "mt": true, "rev": true, "capt": true,
	// Dutch
	"dhr": true, "mevr": true, "mw": true, "bijv": true, "bv": true, "o.a": true, "d.w.z": true, "m.b.t": true,
	"i.p.v": true, "t.a.v": true, "m.u.v": true, "ca": true, "nr": true, "blz": true, "evt": true, "incl": true,
	"excl": true, "ing": true, "ir": true, "drs": true, "zgn": true, "resp": true, "jl": true, "vnl": true,
	// German
	"z.b": true, "bzw": true, "ggf": true, "hr": true, "fr": true, "u.a": true, "d.h": true, "vgl": true,
	"inkl": true, "ggü": true, "sog": true, "str": true, "tel": true, "evtl": true,
	// French
	"mme": true, "mlle": true, "env": true, "av": true, "bd": true, "p.ex": true,
	// Spanish / Portuguese / Italian
	"sra": true, "srta": true, "dra": true, "ud": true, "uds": true, "p.ej": true, "pág": true, "núm": true,
	"sig": true, "dott": true, "avv": true, "sig.ra": true, "pag": true, "ecc": true, "etc": true, "vd": true,
}
