package translation

import (
	"embed"
	"encoding/json"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

//go:embed prompts/*.tmpl
var promptFiles embed.FS

// TemplateName is the name of the translation prompt template.
const TemplateName = "translate"

// SchemaName names the structured output asked of the model; the simulated
// provider (simulator.TranslationSchemaName) answers it.
const SchemaName = "translations"

func builtinFS() fs.FS {
	sub, err := fs.Sub(promptFiles, "prompts")
	if err != nil {
		panic(err)
	}
	return sub
}

var builtinPrompts = sync.OnceValue(func() *prompt.Set { return prompt.MustLoad(builtinFS()) })

// LoadPrompts returns the translation prompt templates: the built-in ones,
// each replaced by the file of the same name in dir when there is one (an
// empty dir overrides nothing).
func LoadPrompts(dir string) (*prompt.Set, error) {
	return prompt.Load(builtinFS(), dir)
}

// translationsSchema is the structured output asked of the model: exactly
// one item per segment sent, numbered as in the prompt.
var translationsSchema = json.RawMessage(`{"type":"object","additionalProperties":false,"required":["translations"],` +
	`"properties":{"translations":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["n","text"],` +
	`"properties":{"n":{"type":"integer","minimum":1},"text":{"type":"string"}}}}}}`)

type promptSegment struct {
	N    int
	Text string
}

type promptTerm struct {
	Term, Translation string
}

// forcedTerms returns the glossary terms with a fixed translation into lang
// that occur in any of the sources, in any case (as work.forced): only
// those go into the prompt.
func forcedTerms(glossary []copydesk.GlossaryTerm, lang string, sources []string) []promptTerm {
	var out []promptTerm
	var lower []string
	for _, t := range glossary {
		tr, ok := t.Translations[lang]
		if t.DoNotTranslate || !ok || tr == "" {
			continue
		}
		if lower == nil {
			lower = make([]string, len(sources))
			for i, s := range sources {
				lower[i] = strings.ToLower(s)
			}
		}
		term := strings.ToLower(t.Term)
		for _, s := range lower {
			if containsWord(s, term) {
				out = append(out, promptTerm{Term: t.Term, Translation: tr})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Term < out[j].Term })
	return out
}

// buildRequest renders the model request for one batch of sources.
func buildRequest(tmpl *prompt.Template, source, target string, glossary []copydesk.GlossaryTerm, sources []string) (copydesk.ModelRequest, error) {
	segs := make([]promptSegment, len(sources))
	chars := 0
	for i, s := range sources {
		segs[i] = promptSegment{N: i + 1, Text: s}
		chars += len(s)
	}
	text, err := tmpl.Execute(map[string]any{
		"Source": source, "SourceName": analyze.LanguageName(source),
		"Target": target, "TargetName": analyze.LanguageName(target),
		"Glossary": forcedTerms(glossary, target, sources), "Segments": segs,
	})
	if err != nil {
		return copydesk.ModelRequest{}, err
	}
	return copydesk.ModelRequest{
		System:     "You are a professional translator. Answer with JSON only.",
		Messages:   []copydesk.Message{{Role: "user", Content: text}},
		MaxTokens:  min(16384, 1024+chars+24*len(sources)),
		JSONSchema: translationsSchema,
		SchemaName: SchemaName,
	}, nil
}

// invalid is an unusable model answer: never cached, retried once.
func invalid(msg string) error {
	return &copydesk.ProviderError{Kind: copydesk.ProviderInvalid, Message: msg}
}

// decodeTranslations reads the model's answer for sources: exactly one
// item per source, numbered 1..n, each keeping the source's placeholders,
// at most copydesk.MaxTMText bytes and without NUL (what the memory
// accepts). A segment's source holds no line break, so line breaks in a
// translation are folded into spaces (they would end a Markdown paragraph
// or a plain-text one).
// Any other answer is a *copydesk.ProviderError of kind ProviderInvalid.
func decodeTranslations(answer string, sources []string) ([]string, error) {
	answer = strings.TrimSpace(answer)
	answer = strings.TrimPrefix(answer, "```json")
	answer = strings.TrimPrefix(answer, "```")
	answer = strings.TrimSuffix(answer, "```")
	var out struct {
		Translations []struct {
			N    int     `json:"n"`
			Text *string `json:"text"`
		} `json:"translations"`
	}
	if err := json.Unmarshal([]byte(answer), &out); err != nil {
		return nil, invalid("the model's answer is not the requested translations JSON")
	}
	if len(out.Translations) != len(sources) {
		return nil, invalid("the model answered " + strconv.Itoa(len(out.Translations)) + " translations for " + strconv.Itoa(len(sources)) + " segments")
	}
	texts := make([]string, len(sources))
	seen := make([]bool, len(sources))
	for _, it := range out.Translations {
		if it.N < 1 || it.N > len(sources) || seen[it.N-1] || it.Text == nil {
			return nil, invalid("the model's translations are not numbered 1 to " + strconv.Itoa(len(sources)) + " once each")
		}
		i := it.N - 1
		seen[i] = true
		t := foldLines(strings.TrimSpace(*it.Text))
		if t == "" {
			return nil, invalid("the model left segment " + strconv.Itoa(it.N) + " empty")
		}
		if len(t) > copydesk.MaxTMText || strings.IndexByte(t, 0) >= 0 {
			return nil, invalid("segment " + strconv.Itoa(it.N) + ": the translation is over " + strconv.Itoa(copydesk.MaxTMText) + " bytes or holds a NUL byte")
		}
		if err := checkPlaceholders(sources[i], t); err != "" {
			return nil, invalid("segment " + strconv.Itoa(it.N) + ": " + err)
		}
		texts[i] = t
	}
	return texts, nil
}

// checkPlaceholders compares the placeholders of a translation with its
// source's: each exactly once, none invented, pairs nested. It returns
// what is wrong, or "".
func checkPlaceholders(source, target string) string {
	want := make(map[string]bool)
	for _, p := range placeholders(source) {
		want[p] = true
	}
	seen := make(map[string]bool)
	var stack []string
	for _, p := range placeholders(target) {
		if !want[p] {
			return "placeholder " + p + " is not in the source"
		}
		if seen[p] {
			return "placeholder " + p + " is repeated"
		}
		seen[p] = true
		switch {
		case strings.HasSuffix(p, "/>"):
		case strings.HasPrefix(p, "</"):
			open := "<" + p[2:]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return "placeholder " + p + " does not close the tag opened last"
			}
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, p)
		}
	}
	for _, p := range placeholders(source) {
		if !seen[p] {
			return "placeholder " + p + " is missing"
		}
	}
	return ""
}

// foldLines replaces every run of line breaks (and the blanks around it)
// in t with one space: a segment's text is one line.
func foldLines(t string) string {
	if !strings.ContainsAny(t, "\r\n") {
		return t
	}
	b := make([]byte, 0, len(t))
	for i := 0; i < len(t); {
		if t[i] != '\r' && t[i] != '\n' {
			b = append(b, t[i])
			i++
			continue
		}
		for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
			b = b[:len(b)-1]
		}
		for i < len(t) && (t[i] == '\r' || t[i] == '\n' || t[i] == ' ' || t[i] == '\t') {
			i++
		}
		if len(b) > 0 && i < len(t) {
			b = append(b, ' ')
		}
	}
	return string(b)
}
