package analyze

import (
	"strconv"
	"strings"
)

// Locales: findings' messages and label texts are written in one of the
// seven supported languages, chosen by Input.Locale; anything else falls
// back to English. The catalog (messages.go) is a static array, so choosing
// a locale costs no initialisation and no allocation beyond the message.

// locale indexes a catalog row: the seven languages in SupportedLanguages
// order.
type locale uint8

const (
	locNL locale = iota
	locEN
	locDE
	locFR
	locES
	locIT
	locPT
	numLocales
)

// localeCodes are the ISO 639-1 codes of the locales, by index.
var localeCodes = [numLocales]string{"nl", "en", "de", "fr", "es", "it", "pt"}

// localeOf resolves a language tag ("nl", "nl-BE", "pt_BR", "EN") to a
// locale; an empty or unsupported tag gives English.
func localeOf(tag string) locale {
	l, ok := lookupLocale(tag)
	if !ok {
		return locEN
	}
	return l
}

func lookupLocale(tag string) (locale, bool) {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) != 2 {
		return 0, false
	}
	tag = strings.ToLower(tag)
	for i, c := range localeCodes {
		if c == tag {
			return locale(i), true
		}
	}
	return 0, false
}

// ResolveLocale returns the ISO 639-1 code of the language messages are
// written in for a requested locale: one of SupportedLanguages for a
// supported tag (region subtags are accepted: "nl-BE" gives "nl"), "en" for
// an empty or unsupported one.
func ResolveLocale(tag string) string { return localeCodes[localeOf(tag)] }

// LocaleFromAcceptLanguage picks the supported language an HTTP
// Accept-Language header prefers most ("de-CH, fr;q=0.8" gives "de"), or ""
// when it names none of SupportedLanguages. Ranges with q=0 are never
// chosen; "*" is ignored.
func LocaleFromAcceptLanguage(header string) string {
	best, bestQ := "", -1.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if params != "" {
			for p := range strings.SplitSeq(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.TrimSpace(k) == "q" {
					f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					if err != nil {
						f = 0
					}
					q = f
				}
			}
		}
		l, ok := lookupLocale(tag)
		if !ok || q <= 0 || q <= bestQ {
			continue
		}
		best, bestQ = localeCodes[l], q
	}
	return best
}

// msg renders message k in locale l: {0}, {1}, … are replaced by args.
func (l locale) msg(k msgKey, args ...string) string {
	t := catalog[k][l]
	if t == "" {
		t = catalog[k][locEN]
	}
	if strings.IndexByte(t, '{') < 0 {
		return t
	}
	var b strings.Builder
	b.Grow(len(t) + 16*len(args))
	for i := 0; i < len(t); i++ {
		if t[i] == '{' && i+2 < len(t) && t[i+2] == '}' && t[i+1] >= '0' && t[i+1] <= '9' {
			if n := int(t[i+1] - '0'); n < len(args) {
				b.WriteString(args[n])
			}
			i += 2
			continue
		}
		b.WriteByte(t[i])
	}
	return b.String()
}

// num formats a figure with at most one decimal in the locale's notation
// (a decimal comma except in English).
func (l locale) num(x float64) string {
	s := strconv.FormatFloat(round1(x), 'f', -1, 64)
	if l != locEN {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// pct formats a percentage as the locale writes it: "5.7%" in English,
// "5,7%" in Dutch, Italian and Portuguese, "5,7 %" in German, French and
// Spanish (with a no-break space).
func (l locale) pct(x float64) string {
	switch l {
	case locDE, locFR, locES:
		return l.num(x) + "\u00a0%"
	}
	return l.num(x) + "%"
}

// labelText is the label of a score as shown to a person in the locale.
func (l locale) labelText(label string) string {
	switch label {
	case LabelGood:
		return l.msg(mLabelGood)
	case LabelOK:
		return l.msg(mLabelOK)
	case LabelPoor:
		return l.msg(mLabelPoor)
	case LabelNotApplicable:
		return l.msg(mLabelNotApplicable)
	}
	return label
}

// WithSuggestion is a model finding's message followed by its suggested
// replacement, as the locale writes it ("… Suggestie: …").
func WithSuggestion(message, suggestion, locale string) string {
	return localeOf(locale).msg(mModelSuggestion, message, suggestion)
}

// LabelText is a result label ("good", "ok", "poor", "not_applicable") as
// shown to a person in the language of locale (see ResolveLocale); other
// labels (tone and sentiment describe rather than grade: "neutral",
// "formal", "positive", …) are translated too where the catalog has them.
func LabelText(label, locale string) string {
	l := localeOf(locale)
	switch label {
	case "neutral":
		return l.msg(mLabelNeutral)
	case "positive":
		return l.msg(mLabelPositive)
	case "negative":
		return l.msg(mLabelNegative)
	case "professional":
		return l.msg(mLabelProfessional)
	case "casual":
		return l.msg(mLabelCasual)
	case "mixed":
		return l.msg(mLabelMixed)
	case "fair":
		return l.msg(mLabelOK)
	}
	return l.labelText(label)
}

// languageNames are the English names of common language codes, for
// prompts that tell a model which language to read or write.
var languageNames = map[string]string{
	"nl": "Dutch", "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
	"pt": "Portuguese", "da": "Danish", "sv": "Swedish", "no": "Norwegian", "fi": "Finnish", "pl": "Polish",
	"cs": "Czech", "tr": "Turkish", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "ru": "Russian",
	"uk": "Ukrainian", "el": "Greek", "hu": "Hungarian", "ro": "Romanian", "ar": "Arabic",
}

// LanguageName returns the English name of a language code ("nl":
// "Dutch"), or the code itself when it is not a common one.
func LanguageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	return code
}
