package translation

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// protectRE (compiled on first use: its counted repetitions make a large
// program) finds what is never translated inside text: template variables
// ({{var}}, {name}), printf verbs (%s, %1$s, %.2f), URLs, e-mail addresses
// and text that looks like a placeholder itself.
var protectRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{[^{}\n]{1,100}\}\}` +
		`|\{[A-Za-z0-9_.\-]{1,60}\}` +
		`|%(?:[0-9]+\$)?[-+0#]*[0-9]*(?:\.[0-9]+)?[sdifuxXeEgGcv]` +
		`|(?:https?|ftp)://[^\s<>"'\[\]()]+|www\.[A-Za-z0-9\-]+\.[^\s<>"'\[\]()]+` +
		`|[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}` +
		`|</?x[0-9]+/?>`)
})

// span is a byte range [start, end) of protected text; term is the
// do-not-translate term it is, if any.
type span struct {
	start, end int
	term       string
}

// protectSpans returns the protected ranges of s, in order, without
// overlaps: pattern matches and whole-word occurrences of the
// do-not-translate terms.
func protectSpans(s string, dnt []string) []span {
	var out []span
	for _, m := range protectRE().FindAllStringIndex(s, -1) {
		end := m[1]
		if s[m[0]] != '{' && s[m[0]] != '%' && s[m[0]] != '<' {
			// URLs and addresses do not end with sentence punctuation.
			for end > m[0] && strings.IndexByte(".,;:!?", s[end-1]) >= 0 {
				end--
			}
		}
		if end > m[0] {
			out = append(out, span{start: m[0], end: end})
		}
	}
	for _, term := range dnt {
		for at := 0; at < len(s); {
			i := strings.Index(s[at:], term)
			if i < 0 {
				break
			}
			i += at
			if wordBoundary(s, i, i+len(term)) {
				out = append(out, span{start: i, end: i + len(term), term: term})
			}
			at = i + max(1, len(term))
		}
	}
	if len(out) < 2 {
		return out
	}
	slices.SortStableFunc(out, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end // the longer first
	})
	kept := out[:1]
	for _, sp := range out[1:] {
		if sp.start >= kept[len(kept)-1].end {
			kept = append(kept, sp)
		}
	}
	return kept
}

// wordBoundary reports whether s[i:j] is a whole word: no letter or digit
// right before or after it.
func wordBoundary(s string, i, j int) bool {
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if isWordRune(r) {
			return false
		}
	}
	if j < len(s) {
		r, _ := utf8.DecodeRuneInString(s[j:])
		if isWordRune(r) {
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// containsWord reports whether term occurs in s as a whole word.
func containsWord(s, term string) bool {
	if term == "" {
		return false
	}
	for at := 0; at < len(s); {
		i := strings.Index(s[at:], term)
		if i < 0 {
			return false
		}
		i += at
		if wordBoundary(s, i, i+len(term)) {
			return true
		}
		at = i + len(term)
	}
	return false
}

// addText adds a run of input text to b: protected ranges become
// placeholders, the rest text. decode turns input bytes into the text a
// model reads (nil: as is); with breaks set, line breaks are kept as
// placeholders (plain text), otherwise decode is expected to fold them.
func addText(b *builder, raw string, dnt []string, decode func(string) string, breaks bool) {
	plain := func(s string) {
		if !breaks {
			src := s
			if decode != nil {
				src = decode(s)
			}
			if placeholderRE.MatchString(src) {
				b.empty(s) // decoded text that looks like a placeholder: keep it untouched
				return
			}
			b.text(s, src)
			return
		}
		for s != "" {
			i := strings.IndexAny(s, "\r\n")
			if i < 0 {
				b.text(s, s)
				return
			}
			b.text(s[:i], s[:i])
			n := 1
			if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
			b.empty(s[i : i+n])
			s = s[i+n:]
		}
	}
	at := 0
	for _, sp := range protectSpans(raw, dnt) {
		plain(raw[at:sp.start])
		b.empty(raw[sp.start:sp.end])
		if sp.term != "" {
			b.protected = append(b.protected, sp.term)
		}
		at = sp.end
	}
	plain(raw[at:])
}

// foldSpace replaces every run of white space with one space.
func foldSpace(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) && r != ' ' }) && !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	in := false
	for _, r := range s {
		if unicode.IsSpace(r) && r != '\u00a0' {
			if !in {
				b.WriteByte(' ')
			}
			in = true
			continue
		}
		in = false
		b.WriteRune(r)
	}
	return b.String()
}
