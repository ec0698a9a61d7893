// Package translation is the translation service: content (plain text,
// Markdown or HTML) is cut into segments with its markup protected by
// numbered placeholders, each segment is looked up in the cache and in the
// customer's translation memory, and only the segments no one has
// translated yet go to a model, batched into few calls. A translation that
// is fully remembered is answered inline; the rest runs as one job for all
// languages, whose results stream in per language.
package translation

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// JobKind is the job kind of translations that need a model.
const JobKind = "translation"

// MaxContentDefault caps the content of one translation request, in bytes.
const MaxContentDefault = 512 << 10

// MaxSegment caps one segment (a paragraph, heading, cell or attribute) in
// bytes of its source: a longer one could not come back from the model in
// one answer (MaxTokens is capped) and would be refused by the memory.
const MaxSegment = 16 << 10

// MaxLanguages caps the target languages of one request.
const MaxLanguages = 32

// MaxRequestTerms caps the glossary terms of one request.
const MaxRequestTerms = 500

// Cache kinds (and model call kinds) of segment translations: published
// content is kept in the permanent tier, drafts in the dynamic one.
const (
	KindPublished = "translation.published"
	KindDraft     = "translation.draft"
)

// Segment origins.
const (
	FromMemory = "memory" // the customer's translation memory
	FromCache  = "cache"  // the cache (L1 or L2) or another caller's identical work
	FromModel  = "model"  // translated by a model for this request
)

// Check codes.
const (
	CheckGlossaryMissing     = "glossary_missing"     // a forced glossary translation is not in the target
	CheckGlossaryTranslated  = "glossary_translated"  // a do-not-translate term is not in the target
	CheckNumberMissing       = "number_missing"       // a number of the source is not in the target
	CheckPlaceholderMismatch = "placeholder_mismatch" // the target's placeholders differ from the source's
)

// Request asks for the translation of content into some languages
// (copydesk.TranslationRequest).
type Request = copydesk.TranslationRequest

// Segment is one translated segment (copydesk.TranslatedSegment). From is
// FromMemory, FromCache or FromModel.
type Segment = copydesk.TranslatedSegment

// LanguageResult is the translation into one language
// (copydesk.TranslationResult).
type LanguageResult = copydesk.TranslationResult

// Check is one problem found in a translated segment
// (copydesk.TranslationCheck); Code is one of the Check codes.
type Check = copydesk.TranslationCheck

// Response answers a Request (copydesk.TranslationResponse). Status is
// "complete" when every segment of every language came from memory or
// cache (Translations is filled, no job ran), "pending" when job JobID
// translates the rest.
type Response = copydesk.TranslationResponse

// Submitter accepts jobs (jobs.Service).
type Submitter = copydesk.JobSubmitter

var _ copydesk.TranslationService = (*Service)(nil)

// Service translates content.
type Service struct {
	Jobs Submitter
	// Models runs model calls; nil when no provider is configured (then a
	// translation that needs a model is refused with ENOPROVIDER, and a
	// fully remembered one is still answered).
	Models copydesk.ModelService
	// Store keeps the glossaries and the translation memory; nil: neither.
	Store copydesk.TranslationStore
	// Cache keeps translated segments (L1/L2, deduplication); nil: memory
	// only.
	Cache *cache.Cache
	// ModelSet fingerprints the configured models; it is part of every
	// segment's context.
	ModelSet string
	// Languages are the configured languages; nil: copydesk.Languages.
	Languages []string
	// MaxContent caps Request.Content in bytes. Default MaxContentDefault.
	MaxContent int
	// Prompts are the prompt templates; nil: the built-in ones.
	Prompts *prompt.Set
}

// jobInput is what a translation job carries: the normalized request with
// the glossary already merged.
type jobInput struct {
	Request
	GlossaryMerged bool `json:"glossary_merged"`
}

func (s *Service) languages() []string {
	if len(s.Languages) > 0 {
		return s.Languages
	}
	return copydesk.Languages
}

func (s *Service) engine() (*engine, error) {
	return newEngine(s.Models, s.Store, s.Cache, s.ModelSet, s.Prompts)
}

// Translate translates req for the customer: answered inline when every
// segment is remembered, else submitted as one job. Returns EINVALID for a
// bad field (empty content, unknown format, an unknown or unconfigured
// language, a target equal to the source, too many languages, a bad
// glossary term), ETOOLARGE for content over MaxContent or a segment over
// MaxSegment, EUNPROCESSABLE for invalid UTF-8 or a NUL byte, and
// ENOPROVIDER when a model is needed and none is
// configured.
func (s *Service) Translate(ctx context.Context, req *Request, customerID, userID string) (*Response, error) {
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
	e, err := s.engine()
	if err != nil {
		return nil, err
	}
	glossary, err := e.glossary(ctx, customerID, req.Glossary)
	if err != nil {
		return nil, err
	}
	doc, err := segmentDoc(req.Format, req.Content, dntTerms(glossary))
	if err != nil {
		return nil, err
	}
	if err := checkSegments(doc); err != nil {
		return nil, err
	}
	w := &work{customerID: customerID, userID: userID, priority: prio, source: req.SourceLanguage,
		published: req.Published, glossary: glossary, doc: doc}
	resp := &Response{SourceLanguage: req.SourceLanguage, Languages: req.TargetLanguages, Segments: len(doc.segs)}

	results := make(map[string]*LanguageResult, len(req.TargetLanguages))
	complete := true
	for _, lang := range req.TargetLanguages {
		r, ok, err := e.remembered(ctx, w, lang)
		if err != nil {
			return nil, err
		}
		if !ok {
			complete = false
			break
		}
		results[lang] = r
	}
	if complete {
		resp.Status, resp.Translations = "complete", results
		return resp, nil
	}
	if s.Models == nil {
		return nil, copydesk.Errorf(copydesk.ENOPROVIDER,
			"translation needs a provider for the segments not in the translation memory: set OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY (or providers in the config file), or start with --simulate for a simulated one")
	}
	in := jobInput{Request: *req, GlossaryMerged: true}
	in.Glossary = glossary
	input, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode job input: %w", err)
	}
	job := &copydesk.Job{Kind: JobKind, CustomerID: customerID, UserID: userID, Priority: prio, Input: input}
	if err := s.Jobs.Submit(ctx, job); err != nil {
		return nil, err
	}
	resp.Status = "pending"
	resp.JobID = job.ID
	return resp, nil
}

// Validate fills req's defaults and checks its fields and segments as
// Translate does, without reading the memory or the stored glossary or
// submitting anything (a batch checks every item before it accepts any).
// Returns EINVALID, ETOOLARGE (naming an over-long segment) or
// EUNPROCESSABLE naming the bad field.
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
	doc, err := segmentDoc(req.Format, req.Content, dntTerms(req.Glossary))
	if err != nil {
		return err
	}
	return checkSegments(doc)
}

// checkSegments refuses, before anything is paid for, a document with a
// segment over MaxSegment bytes: ETOOLARGE naming the segment.
func checkSegments(doc *document) error {
	for i, s := range doc.segs {
		if len(s.Source) > MaxSegment {
			return copydesk.Errorf(copydesk.ETOOLARGE, "segment %d (%q) is %d bytes; one paragraph, heading, cell or attribute can be at most %d bytes: split it",
				i+1, truncate(s.Source, 40), len(s.Source), MaxSegment)
		}
	}
	return nil
}

// normalize validates req and fills its defaults: format, source language
// (detected), target languages.
func (s *Service) normalize(req *Request) error {
	if strings.TrimSpace(req.Content) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "content is required")
	}
	if max := cmp.Or(s.MaxContent, MaxContentDefault); len(req.Content) > max {
		return copydesk.Errorf(copydesk.ETOOLARGE, "content is %d bytes; the limit is %d", len(req.Content), max)
	}
	if !utf8.ValidString(req.Content) {
		return copydesk.Errorf(copydesk.EUNPROCESSABLE, "content is not valid UTF-8: send UTF-8 text")
	}
	if i := strings.IndexByte(req.Content, 0); i >= 0 {
		return copydesk.Errorf(copydesk.EUNPROCESSABLE, "content holds a NUL byte at offset %d: remove it", i)
	}
	req.Format = strings.ToLower(strings.TrimSpace(req.Format))
	switch req.Format {
	case "":
		req.Format = FormatText
	case FormatText, FormatMarkdown, FormatHTML:
	default:
		return copydesk.Errorf(copydesk.EINVALID, "unknown format %q: use text, markdown or html", truncate(req.Format, 40))
	}
	configured := s.languages()
	list := strings.Join(configured, ", ")
	check := func(field, code string) (string, error) {
		c := strings.ToLower(strings.TrimSpace(code))
		if i := strings.IndexAny(c, "-_"); i > 0 {
			c = c[:i] // en-US is en
		}
		if !slices.Contains(configured, c) {
			return "", copydesk.Errorf(copydesk.EINVALID, "%s: language %q is not configured; use one of %s", field, truncate(code, 20), list)
		}
		return c, nil
	}
	if req.SourceLanguage == "" || req.SourceLanguage == "auto" {
		doc, err := analyze.Parse(analyze.Input{Content: req.Content, Format: analyze.Format(req.Format)})
		if err != nil {
			return err
		}
		if !slices.Contains(configured, doc.Language) {
			return copydesk.Errorf(copydesk.EINVALID, "source language detected as %q, which is not configured; set source_language to one of %s", doc.Language, list)
		}
		req.SourceLanguage = doc.Language
	} else {
		c, err := check("source_language", req.SourceLanguage)
		if err != nil {
			return err
		}
		req.SourceLanguage = c
	}
	if len(req.TargetLanguages) > MaxLanguages {
		return copydesk.Errorf(copydesk.EINVALID, "target_languages has %d languages; at most %d are allowed", len(req.TargetLanguages), MaxLanguages)
	}
	var targets []string
	if len(req.TargetLanguages) == 0 {
		for _, l := range configured {
			if l != req.SourceLanguage {
				targets = append(targets, l)
			}
		}
	}
	for _, l := range req.TargetLanguages {
		c, err := check("target_languages", l)
		if err != nil {
			return err
		}
		if c == req.SourceLanguage {
			return copydesk.Errorf(copydesk.EINVALID, "target_languages: %q is the source language", c)
		}
		if !slices.Contains(targets, c) {
			targets = append(targets, c)
		}
	}
	if len(targets) == 0 {
		return copydesk.Errorf(copydesk.EINVALID, "no target language: the only configured language is the source, %q", req.SourceLanguage)
	}
	req.TargetLanguages = targets
	return validateGlossary(req.Glossary)
}

// validateGlossary checks the terms of a request's glossary.
func validateGlossary(terms []copydesk.GlossaryTerm) error {
	if len(terms) > MaxRequestTerms {
		return copydesk.Errorf(copydesk.EINVALID, "glossary has %d terms; at most %d are allowed in a request", len(terms), MaxRequestTerms)
	}
	seen := make(map[string]int, len(terms))
	for i := range terms {
		t := &terms[i]
		t.Term = strings.TrimSpace(t.Term)
		switch {
		case t.Term == "":
			return copydesk.Errorf(copydesk.EINVALID, "glossary[%d].term is empty", i)
		case len(t.Term) > 200:
			return copydesk.Errorf(copydesk.EINVALID, "glossary[%d].term is longer than 200 bytes", i)
		case !utf8.ValidString(t.Term) || strings.IndexByte(t.Term, 0) >= 0 || placeholderRE.MatchString(t.Term):
			return copydesk.Errorf(copydesk.EINVALID, "glossary[%d].term is not valid text", i)
		case t.DoNotTranslate && len(t.Translations) > 0:
			return copydesk.Errorf(copydesk.EINVALID, "glossary[%d] (%q) has do_not_translate and translations; set one of them", i, t.Term)
		case !t.DoNotTranslate && len(t.Translations) == 0:
			return copydesk.Errorf(copydesk.EINVALID, "glossary[%d] (%q) needs do_not_translate or at least one translation", i, t.Term)
		}
		if j, dup := seen[t.Term]; dup {
			return copydesk.Errorf(copydesk.EINVALID, "glossary[%d].term %q is a duplicate of glossary[%d]", i, t.Term, j)
		}
		seen[t.Term] = i
		if len(t.Translations) > 0 {
			tr := make(map[string]string, len(t.Translations))
			for lang, text := range t.Translations {
				code, ok := normalizeLang(lang)
				if !ok {
					return copydesk.Errorf(copydesk.EINVALID, "glossary[%d].translations: language code %q is not 2 to 8 letters", i, truncate(lang, 20))
				}
				text = strings.TrimSpace(text)
				if text == "" || len(text) > 200 || !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
					return copydesk.Errorf(copydesk.EINVALID, "glossary[%d].translations[%q] is empty, too long or not valid text", i, code)
				}
				tr[code] = text
			}
			t.Translations = tr
		}
	}
	return nil
}

// dntTerms lists the do-not-translate terms, longest first (so that a
// longer term wins over one it contains).
func dntTerms(glossary []copydesk.GlossaryTerm) []string {
	var out []string
	for _, t := range glossary {
		if t.DoNotTranslate && t.Term != "" {
			out = append(out, t.Term)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// normalizeLang lower-cases a language code and drops its region (en-US is
// en); ok is false unless the result is 2 to 8 ASCII letters.
func normalizeLang(code string) (string, bool) {
	c := strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(c, "-_"); i >= 0 {
		c = c[:i]
	}
	if len(c) < 2 || len(c) > 8 {
		return "", false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < 'a' || c[i] > 'z' {
			return "", false
		}
	}
	return c, true
}
