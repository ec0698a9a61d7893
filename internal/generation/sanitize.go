package generation

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
)

// Model-written content is untrusted. Every string of a block is reduced to
// plain text before it is stored or shown; links are reduced to a short
// list of safe forms. The policies are configured once and only read after.

// strict removes every tag, and the content of script, style and the like.
var strict = sync.OnceValue(bluemonday.StrictPolicy)

// maxUnwrap bounds how many layers of HTML escaping plainText peels off.
const maxUnwrap = 8

// plainText returns s as plain text: tags removed (with the content of
// script and style elements), entities decoded, so that "&amp;" is stored
// as "&" and encoded once by whichever renderer shows it. Decoding can
// reveal markup that was escaped ("&lt;script&gt;"), so the two steps
// repeat until nothing changes; a text still changing after maxUnwrap
// rounds loses its angle brackets. Control characters and invisible
// format characters are dropped, white space collapsed to single spaces,
// and script URL schemes in the text broken (see scriptScheme).
func plainText(s string) string {
	s = strings.Map(textRune, strings.ToValidUTF8(s, ""))
	stable := false
	for range maxUnwrap {
		next := html.UnescapeString(strict().Sanitize(s))
		if next == s {
			stable = true
			break
		}
		s = next
	}
	if !stable {
		s = strings.Map(func(r rune) rune {
			if r == '<' || r == '>' {
				return -1
			}
			return r
		}, s)
	}
	// Decoding may have revealed characters the first pass drops
	// ("&#x200b;", "&#0;").
	s = strings.Map(textRune, s)
	s = scriptScheme.ReplaceAllStringFunc(s, breakScheme)
	return strings.Join(strings.Fields(s), " ")
}

// textRune maps one rune of text: line breaks and tabs to spaces, control
// and invisible characters and U+FFFD dropped.
func textRune(r rune) rune {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return ' '
	case unicode.IsControl(r), r == unicode.ReplacementChar, isInvisible(r):
		return -1
	}
	return r
}

// scriptScheme finds script URL schemes in text. No copy needs one, and
// text is not always shown by careful renderers (a CMS may turn text that
// looks like a link into one), so "javascript:" in text becomes
// "javascript :", which nothing reads as a scheme. The soft hyphen and the
// zero-width joiner, which text keeps, are matched through
// ("java\u00adscript:"), since a renderer or a copy and paste may drop
// them and leave the scheme whole.
var scriptScheme = regexp.MustCompile(`(?i)(` + throughJoiners("javascript") + `|` + throughJoiners("vbscript") + `|` +
	throughJoiners("livescript") + `)[\s\x{00AD}\x{200D}]*:`)

// throughJoiners is a pattern of word with any soft hyphens and zero-width
// joiners between its letters.
func throughJoiners(word string) string {
	letters := strings.Split(word, "")
	return strings.Join(letters, `[\x{00AD}\x{200D}]*`)
}

// breakScheme rewrites one scriptScheme match as its letters, a space and
// the colon ("Java\u200dScript :"), the joiners inside it removed.
func breakScheme(m string) string {
	m = strings.Map(func(r rune) rune {
		if isJoiner(r) {
			return -1
		}
		return r
	}, m)
	return strings.TrimRightFunc(strings.TrimSuffix(m, ":"), unicode.IsSpace) + " :"
}

// isInvisible reports format characters that hide text or reverse its
// direction (zero-width spaces, bidi overrides); none belongs in copy.
// The soft hyphen and the zero-width joiner (emoji sequences) stay in
// text; see isJoiner.
func isInvisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) && !isJoiner(r)
}

// isJoiner reports the two format characters text keeps: U+00AD (soft
// hyphen) and U+200D (zero-width joiner). A URL holds neither.
func isJoiner(r rune) bool { return r == '\u00ad' || r == '\u200d' }

// safeURL returns raw when it is a link target a page may carry: an
// http(s) URL with a host, mailto:, tel:, a relative path or a "#anchor";
// anything else (javascript:, data:, vbscript:, protocol-relative //host,
// and every disguise of them by case, entities, white space or control
// characters) becomes "#". Entities are decoded first, as a browser would
// decode them in an attribute (a URL still holding entities after that is
// refused); tabs and newlines are removed anywhere and
// control characters and spaces at both ends, as browsers do before they
// read the scheme.
func safeURL(raw string) string {
	s := html.UnescapeString(raw)
	if html.UnescapeString(s) != s {
		return "#" // still entities after decoding: a disguise, not a link
	}
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	if s == "" || len(s) > 2048 {
		return "#"
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`<>"'`+"`\\", r) {
			return "#"
		}
	}
	lower := strings.ToLower(s)
	if scriptScheme.MatchString(lower) {
		return "#" // a script scheme anywhere (…?next=javascript:…) is not worth the risk
	}
	switch {
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.User != nil {
			return "#"
		}
		return s
	case strings.HasPrefix(lower, "mailto:"):
		if emailRE.MatchString(s[len("mailto:"):]) {
			return s
		}
		return "#"
	case strings.HasPrefix(lower, "tel:"):
		if n := s[len("tel:"):]; phoneRE.MatchString(n) {
			return s[:len("tel:")] + trunkPrefix.ReplaceAllString(n, "$1")
		}
		return "#"
	case strings.HasPrefix(s, "#"):
		return s
	case strings.HasPrefix(s, "//"):
		return "#" // protocol-relative: another host
	}
	// A relative reference: no scheme, which means no colon before the
	// first slash, question mark or hash.
	first := s
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		first = s[:i]
	}
	if strings.Contains(first, ":") {
		return "#"
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "" || u.Host != "" {
		return "#"
	}
	return s
}

var (
	emailRE = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9][0-9().-]{2,30}$`)
	// phoneTextRE is what a phone number shown as text may contain.
	phoneTextRE = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{2,30}$`)
)

// safeEmail returns the plain text of s when it is an email address, else "".
func safeEmail(s string) string {
	s = plainText(s)
	if emailRE.MatchString(s) {
		return s
	}
	return ""
}

// safePhone returns the plain text of s when it is a phone number, else "".
func safePhone(s string) string {
	s = plainText(s)
	if phoneTextRE.MatchString(s) {
		return s
	}
	return ""
}

// trunkPrefix is a national trunk prefix written after a country code,
// as in "+31 (0)30 …": it is not dialled from abroad.
var trunkPrefix = regexp.MustCompile(`^(\+[0-9]{1,3})[ .-]*\(\s*0\s*\)`)

// telURL is the tel: link of a phone number that passed safePhone: its
// digits and leading "+", a "(0)" trunk prefix after a "+" country code
// dropped ("+31 (0)30 123 45 67" is tel:+31301234567).
func telURL(phone string) string {
	phone = trunkPrefix.ReplaceAllString(strings.TrimSpace(phone), "$1")
	return "tel:" + strings.Map(func(r rune) rune {
		if r == '+' || (r >= '0' && r <= '9') {
			return r
		}
		return -1
	}, phone)
}
