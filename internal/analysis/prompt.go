package analysis

import (
	"cmp"
	"embed"
	"encoding/json"
	"io/fs"
	"strings"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// PromptVersion names the built-in deep-analysis prompt; the version of
// the template in use (an operator may override it) is part of cache keys.
const PromptVersion = "deep-v2"

// deepMaxTokens caps a deep analysis answer.
const deepMaxTokens = 1200

//go:embed prompts/*.tmpl
var promptFiles embed.FS

// builtinPrompts are the templates without overrides.
var builtinPrompts = prompt.MustLoad(mustSub(promptFiles, "prompts"))

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// LoadPrompts returns the deep-analysis templates with the overrides in dir
// ("" for none).
func LoadPrompts(dir string) (*prompt.Set, error) {
	return prompt.Load(mustSub(promptFiles, "prompts"), dir)
}

// deepTemplate returns the deep-analysis template of set (nil: built-in).
func deepTemplate(set *prompt.Set) *prompt.Template {
	if set == nil {
		set = builtinPrompts
	}
	t, err := set.Get("deep")
	if err != nil {
		panic("analysis: the deep template is missing: " + err.Error())
	}
	return t
}

// instructions say what each analysis asks of the model.
var instructions = map[analyze.Type]string{
	analyze.TypeGrammar:     "Find grammar and spelling errors, including those that need understanding of the sentence (for Dutch: d/t verb endings, die/dat, hun/hen; for English: its/it's, affect/effect).",
	analyze.TypeTone:        "Judge the tone and register: where it shifts, where it does not fit a professional audience, and why.",
	analyze.TypeReadability: "Find sentences and passages that are hard to read and say how to simplify them.",
	analyze.TypeSEO:         "Find missed search-engine opportunities in the wording: vague headings, missing key terms, weak introductions.",
	analyze.TypeStructure:   "Find structural problems: missing introduction or conclusion, illogical order, sections that should be split.",
	analyze.TypeSentiment:   "Find passages whose sentiment works against the text's purpose.",
}

// findingsSchema is the structured output asked of the model.
var findingsSchema = json.RawMessage(`{
 "type":"object","additionalProperties":false,"required":["findings"],
 "properties":{"findings":{"type":"array","items":{
  "type":"object","additionalProperties":false,"required":["block","quote","message","suggestion","severity"],
  "properties":{
   "block":{"type":"integer","minimum":1},
   "quote":{"type":"string"},
   "message":{"type":"string"},
   "suggestion":{"type":"string"},
   "severity":{"type":"string","enum":["warning","problem","info"]}}}}}}`)

type promptBlock struct {
	N    int
	Text string
}

func deepRequest(tmpl *prompt.Template, p deepParams, texts []string) (copydesk.ModelRequest, error) {
	blocks := make([]promptBlock, len(texts))
	for i, text := range texts {
		blocks[i] = promptBlock{N: i + 1, Text: strings.Join(strings.Fields(text), " ")}
	}
	text, err := tmpl.Execute(map[string]any{
		"Language": p.lang, "Type": p.t, "Instruction": instructions[p.t], "Blocks": blocks,
		"MessageLanguage": analyze.LanguageName(cmp.Or(p.locale, "en")),
	})
	if err != nil {
		return copydesk.ModelRequest{}, err
	}
	return copydesk.ModelRequest{
		System:     "You are a meticulous copy editor. Answer with JSON only.",
		Messages:   []copydesk.Message{{Role: "user", Content: text}},
		MaxTokens:  deepMaxTokens,
		JSONSchema: findingsSchema,
		SchemaName: "findings",
	}, nil
}

type modelFinding struct {
	Block      int    `json:"block,omitempty"`
	Quote      string `json:"quote"`
	Message    string `json:"message"`
	Suggestion string `json:"suggestion"`
	Severity   string `json:"severity"`
}

// decodeFindings reads the model's JSON answer (tolerating a Markdown code
// fence). An answer that is not the asked-for JSON is an invalid provider
// answer: it is neither cached nor merged.
func decodeFindings(answer string) ([]modelFinding, error) {
	answer = strings.TrimSpace(answer)
	answer = strings.TrimPrefix(answer, "```json")
	answer = strings.TrimPrefix(answer, "```")
	answer = strings.TrimSuffix(answer, "```")
	var out struct {
		Findings *[]modelFinding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(answer), &out); err != nil || out.Findings == nil {
		return nil, &copydesk.ProviderError{Kind: copydesk.ProviderInvalid, Message: "the model's answer is not the requested findings JSON"}
	}
	return *out.Findings, nil
}
