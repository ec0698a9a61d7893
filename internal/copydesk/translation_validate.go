package copydesk

// Validation and normalization of glossaries and translation memory
// entries, shared by every TranslationStore so that they accept and refuse
// exactly the same (one conformance suite runs against each).

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of glossaries and of the translation memory.
const (
	// MaxGlossaryTerms caps the terms of one glossary.
	MaxGlossaryTerms = 5_000
	// MaxGlossaryTermLen caps a term and each of its translations, in bytes.
	MaxGlossaryTermLen = 200
	// MaxGlossaryTranslations caps the languages one term is translated into.
	MaxGlossaryTranslations = 100
	// MaxTMText caps an entry's source and target, in bytes.
	MaxTMText = 64 << 10
	// MaxTMContextLen caps an entry's context fingerprint and model name, in bytes.
	MaxTMContextLen = 256
	// MaxTMBatch caps the entries of one PutTM.
	MaxTMBatch = 10_000
	// MaxTMLookup caps the sources of one LookupTM.
	MaxTMLookup = 10_000
)

// NormalizeLanguage trims and lower-cases a language code and checks that it
// is 2 to 8 ASCII letters ("nl", "en", "fil"). Returns EINVALID otherwise.
func NormalizeLanguage(code string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(code))
	if len(c) < 2 || len(c) > 8 {
		return "", Errorf(EINVALID, "language code %q is not 2 to 8 letters", code)
	}
	for i := 0; i < len(c); i++ {
		if c[i] < 'a' || c[i] > 'z' {
			return "", Errorf(EINVALID, "language code %q is not 2 to 8 letters", code)
		}
	}
	return c, nil
}

// checkText checks a stored text field: present, at most max bytes, valid
// UTF-8, no NUL byte (PostgreSQL's text cannot hold one).
func checkText(field, s string, max int) error {
	switch {
	case s == "":
		return Errorf(EINVALID, "%s is empty", field)
	case len(s) > max:
		return Errorf(EINVALID, "%s is longer than %d bytes", field, max)
	case !utf8.ValidString(s):
		return Errorf(EINVALID, "%s is not valid UTF-8", field)
	case strings.IndexByte(s, 0) >= 0:
		return Errorf(EINVALID, "%s contains a NUL byte", field)
	}
	return nil
}

// checkOptional is checkText for a field that may be empty.
func checkOptional(field, s string, max int) error {
	if s == "" {
		return nil
	}
	return checkText(field, s, max)
}

// checkCustomer checks a required customer ID.
func checkCustomer(field, id string) error {
	if strings.TrimSpace(id) == "" {
		return Errorf(EINVALID, "%s is required", field)
	}
	return checkText(field, id, MaxIDLen)
}

// Prepare validates g, normalizes it and sets UpdatedAt to now (UTC): terms
// and translations are trimmed, language codes lower-cased, a nil Terms
// becomes empty and an empty Translations nil. Returns EINVALID without a
// customer, for more than MaxGlossaryTerms terms, and for a term that is
// empty, longer than MaxGlossaryTermLen bytes, a duplicate, without
// DoNotTranslate and without translations, or with both, or with a bad
// language code or an empty or too long translation; the message names the
// term's index and the field.
func (g *Glossary) Prepare(now time.Time) error {
	if g == nil {
		return Errorf(EINVALID, "glossary is missing")
	}
	if err := checkCustomer("glossary customer id", g.CustomerID); err != nil {
		return err
	}
	if len(g.Terms) > MaxGlossaryTerms {
		return Errorf(EINVALID, "glossary has %d terms; at most %d are allowed", len(g.Terms), MaxGlossaryTerms)
	}
	terms := make([]GlossaryTerm, len(g.Terms))
	seen := make(map[string]int, len(g.Terms))
	for i, t := range g.Terms {
		t.Term = strings.TrimSpace(t.Term)
		if err := checkText(termField(i, "term"), t.Term, MaxGlossaryTermLen); err != nil {
			return err
		}
		if j, dup := seen[t.Term]; dup {
			return Errorf(EINVALID, "glossary terms[%d].term %q is a duplicate of terms[%d]", i, t.Term, j)
		}
		seen[t.Term] = i
		if t.DoNotTranslate && len(t.Translations) > 0 {
			return Errorf(EINVALID, "glossary terms[%d] (%q) has do_not_translate and translations; set one of them", i, t.Term)
		}
		if !t.DoNotTranslate && len(t.Translations) == 0 {
			return Errorf(EINVALID, "glossary terms[%d] (%q) needs do_not_translate or at least one translation", i, t.Term)
		}
		if len(t.Translations) > MaxGlossaryTranslations {
			return Errorf(EINVALID, "glossary terms[%d].translations has %d languages; at most %d are allowed", i, len(t.Translations), MaxGlossaryTranslations)
		}
		var tr map[string]string
		if len(t.Translations) > 0 {
			tr = make(map[string]string, len(t.Translations))
			for lang, text := range t.Translations {
				code, err := NormalizeLanguage(lang)
				if err != nil {
					return Errorf(EINVALID, "glossary terms[%d].translations: %s", i, ErrorMessage(err))
				}
				if _, dup := tr[code]; dup {
					return Errorf(EINVALID, "glossary terms[%d].translations has language %q twice", i, code)
				}
				text = strings.TrimSpace(text)
				if err := checkText(termField(i, "translations[\""+code+"\"]"), text, MaxGlossaryTermLen); err != nil {
					return err
				}
				tr[code] = text
			}
		}
		t.Translations = tr
		terms[i] = t
	}
	g.Terms = terms
	g.UpdatedAt = now.UTC()
	return nil
}

func termField(i int, field string) string {
	return "glossary terms[" + strconv.Itoa(i) + "]." + field
}

// Prepare validates e, lower-cases its language codes and sets CreatedAt to
// now (UTC). Source, Target and Context are kept byte for byte. Returns
// EINVALID naming the bad field: a missing customer, a bad or missing
// language code, equal source and target languages, an empty source or
// target or one longer than MaxTMText bytes, invalid UTF-8 or a NUL byte,
// a context or model longer than MaxTMContextLen, or an origin other than
// TMOriginModel and TMOriginImport.
func (e *TMEntry) Prepare(now time.Time) error {
	if e == nil {
		return Errorf(EINVALID, "translation memory entry is missing")
	}
	if err := checkCustomer("customer id", e.CustomerID); err != nil {
		return err
	}
	var err error
	if e.SourceLang, err = NormalizeLanguage(e.SourceLang); err != nil {
		return Errorf(EINVALID, "source_lang: %s", ErrorMessage(err))
	}
	if e.TargetLang, err = NormalizeLanguage(e.TargetLang); err != nil {
		return Errorf(EINVALID, "target_lang: %s", ErrorMessage(err))
	}
	if e.SourceLang == e.TargetLang {
		return Errorf(EINVALID, "source_lang and target_lang are both %q", e.SourceLang)
	}
	if err := checkText("source", e.Source, MaxTMText); err != nil {
		return err
	}
	if err := checkText("target", e.Target, MaxTMText); err != nil {
		return err
	}
	if err := checkOptional("context", e.Context, MaxTMContextLen); err != nil {
		return err
	}
	if err := checkOptional("model", e.Model, MaxTMContextLen); err != nil {
		return err
	}
	if e.Origin != TMOriginModel && e.Origin != TMOriginImport {
		return Errorf(EINVALID, "origin %q is not one of %s, %s", e.Origin, TMOriginModel, TMOriginImport)
	}
	e.CreatedAt = now.UTC()
	return nil
}

// PrepareTMBatch validates and normalizes a PutTM batch (see TMEntry.Prepare)
// and returns a copy of it, leaving entries untouched, in which entries with
// the same customer, languages, context and source are merged: the last one
// wins, at the position of the first. Returns EINVALID for more than
// MaxTMBatch entries or naming the index and field of the first bad entry.
func PrepareTMBatch(entries []TMEntry, now time.Time) ([]TMEntry, error) {
	if len(entries) > MaxTMBatch {
		return nil, Errorf(EINVALID, "%d translation memory entries in one call; at most %d are allowed", len(entries), MaxTMBatch)
	}
	type key struct{ customer, source, target, context, text string }
	out := make([]TMEntry, 0, len(entries))
	at := make(map[key]int, len(entries))
	for i, e := range entries {
		if err := e.Prepare(now); err != nil {
			return nil, Errorf(EINVALID, "translation memory entries[%d]: %s", i, ErrorMessage(err))
		}
		k := key{e.CustomerID, e.SourceLang, e.TargetLang, e.Context, e.Source}
		if j, ok := at[k]; ok {
			out[j] = e
			continue
		}
		at[k] = len(out)
		out = append(out, e)
	}
	return out, nil
}

// Prepare validates q and lower-cases its language codes. Duplicate and
// empty sources are allowed (an empty one is never found). Returns EINVALID
// without a customer, for a bad language code or for more than MaxTMLookup
// sources.
func (q *TMLookup) Prepare() error {
	if err := checkCustomer("customer id", q.CustomerID); err != nil {
		return err
	}
	var err error
	if q.SourceLang, err = NormalizeLanguage(q.SourceLang); err != nil {
		return Errorf(EINVALID, "source_lang: %s", ErrorMessage(err))
	}
	if q.TargetLang, err = NormalizeLanguage(q.TargetLang); err != nil {
		return Errorf(EINVALID, "target_lang: %s", ErrorMessage(err))
	}
	if len(q.Sources) > MaxTMLookup {
		return Errorf(EINVALID, "%d sources in one lookup; at most %d are allowed", len(q.Sources), MaxTMLookup)
	}
	return nil
}

// Prepare validates f, lower-cases its language codes and fills its Limit:
// 0 and anything above MaxTMList become MaxTMList. Returns EINVALID without
// a customer, for a bad language code or a negative limit.
func (f *TMFilter) Prepare() error {
	if err := checkCustomer("customer id", f.CustomerID); err != nil {
		return err
	}
	var err error
	if f.SourceLang != "" {
		if f.SourceLang, err = NormalizeLanguage(f.SourceLang); err != nil {
			return Errorf(EINVALID, "source_lang: %s", ErrorMessage(err))
		}
	}
	if f.TargetLang != "" {
		if f.TargetLang, err = NormalizeLanguage(f.TargetLang); err != nil {
			return Errorf(EINVALID, "target_lang: %s", ErrorMessage(err))
		}
	}
	if f.Limit < 0 {
		return Errorf(EINVALID, "limit cannot be negative (got %d)", f.Limit)
	}
	if f.Limit == 0 || f.Limit > MaxTMList {
		f.Limit = MaxTMList
	}
	return nil
}

// PickTM is the context rule of LookupTM, for stores that read both
// candidates of a source: it reports whether candidate should replace have
// (found so far, ok=false if none) for a lookup in context ctx. An entry of
// ctx wins over one of context "".
func PickTM(have TMEntry, ok bool, candidate TMEntry, ctx string) bool {
	if !ok {
		return candidate.Context == ctx || candidate.Context == ""
	}
	return have.Context != ctx && candidate.Context == ctx
}

// TMSourceHash is the key stores index a memory entry's source by: the hex
// SHA-256 of its text (sources may be long; the index holds the hash).
func TMSourceHash(source string) string {
	sum := sha256.Sum256([]byte(source))
	return hex.EncodeToString(sum[:])
}

// SourceHashes returns the TMSourceHash of each distinct non-empty source
// of the lookup, in their first order: what a store queries for.
func (q *TMLookup) SourceHashes() []string {
	seen := make(map[string]bool, len(q.Sources))
	out := make([]string, 0, len(q.Sources))
	for _, s := range q.Sources {
		if s == "" {
			continue
		}
		if h := TMSourceHash(s); !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}
