package copydesk

import (
	"context"
	"time"
)

// Languages is the default set of languages content is translated into.
var Languages = []string{"nl", "en", "de", "fr", "es", "it", "pt"}

// GlossaryTerm is one entry of a customer's glossary: a term that is never
// translated, or whose translation into given languages is fixed.
type GlossaryTerm struct {
	// Term is the source-language text, matched as whole words,
	// case-sensitively (brand names keep their case).
	Term string `json:"term"`
	// DoNotTranslate keeps Term as it is in every language.
	DoNotTranslate bool `json:"do_not_translate,omitempty"`
	// Translations fixes Term's translation per target language code.
	Translations map[string]string `json:"translations,omitempty"`
}

// Glossary is a customer's list of terms.
type Glossary struct {
	CustomerID string         `json:"customer_id"`
	Terms      []GlossaryTerm `json:"terms"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// Translation memory origins.
const (
	TMOriginModel  = "model"  // translated by a model
	TMOriginImport = "import" // imported from a TMX file
)

// TMEntry is one segment of the translation memory: a source segment and
// its translation into one language.
type TMEntry struct {
	CustomerID string `json:"customer_id"`
	SourceLang string `json:"source_lang"`
	TargetLang string `json:"target_lang"`
	// Source and Target are the segment's text, with markup replaced by
	// numbered placeholders as the segmenter produces them.
	Source string `json:"source"`
	Target string `json:"target"`
	// Context fingerprints what else decides the translation (glossary,
	// model class, prompt version); "" matches any context (imported
	// entries).
	Context   string    `json:"context"`
	Origin    string    `json:"origin"`
	Model     string    `json:"model,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// TMFilter selects translation memory entries. Empty fields do not filter,
// except CustomerID, which is required.
type TMFilter struct {
	CustomerID string
	SourceLang string
	TargetLang string
	// Limit caps the entries returned; 0 means MaxTMList.
	Limit int
}

// MaxTMList caps the entries one ListTM returns.
const MaxTMList = 100_000

// TMLookup asks the memory for the translations of some source segments.
type TMLookup struct {
	CustomerID string
	SourceLang string
	TargetLang string
	// Context is the caller's context fingerprint: entries of this context
	// and entries of context "" match.
	Context string
	Sources []string
}

// TranslationStore keeps glossaries and the translation memory.
type TranslationStore interface {
	// GetGlossary returns the customer's glossary; a customer without one
	// has an empty glossary (never ENOTFOUND).
	GetGlossary(ctx context.Context, customerID string) (*Glossary, error)
	// PutGlossary replaces the customer's glossary. Returns EINVALID for a
	// term that is empty or too long, or without DoNotTranslate and
	// without translations.
	PutGlossary(ctx context.Context, g *Glossary) error
	// PutTM stores entries, replacing the entry with the same customer,
	// languages, context and source. Returns EINVALID for an entry without
	// customer, languages, source or target.
	PutTM(ctx context.Context, entries []TMEntry) error
	// LookupTM returns the stored translation of each of q.Sources found,
	// keyed by source text. An entry of q.Context wins over one of
	// context "".
	LookupTM(ctx context.Context, q TMLookup) (map[string]TMEntry, error)
	// ListTM returns the customer's entries, oldest first. Returns
	// EINVALID without a customer.
	ListTM(ctx context.Context, f TMFilter) ([]TMEntry, error)
	// DeleteTM deletes the customer's entries matching f (all of them when
	// the languages are empty) and returns how many.
	DeleteTM(ctx context.Context, f TMFilter) (int, error)
}
