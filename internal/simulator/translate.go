package simulator

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// TranslationSchemaName is the schema name of translation calls
// (translation.SchemaName): DefaultResponder answers them with
// TranslateResponder.
const TranslationSchemaName = "translations"

// PromptSegment is one numbered segment of a translation prompt.
type PromptSegment struct {
	N    int
	Text string
}

// TranslationPrompt is what a translation prompt asks: the target
// language, the forced glossary translations (term → translation) and the
// numbered segments.
type TranslationPrompt struct {
	Target   string
	Glossary map[string]string
	Segments []PromptSegment
}

var (
	segmentLineRE = regexp.MustCompile(`^\[([0-9]+)\] (.*)$`)
	targetLineRE  = regexp.MustCompile(`^Target language: *([A-Za-z-]+)\s*$`)
	termLineRE    = regexp.MustCompile(`^- (.+?) => (.+)$`)
)

// ParseTranslationPrompt reads a translation prompt: the line
// "Target language: xx", glossary lines "- term => translation" and the
// segment lines "[n] text".
func ParseTranslationPrompt(prompt string) TranslationPrompt {
	p := TranslationPrompt{Glossary: map[string]string{}}
	inSegments := false
	for _, line := range strings.Split(prompt, "\n") {
		if m := segmentLineRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			p.Segments = append(p.Segments, PromptSegment{N: n, Text: m[2]})
			inSegments = true
			continue
		}
		if inSegments {
			continue
		}
		if m := targetLineRE.FindStringSubmatch(line); m != nil {
			p.Target = strings.ToLower(m[1])
		} else if m := termLineRE.FindStringSubmatch(line); m != nil {
			p.Glossary[m[1]] = m[2]
		}
	}
	return p
}

// TranslationAnswer encodes a translation answer: one item per segment,
// with the text translate gives it.
func TranslationAnswer(segs []PromptSegment, translate func(PromptSegment) string) string {
	type item struct {
		N    int    `json:"n"`
		Text string `json:"text"`
	}
	out := struct {
		Translations []item `json:"translations"`
	}{Translations: make([]item, len(segs))}
	for i, s := range segs {
		out.Translations[i] = item{N: s.N, Text: translate(s)}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// TranslateResponder is the simulated translation: each segment comes back
// prefixed with "[simulated <lang>] ", its placeholders, numbers and
// do-not-translate terms kept and its forced glossary terms replaced by
// their translations, so that every check of the translation passes and
// nothing passes for a real translation.
func TranslateResponder(r Request) string {
	p := ParseTranslationPrompt(r.Prompt)
	return TranslationAnswer(p.Segments, func(s PromptSegment) string {
		text := s.Text
		for term, tr := range p.Glossary {
			text = strings.ReplaceAll(text, term, tr)
		}
		return "[simulated " + p.Target + "] " + text
	})
}
