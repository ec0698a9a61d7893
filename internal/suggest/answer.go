package suggest

import (
	"bytes"
	"encoding/json"
	"html"
	"strings"
	"unicode"

	"github.com/microcosm-cc/bluemonday"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// answer is the model's structured output, as asked for by answerSchema.
type answer struct {
	Titles           []string        `json:"titles"`
	MetaDescriptions []string        `json:"meta_descriptions"`
	Headings         []answerHeading `json:"headings"`
	Keyphrases       []string        `json:"keyphrases"`
}

type answerHeading struct {
	Level int    `json:"level"`
	Text  string `json:"text"`
}

// errInvalidAnswer is the error of an answer that is not the asked-for JSON.
func errInvalidAnswer(why string) error {
	return &copydesk.ProviderError{Kind: copydesk.ProviderInvalid, Message: "the model's answer is not the requested SEO suggestions JSON: " + why}
}

// decodeAnswer reads the model's answer (tolerating a Markdown code fence
// around it): one JSON object with the four arrays of answerSchema, every
// one present (possibly empty), strings where strings belong and a whole
// number level for each heading. Unknown properties are ignored. Anything
// else is a *copydesk.ProviderError of kind ProviderInvalid: such an answer
// is neither cached nor used.
func decodeAnswer(text string) (*answer, error) {
	text = unfence(strings.TrimSpace(text))
	var raw struct {
		Titles           *[]string          `json:"titles"`
		MetaDescriptions *[]string          `json:"meta_descriptions"`
		Headings         *[]json.RawMessage `json:"headings"`
		Keyphrases       *[]string          `json:"keyphrases"`
	}
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&raw); err != nil {
		return nil, errInvalidAnswer("not a JSON object of the schema")
	}
	if dec.More() {
		return nil, errInvalidAnswer("text after the JSON object")
	}
	switch {
	case raw.Titles == nil:
		return nil, errInvalidAnswer("titles is missing")
	case raw.MetaDescriptions == nil:
		return nil, errInvalidAnswer("meta_descriptions is missing")
	case raw.Headings == nil:
		return nil, errInvalidAnswer("headings is missing")
	case raw.Keyphrases == nil:
		return nil, errInvalidAnswer("keyphrases is missing")
	}
	a := &answer{Titles: *raw.Titles, MetaDescriptions: *raw.MetaDescriptions, Keyphrases: *raw.Keyphrases}
	for _, h := range *raw.Headings {
		var v struct {
			Level *int    `json:"level"`
			Text  *string `json:"text"`
		}
		d := json.NewDecoder(bytes.NewReader(h))
		if err := d.Decode(&v); err != nil || v.Level == nil || v.Text == nil {
			return nil, errInvalidAnswer("a heading is not {\"level\": integer, \"text\": string}")
		}
		a.Headings = append(a.Headings, answerHeading{Level: *v.Level, Text: *v.Text})
	}
	return a, nil
}

// unfence returns the content of a Markdown code fence around text, if
// there is one: without the fences and without the info string after the
// opening one, whatever it is ("json", "JSON", "javascript", "json
// {.x}"): the rest of the fence's line, or only its first word when the
// JSON object starts after it on that line.
func unfence(text string) string {
	rest, ok := strings.CutPrefix(text, "```")
	if !ok {
		return text
	}
	rest = strings.TrimSuffix(strings.TrimSpace(rest), "```")
	line, body, _ := strings.Cut(rest, "\n")
	if startsJSON(line) {
		return strings.TrimSpace(rest) // no info string
	}
	word := strings.TrimLeftFunc(strings.TrimSpace(line), func(r rune) bool { return r != '{' && !unicode.IsSpace(r) })
	if startsJSON(word) {
		return strings.TrimSpace(word + strings.TrimPrefix(rest, line))
	}
	return strings.TrimSpace(body)
}

// startsJSON reports whether s starts a JSON object: a brace followed by
// a quote, a closing brace or nothing on its line (not an attribute list
// such as "{.json}").
func startsJSON(s string) bool {
	s, ok := strings.CutPrefix(strings.TrimSpace(s), "{")
	if !ok {
		return false
	}
	s = strings.TrimSpace(s)
	return s == "" || s[0] == '"' || s[0] == '}'
}

// strict strips all markup.
var strict = bluemonday.StrictPolicy()

// plainText turns a model's string into plain text that is safe anywhere:
// tags (and the content of script and style elements) removed, entities
// decoded — until decoding reveals no more markup —, control characters
// dropped, white space collapsed. A "<" or ">" that survives is removed,
// so no tag can come back, however it was escaped.
func plainText(s string) string {
	for range 4 {
		next := html.UnescapeString(strict.Sanitize(s))
		if next == s {
			break
		}
		s = next
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '<' || r == '>':
			return -1
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
	return oneLine(s)
}
