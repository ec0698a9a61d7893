package suggest

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// promptName is the template of the suggestion call: prompts/seo.tmpl.
const promptName = "seo"

// Excerpt bounds: the model reads the page's headings and first
// paragraphs, not the whole page.
const (
	excerptMaxChars     = 1500 // the whole excerpt
	excerptMaxBodies    = 4    // paragraphs, list items, quotes
	excerptMaxBodyChars = 400  // one paragraph
	excerptMaxHeadChars = 120  // one heading
	excerptMaxOutline   = 600  // all headings
)

// maxTokensPerCount caps the answer: about 40 tokens per suggestion, four
// kinds, plus the JSON around them.
const maxTokensPerCount = 200

// answerSchema is the structured output asked of the model. Every property
// is required and no other is allowed, so that providers' strict modes
// accept it.
var answerSchema = json.RawMessage(`{
 "type":"object","additionalProperties":false,
 "required":["titles","meta_descriptions","headings","keyphrases"],
 "properties":{
  "titles":{"type":"array","items":{"type":"string"}},
  "meta_descriptions":{"type":"array","items":{"type":"string"}},
  "headings":{"type":"array","items":{
   "type":"object","additionalProperties":false,"required":["level","text"],
   "properties":{"level":{"type":"integer","minimum":1,"maximum":6},"text":{"type":"string"}}}},
  "keyphrases":{"type":"array","items":{"type":"string"}}}}`)

// promptData is what prompts/seo.tmpl reads.
type promptData struct {
	Language, Keyphrase, Title, MetaDescription string
	TitleWidth, MetaChars                       int
	Count                                       int
	TitleMin, TitleMax                          int
	TitleMinChars, TitleMaxChars                int
	MetaMin, MetaMax                            int
	Excerpt                                     string
}

// buildRequest renders the suggestion prompt for req over the parsed page.
func buildRequest(t *prompt.Template, req *Request, doc *analyze.Doc) (copydesk.ModelRequest, error) {
	text, err := t.Execute(promptData{
		Language: doc.Language, Keyphrase: oneLine(req.Keyphrase),
		Title: oneLine(doc.Title), MetaDescription: oneLine(doc.MetaDescription),
		TitleWidth: analyze.TitleWidth(doc.Title), MetaChars: analyze.MetaDescriptionChars(doc.MetaDescription),
		Count:    req.Count,
		TitleMin: analyze.TitleMinPixels, TitleMax: analyze.TitleMaxPixels,
		// Arial at 20 px averages 9 to 10 px a character in running text.
		TitleMinChars: analyze.TitleMinPixels / 9, TitleMaxChars: analyze.TitleMaxPixels / 10,
		MetaMin: analyze.MetaDescriptionMinChars, MetaMax: analyze.MetaDescriptionMaxChars,
		Excerpt: excerpt(doc),
	})
	if err != nil {
		return copydesk.ModelRequest{}, err
	}
	return copydesk.ModelRequest{
		System:     "You are an SEO copywriter. Answer with JSON only.",
		Messages:   []copydesk.Message{{Role: "user", Content: text}},
		MaxTokens:  200 + maxTokensPerCount*req.Count,
		JSONSchema: answerSchema,
		SchemaName: "seo_suggestions",
	}, nil
}

// excerpt is the compact view of the page the model reads, in document
// order: the outline (headings as "H2: …", up to excerptMaxOutline
// characters) and the first few paragraphs, each shortened, the whole
// within excerptMaxChars. Code is left out.
func excerpt(doc *analyze.Doc) string {
	lines := make([]string, len(doc.Blocks))
	used := 0
	for i := range doc.Blocks {
		bl := &doc.Blocks[i]
		if bl.Kind != analyze.BlockHeading {
			continue
		}
		text := oneLine(bl.Text)
		if text == "" {
			continue
		}
		line := "H" + strconv.Itoa(bl.Level) + ": " + shorten(text, excerptMaxHeadChars)
		if used+len(line)+1 > excerptMaxOutline {
			break
		}
		lines[i] = line
		used += len(line) + 1
	}
	bodies := 0
	for i := range doc.Blocks {
		bl := &doc.Blocks[i]
		text := oneLine(bl.Text)
		if bl.Kind == analyze.BlockHeading || bl.Kind == analyze.BlockCode || text == "" {
			continue
		}
		line := shorten(text, min(excerptMaxBodyChars, excerptMaxChars-used-1))
		if line == "" || bodies == excerptMaxBodies {
			break
		}
		lines[i] = line
		used += len(line) + 1
		bodies++
	}
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}

// shorten cuts s to at most n bytes at a word boundary, marking the cut
// with "…" (which the n bytes include).
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	if n <= len(ellipsis) {
		return ""
	}
	cut := n - len(ellipsis)
	if i := strings.LastIndexByte(s[:cut+1], ' '); i > 0 {
		cut = i
	} else {
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ") + ellipsis
}

// oneLine collapses runs of white space into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
