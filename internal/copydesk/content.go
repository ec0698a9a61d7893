package copydesk

import (
	"context"
	"encoding/json"
	"io"
	"time"
)

// The content services: analysis, page generation, translation, SEO
// suggestions and bulk jobs. The http package talks to them through these
// interfaces (cmd/copydesk wires the concrete ones: analysis.Service,
// generation.Service, translation.Service, suggest.Service, batch.Service).
// A service returns IDs (job ID, result key), never URLs: the http package
// builds every URL from them.

// ContentFormat is the markup of a piece of content.
type ContentFormat string

// AnalysisType names one analysis of the engine (readability, seo,
// structure, grammar, tone, sentiment).
type AnalysisType string

// AnalysisRequest asks for an analysis. Types are run locally; Deep names
// the analyses a model deepens (they must be among Types, which they are
// added to if missing).
type AnalysisRequest struct {
	Content         string         `json:"content"`
	Format          ContentFormat  `json:"format,omitempty"`
	Language        string         `json:"language,omitempty"`
	Keyphrase       string         `json:"keyphrase,omitempty"`
	Synonyms        []string       `json:"synonyms,omitempty"`
	Title           string         `json:"title,omitempty"`
	MetaDescription string         `json:"meta_description,omitempty"`
	Slug            string         `json:"slug,omitempty"`
	Types           []AnalysisType `json:"types,omitempty"`
	Deep            []AnalysisType `json:"deep,omitempty"`
	Priority        string         `json:"priority,omitempty"`
	// TierRequest asks for the batch tier for the deep (model) analyses.
	TierRequest
	// Locale is the language of the report's messages and label texts
	// (a supported language, region subtags accepted); empty or
	// unsupported gives English.
	Locale string `json:"locale,omitempty"`
	// AcceptLanguage is the caller's Accept-Language header: the service
	// takes Locale from it when the request names none. Never stored.
	AcceptLanguage string `json:"-"`
}

// AnalysisResponse answers an AnalysisRequest. Status is "complete" when
// every requested result is in Report, "pending" when model work runs as
// job JobID.
type AnalysisResponse struct {
	Status string `json:"status"`
	// Report is the local report as JSON: a cached report is passed
	// through as stored, never decoded and re-encoded.
	Report json.RawMessage `json:"report"`
	// ResultKey addresses the local report by content while it is cached
	// (AnalysisService.Result); "" without a cache.
	ResultKey string `json:"result_key,omitempty"`
	// Cached is set when the local report came from the cache.
	Cached bool `json:"cached"`
	// DeepCached is set when the model-backed findings came from the cache
	// (no job): they are merged into Report.
	DeepCached bool `json:"deep_cached,omitempty"`
	// Pending names the tasks of the job.
	Pending []string `json:"pending,omitempty"`
	// JobID is the job of the model-backed work; "" when complete.
	JobID string `json:"job_id,omitempty"`
}

// AnalysisService runs analyses.
type AnalysisService interface {
	// Analyze runs the local analyses inline and, when deepening is asked
	// for, submits a job for it. Returns EINVALID for bad fields,
	// ETOOLARGE for oversized content and ENOPROVIDER when deepening needs
	// a provider that is not configured.
	Analyze(ctx context.Context, req *AnalysisRequest, customerID, userID string) (*AnalysisResponse, error)
	// Result returns a cached local report (JSON) by its key, and when it
	// leaves the cache. Returns ENOTFOUND when it is not (or no longer)
	// cached.
	Result(ctx context.Context, key string) (report []byte, expiresAt time.Time, err error)
}

// Business is what generated copy is written for.
type Business struct {
	Name        string   `json:"name"`
	Industry    string   `json:"industry,omitempty"`
	Audience    string   `json:"audience,omitempty"`
	Tone        string   `json:"tone,omitempty"`     // e.g. "friendly", "formal"
	Language    string   `json:"language,omitempty"` // nl, en, de, fr, es, it, pt (en-US: en); default en
	Keywords    []string `json:"keywords,omitempty"`
	Description string   `json:"description,omitempty"`
}

// GenerationRequest asks for a page.
type GenerationRequest struct {
	Business Business `json:"business"`
	// Blocks are the block types in page order; empty: the default page.
	// A type may appear more than once.
	Blocks       []string `json:"blocks,omitempty"`
	Instructions string   `json:"instructions,omitempty"`
	Priority     string   `json:"priority,omitempty"` // critical|high|medium|low (ParsePriority)
	// TierRequest asks for the batch tier for the blocks' model calls.
	TierRequest
}

// GenerationResponse answers a GenerationRequest: the page is generated
// by job JobID, one task per block.
type GenerationResponse struct {
	Status string   `json:"status"` // "pending"
	Blocks []string `json:"blocks"` // task names, in page order: "block.1.hero", "block.2.features", …
	JobID  string   `json:"job_id"`
}

// GenerationService accepts page generation requests.
type GenerationService interface {
	// Generate validates req and submits the job that generates the page.
	// Returns EINVALID naming the bad field and ENOPROVIDER when no
	// provider is configured.
	Generate(ctx context.Context, req *GenerationRequest, customerID, userID string) (*GenerationResponse, error)
}

// SuggestionRequest asks for SEO suggestions for one page.
type SuggestionRequest struct {
	Content         string        `json:"content"`
	Format          ContentFormat `json:"format,omitempty"`           // text, markdown, html; default text
	Language        string        `json:"language,omitempty"`         // ISO 639-1; "" or "auto": detected
	Keyphrase       string        `json:"keyphrase,omitempty"`        // the focus keyphrase, if any
	Title           string        `json:"title,omitempty"`            // current SEO title, if any
	MetaDescription string        `json:"meta_description,omitempty"` // current meta description, if any
	Slug            string        `json:"slug,omitempty"`
	Count           int           `json:"count,omitempty"` // suggestions per kind, default 3, max 10
	Priority        string        `json:"priority,omitempty"`
	// TierRequest asks for the batch tier for the model call.
	TierRequest
}

// SuggestionResponse accepts a SuggestionRequest: the suggestions are made
// by job JobID and arrive in its events and its result.
type SuggestionResponse struct {
	// Status is "pending".
	Status string `json:"status"`
	// Current is the local SEO result of the content as it is now,
	// answered inline.
	Current json.RawMessage `json:"current"`
	JobID   string          `json:"job_id"`
}

// SuggestionService accepts SEO suggestion requests.
type SuggestionService interface {
	// Suggest validates req, scores the page as it is now and submits the
	// job that asks a model for suggestions. Returns EINVALID naming the
	// bad field, ETOOLARGE, EUNPROCESSABLE for text that is not UTF-8, and
	// ENOPROVIDER when no provider is configured.
	Suggest(ctx context.Context, req *SuggestionRequest, customerID, userID string) (*SuggestionResponse, error)
}

// TranslationRequest asks for the translation of content into some
// languages.
type TranslationRequest struct {
	Content string `json:"content"`
	// Format is text (default), markdown or html.
	Format string `json:"format,omitempty"`
	// SourceLanguage is detected when empty.
	SourceLanguage string `json:"source_language,omitempty"`
	// TargetLanguages defaults to every configured language but the source.
	TargetLanguages []string `json:"target_languages,omitempty"`
	// Glossary is added to the customer's stored glossary for this request
	// (a term of the same text replaces the stored one).
	Glossary []GlossaryTerm `json:"glossary,omitempty"`
	// Published selects the cache tier: translation.published (permanent)
	// rather than translation.draft (dynamic).
	Published bool `json:"published,omitempty"`
	// Priority is critical, high (default), medium or low.
	Priority string `json:"priority,omitempty"`
	// TierRequest asks for the batch tier (service_tier, complete_by):
	// the model work is then done by provider batches at the batch price.
	TierRequest
}

// TranslatedSegment is one translated segment. Source and Text hold
// placeholders (<x1>…</x1>, <x2/>) where the input has markup or protected
// text.
type TranslatedSegment struct {
	Index  int    `json:"index"`
	Source string `json:"source"`
	Text   string `json:"text"`
	// From is "memory", "cache" or "model".
	From string `json:"from"`
}

// TranslationCheck is one problem found in a translated segment.
type TranslationCheck struct {
	Segment int    `json:"segment"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TranslationResult is the translation into one language.
type TranslationResult struct {
	Language string `json:"language"`
	// Content is the reassembled translated document, in the format and
	// with the markup of the input.
	Content  string              `json:"content"`
	Segments []TranslatedSegment `json:"segments"`
	// Reused counts the segments from memory or cache, Translated those a
	// model translated in this request.
	Reused     int `json:"reused"`
	Translated int `json:"translated"`
	// Checks are the glossary, number and placeholder problems found after
	// the fact; empty when fine.
	Checks     []TranslationCheck `json:"checks"`
	Model      string             `json:"model,omitempty"`
	Provider   string             `json:"provider,omitempty"`
	CostMicros Micros             `json:"cost_micros"`
	Simulated  bool               `json:"simulated"`
}

// TranslationResponse answers a TranslationRequest. Status is "complete"
// when every segment of every language came from memory or cache
// (Translations is filled, no job ran), "pending" when job JobID
// translates the rest.
type TranslationResponse struct {
	Status         string                        `json:"status"`
	SourceLanguage string                        `json:"source_language"`
	Languages      []string                      `json:"languages"`
	Segments       int                           `json:"segments"`
	Translations   map[string]*TranslationResult `json:"translations,omitempty"`
	JobID          string                        `json:"job_id,omitempty"`
}

// TMXImportResult reports a translation memory import.
type TMXImportResult struct {
	// Entries is the number of source–target pairs stored.
	Entries int `json:"entries"`
	// Skipped counts the pairs left out: empty, in an unusable language,
	// or with inline codes that do not pair up.
	Skipped int `json:"skipped"`
	// Languages are the languages of the stored entries, sorted.
	Languages []string `json:"languages"`
}

// TranslationService translates content and keeps each customer's
// glossary and translation memory.
type TranslationService interface {
	// Translate translates req for the customer: answered inline when
	// every segment is remembered, else submitted as one job. Returns
	// EINVALID for a bad field, ETOOLARGE, EUNPROCESSABLE and ENOPROVIDER
	// when a model is needed and none is configured.
	Translate(ctx context.Context, req *TranslationRequest, customerID, userID string) (*TranslationResponse, error)
	// Glossary returns the customer's glossary (no terms when none is
	// stored). Returns EUNAVAILABLE without a store.
	Glossary(ctx context.Context, customerID string) (*Glossary, error)
	// SetGlossary replaces the customer's glossary and returns it as
	// stored. Returns EINVALID for a bad term and EUNAVAILABLE without a
	// store.
	SetGlossary(ctx context.Context, g *Glossary) (*Glossary, error)
	// ExportTMX writes the memory entries matching f as a TMX 1.4b file.
	ExportTMX(ctx context.Context, f TMFilter, w io.Writer) error
	// ImportTMX reads a TMX file into the customer's memory. Returns
	// EINVALID or ETOOLARGE for a file it cannot take; an error of r (such
	// as *http.MaxBytesError) is returned wrapped.
	ImportTMX(ctx context.Context, customerID string, r io.Reader) (*TMXImportResult, error)
	// DeleteMemory deletes the memory entries matching f and returns how
	// many.
	DeleteMemory(ctx context.Context, f TMFilter) (int, error)
}

// BatchJobKind is the job kind of a bulk job (the parent of its items).
const BatchJobKind = "batch"

// BulkRequest asks for a bulk job.
type BulkRequest struct {
	// Kind is the kind of every item (analysis, translation, generation,
	// seo_suggestions).
	Kind string `json:"kind"`
	// Priority of the parent job and of every item's model calls; default
	// low (batch work yields to interactive requests).
	Priority string `json:"priority,omitempty"`
	// TierRequest asks for the batch tier for every item's model calls
	// (items cannot ask for a tier of their own).
	TierRequest
	// Items are the single-item requests, each as its endpoint takes it
	// (without a priority or service tier of their own).
	Items []json.RawMessage `json:"items"`
	// AcceptLanguage is the request's Accept-Language header: the locale
	// of analyses that name none, as for a single analysis. Never stored.
	AcceptLanguage string `json:"-"`
}

// BatchCounts sum a batch's items.
type BatchCounts struct {
	Total int `json:"total"`
	// Done counts the items finished with a result (partial ones too).
	Done int `json:"done"`
	// Failed counts the items that failed.
	Failed int `json:"failed"`
	// Cached counts the done items that needed no provider call (cached,
	// remembered, or local work only): they cost nothing.
	Cached int `json:"cached"`
	// Pending counts the items not finished yet.
	Pending int `json:"pending"`
	// Cost sums what the items' provider calls cost, in micro-units.
	Cost Micros `json:"cost"`
}

// BulkItem is one finished item of a bulk job.
type BulkItem struct {
	Index int `json:"index"`
	// Status is "succeeded", "partial" (some of the item's tasks failed)
	// or "failed".
	Status string `json:"status"`
	// Cached is set when no provider was called for the item.
	Cached bool `json:"cached"`
	// Cost is what the item's provider calls cost, in micro-units.
	Cost Micros `json:"cost"`
	// Result is what the single-item job (or the inline answer) gives:
	// an analysis report, a translation result, a generated page, SEO
	// suggestions.
	Result json.RawMessage `json:"result,omitempty"`
	// Error tells why the item failed.
	Error *JobError `json:"error,omitempty"`
	// Retryable is set on a failure that a later run of the batch tries
	// again (a run of the parent job retried by the queue).
	Retryable bool `json:"retryable,omitempty"`
	// Counts are the batch's counts after this item (on the stream).
	Counts *BatchCounts `json:"counts,omitempty"`
}

// BatchAccepted answers a BulkRequest.
type BatchAccepted struct {
	// Job is the parent job (queued).
	Job *Job
	// Kind and Total describe its items.
	Kind  string
	Total int
}

// BatchStatus is a page of a batch's progress.
type BatchStatus struct {
	Kind   string      `json:"kind"`
	Counts BatchCounts `json:"counts"`
	Offset int         `json:"offset"`
	Limit  int         `json:"limit"`
	Items  []*BulkItem `json:"items"`
}

// BatchService accepts bulk jobs and reads their results.
type BatchService interface {
	// Submit checks every item (the first bad one is refused with its
	// index, and nothing is accepted) and submits the parent job. Returns
	// EINVALID for an unknown kind, no items, too many or a bad item, the
	// code of an item's check (ETOOLARGE, EUNPROCESSABLE, ENOPROVIDER) and
	// the submitter's errors.
	Submit(ctx context.Context, req *BulkRequest, customerID, userID string) (*BatchAccepted, error)
	// Status returns the batch's counts and the finished items with an
	// index in [offset, offset+limit). Returns EINVALID for a job that is
	// not a batch or a bad page.
	Status(ctx context.Context, job *Job, offset, limit int) (*BatchStatus, error)
	// Results calls fn with every finished item, in the order they
	// finished, without holding them all in memory. Returns EINVALID for
	// a job that is not a batch, and fn's error.
	Results(ctx context.Context, job *Job, fn func(*BulkItem) error) error
}
