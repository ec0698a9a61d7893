// Package suggest is the SEO suggestion service: a model proposes SEO
// titles, meta descriptions, headings and keyphrases for a page, and the
// local analysis engine re-scores every proposal exactly as an analysis of
// the page would score it, so that what is returned is sorted by the
// engine's verdict, not by the model's opinion of itself.
package suggest

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// JobKind is the job kind of SEO suggestions.
const JobKind = "seo.suggestions"

// MaxContentDefault caps Request.Content, in bytes.
const MaxContentDefault = 512 << 10

// Count bounds: suggestions per kind.
const (
	CountDefault = 3
	CountMax     = 10
)

// Limits of the short fields, in characters.
const (
	maxKeyphraseChars = 200
	maxTitleChars     = 1000
	maxMetaChars      = 2000
	maxSlugChars      = 500
)

//go:embed prompts/*.tmpl
var builtinPrompts embed.FS

// LoadPrompts loads the package's prompt templates, each replaced by the
// file of the same name in dir when there is one ("" overrides nothing).
// Returns an error naming the file when an override does not parse.
func LoadPrompts(dir string) (*prompt.Set, error) {
	return prompt.Load(builtinFS(), dir)
}

// defaultPrompts are the built-in templates, for a Service or Handler
// without Prompts.
var defaultPrompts = prompt.MustLoad(builtinFS())

// builtinFS is the directory of the built-in templates.
func builtinFS() fs.FS {
	sub, err := fs.Sub(builtinPrompts, "prompts")
	if err != nil {
		panic(err) // a constant, valid path
	}
	return sub
}

// Request asks for SEO suggestions for one page
// (copydesk.SuggestionRequest).
type Request = copydesk.SuggestionRequest

func input(r *Request) analyze.Input {
	return analyze.Input{
		Content: r.Content, Format: r.Format, Language: r.Language, Keyphrase: r.Keyphrase,
		Title: r.Title, MetaDescription: r.MetaDescription, Slug: r.Slug,
		Types: []analyze.Type{analyze.TypeSEO},
	}
}

// Response accepts a Request (copydesk.SuggestionResponse): the
// suggestions are made by job JobID (event task.result, and the job's
// result).
type Response = copydesk.SuggestionResponse

// Submitter accepts jobs (jobs.Service).
type Submitter = copydesk.JobSubmitter

var _ copydesk.SuggestionService = (*Service)(nil)

// Service accepts SEO suggestion requests.
type Service struct {
	// Jobs accepts the suggestion jobs.
	Jobs Submitter
	// Models runs model calls; nil when no provider is configured, which
	// makes Suggest answer ENOPROVIDER.
	Models copydesk.ModelService
	// MaxContent caps Request.Content in bytes. Default MaxContentDefault.
	MaxContent int
	// Prompts are the templates; nil means the built-in ones.
	Prompts *prompt.Set
}

// Suggest validates req, scores the page as it is now and submits the job
// that asks a model for suggestions. Returns EINVALID naming the bad field
// (empty content, unknown format or language, count out of range, bad
// priority), ETOOLARGE for content over MaxContent, EUNPROCESSABLE for text
// that is not UTF-8, and ENOPROVIDER when no provider is configured.
func (s *Service) Suggest(ctx context.Context, req *Request, customerID, userID string) (*Response, error) {
	if err := s.normalize(req); err != nil {
		return nil, err
	}
	prio, err := copydesk.ParsePriority(req.Priority)
	if err != nil {
		return nil, err
	}
	if _, _, err := req.Resolve(req.Priority, time.Now()); err != nil {
		return nil, err
	}
	report, err := analyze.Analyze(input(req))
	if err != nil {
		return nil, err
	}
	current, err := json.Marshal(report.Results[0])
	if err != nil {
		return nil, fmt.Errorf("encode seo result: %w", err)
	}
	if s.Models == nil {
		return nil, copydesk.NoProvider("SEO suggestions")
	}
	if _, err := cmp.Or(s.Prompts, defaultPrompts).Get(promptName); err != nil {
		return nil, err
	}
	req.Language = report.Language // the job writes in the language detected now
	input, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode job input: %w", err)
	}
	job := &copydesk.Job{Kind: JobKind, CustomerID: customerID, UserID: userID, Priority: prio, Input: input}
	if err := s.Jobs.Submit(ctx, job); err != nil {
		return nil, err
	}
	return &Response{
		Status: "pending", Current: current, JobID: job.ID,
	}, nil
}

// Validate fills req's defaults and checks it as Suggest does, without
// submitting anything (a batch checks every item before it accepts any).
// Returns EINVALID, ETOOLARGE or EUNPROCESSABLE naming the bad field and
// ENOPROVIDER when no provider is configured.
func (s *Service) Validate(req *Request) error {
	if err := s.normalize(req); err != nil {
		return err
	}
	if _, err := copydesk.ParsePriority(req.Priority); err != nil {
		return err
	}
	if _, _, err := req.Resolve(req.Priority, time.Now()); err != nil {
		return err
	}
	if s.Models == nil {
		return copydesk.NoProvider("SEO suggestions")
	}
	return nil
}

// normalize fills defaults and checks every field, naming the bad one.
func (s *Service) normalize(req *Request) error {
	if strings.TrimSpace(req.Content) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "content is required")
	}
	if max := cmp.Or(s.MaxContent, MaxContentDefault); len(req.Content) > max {
		return copydesk.Errorf(copydesk.ETOOLARGE, "content is %d bytes; the limit is %d", len(req.Content), max)
	}
	return validate(req)
}

// validate fills defaults and checks the fields other than the content's
// presence and size; the handler runs it again on the stored input.
func validate(req *Request) error {
	switch req.Format {
	case "":
		req.Format = analyze.FormatText
	case analyze.FormatText, analyze.FormatMarkdown, analyze.FormatHTML:
	default:
		return copydesk.Errorf(copydesk.EINVALID, "format %q is not one of text, markdown, html", clip(string(req.Format), 40))
	}
	if l := strings.TrimSpace(req.Language); l != "" && !strings.EqualFold(l, "auto") && !supported(l) {
		return copydesk.Errorf(copydesk.EINVALID, "language %q is not supported; use one of %s, or \"auto\" to detect",
			clip(l, 20), strings.Join(analyze.SupportedLanguages, ", "))
	}
	switch {
	case req.Count == 0:
		req.Count = CountDefault
	case req.Count < 1 || req.Count > CountMax:
		return copydesk.Errorf(copydesk.EINVALID, "count is %d; it must be between 1 and %d (default %d)", req.Count, CountMax, CountDefault)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"keyphrase", req.Keyphrase, maxKeyphraseChars},
		{"title", req.Title, maxTitleChars},
		{"meta_description", req.MetaDescription, maxMetaChars},
		{"slug", req.Slug, maxSlugChars},
	} {
		if n := utf8.RuneCountInString(f.value); n > f.max {
			return copydesk.Errorf(copydesk.EINVALID, "%s has %d characters; at most %d are accepted", f.name, n, f.max)
		}
	}
	return nil
}

// supported reports whether the engine analyzes language l ("nl", "nl-BE",
// "NL_nl" all name Dutch).
func supported(l string) bool {
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	for _, s := range analyze.SupportedLanguages {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
