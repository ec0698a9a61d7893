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
const PromptVersion = "deep-v1"

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
  "type":"object","additionalProperties":false,"required":["quote","message","suggestion","severity"],
  "properties":{
   "quote":{"type":"string"},
   "message":{"type":"string"},
   "suggestion":{"type":"string"},
   "severity":{"type":"string","enum":["warning","problem","info"]}}}}}}`)

func deepRequest(doc *analyze.Doc, t analyze.Type) copydesk.ModelRequest {
	var text strings.Builder
	for _, b := range doc.Blocks {
		if b.Kind == analyze.BlockCode {
			continue
		}
		text.WriteString(b.Text)
		text.WriteByte('\n')
	}
	var buf bytes.Buffer
	_ = deepTemplate.Execute(&buf, map[string]any{
		"Language": doc.Language, "Type": t, "Instruction": instructions[t], "Text": text.String(),
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
	Quote      string `json:"quote"`
	Message    string `json:"message"`
	Suggestion string `json:"suggestion"`
	Severity   string `json:"severity"`
}

// parseFindings decodes the model's answer and locates each quote in the
// original input. An answer that is not the asked-for JSON is an invalid
// provider answer.
func parseFindings(answer string, doc *analyze.Doc, model string) ([]analyze.Finding, error) {
	list, err := decodeFindings(answer)
	if err != nil {
		return nil, err
	}
	findings := make([]analyze.Finding, 0, len(list))
	for _, f := range list {
		if strings.TrimSpace(f.Message) == "" {
			continue
		}
		sev := analyze.SeverityWarning
		switch f.Severity {
		case "problem":
			sev = analyze.SeverityProblem
		case "info":
			sev = analyze.SeverityInfo
		}
		msg := f.Message
		if f.Suggestion != "" {
			msg += " Suggestion: " + f.Suggestion
		}
		fd := analyze.Finding{Rule: "model.finding", Severity: sev, Message: msg, Source: model}
		if sp, ok := locate(doc, f.Quote); ok {
			fd.Spans = []analyze.Span{sp}
		}
		findings = append(findings, fd)
	}
	return findings, nil
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

// locate finds quote in the original input, or in a block's extracted text
// mapped back to the input.
func locate(doc *analyze.Doc, quote string) (analyze.Span, bool) {
	quote = strings.TrimSpace(quote)
	if quote == "" {
		return analyze.Span{}, false
	}
	if i := strings.Index(doc.Source, quote); i >= 0 {
		return analyze.Span{Start: i, End: i + len(quote)}, true
	}
	for _, b := range doc.Blocks {
		if i := strings.Index(b.Text, quote); i >= 0 && len(b.Offsets) == len(b.Text) {
			end := b.Offsets[i+len(quote)-1] + 1
			return analyze.Span{Start: b.Offsets[i], End: end}, true
		}
	}
	return analyze.Span{}, false
}
