package analysis

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"strings"
	"text/template"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// PromptVersion names the deep-analysis prompt; it is part of cache keys.
const PromptVersion = "deep-v2"

// deepMaxTokens caps a deep analysis answer.
const deepMaxTokens = 1200

//go:embed prompts/deep.tmpl
var deepTemplateText string

var deepTemplate = template.Must(template.New("deep").Parse(deepTemplateText))

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

func deepRequest(lang string, t analyze.Type, texts []string) copydesk.ModelRequest {
	blocks := make([]promptBlock, len(texts))
	for i, text := range texts {
		blocks[i] = promptBlock{N: i + 1, Text: strings.Join(strings.Fields(text), " ")}
	}
	var buf bytes.Buffer
	_ = deepTemplate.Execute(&buf, map[string]any{
		"Language": lang, "Type": t, "Instruction": instructions[t], "Blocks": blocks,
	})
	return copydesk.ModelRequest{
		System:     "You are a meticulous copy editor. Answer with JSON only.",
		Messages:   []copydesk.Message{{Role: "user", Content: buf.String()}},
		MaxTokens:  deepMaxTokens,
		JSONSchema: findingsSchema,
		SchemaName: "findings",
	}
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
