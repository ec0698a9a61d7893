package generation

import (
	"embed"
	"io/fs"
	"strings"
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// templates are the built-in prompt templates, one per block type.
//
//go:embed prompts/*.tmpl
var templates embed.FS

// fsSub is the template directory's contents at its root, as prompt.Load
// wants them.
func fsSub() (fs.FS, error) { return fs.Sub(templates, "prompts") }

// LoadPrompts loads the built-in templates with operator overrides from dir
// (e.g. <data_dir>/prompts; "" for none). An override changes the
// template's Version, so answers of the built-in prompt are not served for
// it. Returns an error naming the file when an override does not parse.
func LoadPrompts(dir string) (*prompt.Set, error) {
	sub, err := fsSub()
	if err != nil {
		return nil, err
	}
	return prompt.Load(sub, dir)
}

// builtin is the set used when a Service or Handler has no Prompts.
var builtin = sync.OnceValue(func() *prompt.Set {
	sub, err := fsSub()
	if err != nil {
		panic(err)
	}
	return prompt.MustLoad(sub)
})

// system is the system prompt every block call shares: short, so that a
// page of blocks pays for it once per block and no more.
const system = "You write website copy. Answer with one JSON object matching the schema. Plain text in every field: no HTML, no Markdown, no emoji. Never invent facts such as prices or contact details that contradict the business info."

// languageNames are the languages a page can be written in.
var languageNames = map[string]string{
	"nl": "Dutch", "en": "English", "de": "German", "fr": "French",
	"es": "Spanish", "it": "Italian", "pt": "Portuguese",
}

// languageCodes lists the codes in a stable order, for messages.
var languageCodes = []string{"nl", "en", "de", "fr", "es", "it", "pt"}

// promptData is what a block template renders.
type promptData struct {
	// Business is the business info, one fact a line, empty facts left out.
	Business string
	// Language is the language's English name.
	Language string
	// Min and Max bound the block's list items.
	Min, Max int
	// Variant is 0 for the first block of its type on the page and n for
	// the n-th (so that repeated types differ, and the first keeps its
	// cache key).
	Variant int
	// Instructions are the request's extra instructions, on one line.
	Instructions string
}

// oneLine collapses white space (newlines included) to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// businessText renders b compactly: one line per non-empty fact.
func businessText(b *Business) string {
	var w strings.Builder
	w.WriteString("Business: ")
	w.WriteString(oneLine(b.Name))
	if b.Industry != "" {
		w.WriteString(" (" + oneLine(b.Industry) + ")")
	}
	add := func(label, v string) {
		if v = oneLine(v); v != "" {
			w.WriteString("\n" + label + ": " + v)
		}
	}
	add("Audience", b.Audience)
	add("Tone", b.Tone)
	add("Keywords", strings.Join(b.Keywords, ", "))
	add("About", b.Description)
	return w.String()
}

// DecoderVersion names the rules by which an answer is decoded, checked
// and sanitized (decode, clean, plainText, safeURL). It is part of every
// call's Version, so that answers cached under other rules (an older
// release sharing the L2 cache) are asked for again rather than served and
// rejected. Change it with any change that makes the decoder refuse or
// rewrite an answer it used to accept.
const DecoderVersion = "d1"

// blockCall builds the model call of one block of a job's page, with the
// block type's output cap.
func blockCall(set *prompt.Set, job *copydesk.Job, req *Request, sp *spec, variant int) (copydesk.ModelCall, error) {
	return blockCallCap(set, job, req, sp, variant, sp.MaxTokens)
}

// blockCallCap builds the model call of one block with output cap
// maxTokens (a retry after an answer cut at the type's cap doubles it).
func blockCallCap(set *prompt.Set, job *copydesk.Job, req *Request, sp *spec, variant, maxTokens int) (copydesk.ModelCall, error) {
	tmpl, err := set.Get(sp.Type)
	if err != nil {
		return copydesk.ModelCall{}, err
	}
	text, err := tmpl.Execute(promptData{
		Business: businessText(&req.Business), Language: languageNames[req.Business.Language],
		Min: sp.MinItems, Max: sp.MaxItems, Variant: variant, Instructions: oneLine(req.Instructions),
	})
	if err != nil {
		return copydesk.ModelCall{}, copydesk.Errorf(copydesk.EINTERNAL, "prompt %s does not render: %v", sp.Type, err)
	}
	return copydesk.ModelCall{
		Kind: "generation.block." + sp.Type, Priority: job.Priority,
		CustomerID: job.CustomerID, UserID: job.UserID, KeyID: job.KeyID, JobID: job.ID,
		Version: tmpl.Version + "/" + DecoderVersion,
		Request: copydesk.ModelRequest{
			System:     system,
			Messages:   []copydesk.Message{{Role: "user", Content: strings.TrimSpace(text)}},
			MaxTokens:  maxTokens,
			JSONSchema: sp.Schema,
			SchemaName: "block_" + sp.Type,
		},
		Validate: func(r *copydesk.ModelResponse) error {
			name := r.Model
			if name == "" {
				name = "model"
			}
			return sp.check(r, name, maxTokens)
		},
	}, nil
}
