package translation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/prompt"
)

// Batching of the segments one model call translates.
const (
	BatchSegments = 40
	BatchChars    = 6000
)

// tmChunk caps the entries of one PutTM or the sources of one LookupTM.
const tmChunk = 1000

// engine does the segment-level work shared by the inline answer and the
// job: contexts, cache and memory lookups, batched model calls.
type engine struct {
	models   copydesk.ModelService
	store    copydesk.TranslationStore
	cache    *cache.Cache
	modelSet string
	tmpl     *prompt.Template
}

func newEngine(models copydesk.ModelService, store copydesk.TranslationStore, c *cache.Cache, modelSet string, prompts *prompt.Set) (*engine, error) {
	if prompts == nil {
		prompts = builtinPrompts
	}
	t, err := prompts.Get(TemplateName)
	if err != nil {
		return nil, err
	}
	return &engine{models: models, store: store, cache: c, modelSet: modelSet, tmpl: t}, nil
}

// glossary returns the customer's stored glossary with the request's terms
// added (a request term replaces a stored term of the same text).
func (e *engine) glossary(ctx context.Context, customerID string, extra []copydesk.GlossaryTerm) ([]copydesk.GlossaryTerm, error) {
	var out []copydesk.GlossaryTerm
	if e.store != nil && customerID != "" {
		g, err := e.store.GetGlossary(ctx, customerID)
		if err != nil {
			return nil, err
		}
		for _, t := range g.Terms {
			if !containsTerm(extra, t.Term) {
				out = append(out, t)
			}
		}
	}
	return append(out, extra...), nil
}

func containsTerm(terms []copydesk.GlossaryTerm, term string) bool {
	for _, t := range terms {
		if t.Term == term {
			return true
		}
	}
	return false
}

// work is one document to translate, for all its languages.
type work struct {
	customerID, userID, jobID string
	priority                  copydesk.Priority
	source                    string
	published                 bool
	glossary                  []copydesk.GlossaryTerm
	doc                       *document
	// rerun is set when the job runs again after a retryable failure: an
	// invalid answer is then not asked for a second time within the run,
	// which bounds what a page whose answers stay invalid can cost.
	rerun bool
}

func (w *work) kind() string {
	if w.published {
		return KindPublished
	}
	return KindDraft
}

// item is one distinct segment to translate into one language.
type item struct {
	seg     *segment
	context string
	req     cache.Request
}

// segValue is what the cache keeps of one translated segment.
type segValue struct {
	Text      string `json:"text"`
	From      string `json:"from"` // FromMemory or FromModel
	Model     string `json:"model,omitempty"`
	Provider  string `json:"provider,omitempty"`
	Simulated bool   `json:"simulated,omitempty"`
}

// context fingerprints what else decides a segment's translation into
// lang: the glossary terms it contains, the model set, the prompt version.
func (e *engine) context(w *work, s *segment, lang string) string {
	var terms []string
	for _, t := range w.glossary {
		switch {
		case t.DoNotTranslate:
			for _, p := range s.protected {
				if p == t.Term {
					terms = append(terms, "k\x00"+t.Term)
					break
				}
			}
		case t.Translations[lang] != "" && containsWord(s.Source, t.Term):
			terms = append(terms, "t\x00"+t.Term+"\x00"+t.Translations[lang])
		}
	}
	sort.Strings(terms)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d", e.modelSet, e.tmpl.Version, len(terms))
	for _, t := range terms {
		fmt.Fprintf(h, "\x00%d:%s", len(t), t)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// items returns the distinct segments of w for lang and, per segment of
// the document, the index of its item: identical segments are translated
// once.
func (e *engine) items(w *work, lang string) ([]item, []int) {
	var items []item
	idx := make([]int, len(w.doc.segs))
	byKey := make(map[string]int)
	for i, s := range w.doc.segs {
		c := e.context(w, s, lang)
		req := cache.NewRequest(cache.KeyParts{
			CustomerID: w.customerID, Kind: w.kind(), Input: s.Source,
			Params:     map[string]string{"source_language": w.source, "target_language": lang, "context": c},
			ModelClass: e.modelSet, Version: e.tmpl.Version,
		})
		if j, ok := byKey[req.Key]; ok {
			idx[i] = j
			continue
		}
		byKey[req.Key] = len(items)
		idx[i] = len(items)
		items = append(items, item{seg: s, context: c, req: req})
	}
	return items, idx
}

// lookupTM asks the memory for the items at which; it returns the usable
// entries by item index (an entry whose placeholders do not fit its
// segment is not used).
func (e *engine) lookupTM(ctx context.Context, w *work, lang string, items []item, which []int) (map[int]*segValue, error) {
	found := make(map[int]*segValue)
	if e.store == nil || w.customerID == "" || len(which) == 0 {
		return found, nil
	}
	byContext := make(map[string][]int)
	var contexts []string
	for _, i := range which {
		c := items[i].context
		if _, ok := byContext[c]; !ok {
			contexts = append(contexts, c)
		}
		byContext[c] = append(byContext[c], i)
	}
	for _, c := range contexts {
		group := byContext[c]
		for start := 0; start < len(group); start += tmChunk {
			chunk := group[start:min(len(group), start+tmChunk)]
			sources := make([]string, len(chunk))
			for j, i := range chunk {
				sources[j] = items[i].seg.Source
			}
			hits, err := e.store.LookupTM(ctx, copydesk.TMLookup{
				CustomerID: w.customerID, SourceLang: w.source, TargetLang: lang, Context: c, Sources: sources,
			})
			if err != nil {
				return nil, err
			}
			for _, i := range chunk {
				en, ok := hits[items[i].seg.Source]
				if !ok || strings.TrimSpace(en.Target) == "" || checkPlaceholders(en.Target, en.Target) != "" || checkPlaceholders(items[i].seg.Source, en.Target) != "" {
					continue
				}
				found[i] = &segValue{Text: en.Target, From: FromMemory, Model: en.Model}
			}
		}
	}
	return found, nil
}

// remembered returns the translation of w into lang when every segment is
// in the cache or the memory, without calling a model; ok is false
// otherwise. Memory hits are copied into the cache.
func (e *engine) remembered(ctx context.Context, w *work, lang string) (*LanguageResult, bool, error) {
	items, idx := e.items(w, lang)
	vals := make([]*segValue, len(items))
	froms := make([]string, len(items))
	var missing []int
	for i, it := range items {
		if e.cache != nil {
			raw, _, ok, err := e.cache.Get(ctx, it.req)
			if err == nil && ok {
				var v segValue
				if json.Unmarshal(raw, &v) == nil && v.Text != "" {
					vals[i], froms[i] = &v, FromCache
					continue
				}
			}
		}
		missing = append(missing, i)
	}
	found, err := e.lookupTM(ctx, w, lang, items, missing)
	if err != nil {
		return nil, false, err
	}
	if len(found) < len(missing) {
		return nil, false, nil
	}
	for _, i := range missing {
		vals[i], froms[i] = found[i], FromMemory
		if e.cache != nil {
			if b, err := json.Marshal(found[i]); err == nil {
				_, _ = e.cache.Set(ctx, items[i].req, b, 0)
			}
		}
	}
	return e.result(w, lang, idx, vals, froms, &runStats{}), true, nil
}

// runStats accumulates the model work of one language.
type runStats struct {
	mu        sync.Mutex
	calls     int
	cost      copydesk.Micros
	currency  string
	model     string
	provider  string
	simulated bool
}

func (st *runStats) add(res *copydesk.ModelResult) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.calls++
	st.cost += res.Usage.Cost
	st.currency = res.Usage.Currency
	st.model = res.Usage.Model
	if st.model == "" && res.Response != nil {
		st.model = res.Response.Model
	}
	st.provider = res.Usage.Provider
	st.simulated = st.simulated || res.Simulated
}

// BatchParallel is how many batches of one language are sent at once.
const BatchParallel = 4

// progress receives a language's work as it is done: each model delta
// with the number of its batch (from 1), and each group of segments as
// soon as it is translated or found in the memory (doc segment indexes and
// their values).
type progress struct {
	delta    func(batch int, text string) error
	segments func(docIdx []int, vals []segValue) error
}

// translate translates w into lang: cache, then memory, then the model for
// the rest, in batches. p receives the work as it is done.
func (e *engine) translate(ctx context.Context, w *work, lang string, p progress) (*LanguageResult, *runStats, error) {
	items, idx := e.items(w, lang)
	st := &runStats{}
	// docs maps an item (a distinct segment) to the document's segments
	// that share it.
	docs := make([][]int, len(items))
	for d, i := range idx {
		docs[i] = append(docs[i], d)
	}
	report := func(itemIdx []int, vals []segValue) error {
		if p.segments == nil {
			return nil
		}
		var dIdx []int
		var dVals []segValue
		for k, i := range itemIdx {
			for _, d := range docs[i] {
				dIdx, dVals = append(dIdx, d), append(dVals, vals[k])
			}
		}
		return p.segments(dIdx, dVals)
	}
	compute := func(cctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
		return e.compute(cctx, w, lang, items, missing, p.delta, report, st)
	}
	vals := make([]*segValue, len(items))
	froms := make([]string, len(items))
	var values [][]byte
	var outs []cache.Outcome
	var err error
	if e.cache == nil || len(items) == 0 {
		all := make([]int, len(items))
		for i := range all {
			all[i] = i
		}
		values, _, err = compute(ctx, all)
	} else {
		reqs := make([]cache.Request, len(items))
		for i, it := range items {
			reqs[i] = it.req
		}
		values, outs, err = e.cache.DoBlocks(ctx, reqs, compute)
	}
	if err != nil {
		return nil, st, err
	}
	for i, raw := range values {
		var v segValue
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, st, fmt.Errorf("decode translated segment: %w", err)
		}
		vals[i], froms[i] = &v, v.From
		if outs != nil && outs[i].Hit() {
			froms[i] = FromCache
		}
	}
	return e.result(w, lang, idx, vals, froms, st), st, nil
}

// compute produces the items at missing: from the memory where it has
// them, else from the model in batches of at most BatchSegments segments
// and BatchChars characters; the model's translations are written to the
// memory.
func (e *engine) compute(ctx context.Context, w *work, lang string, items []item, missing []int, onDelta func(int, string) error, report func([]int, []segValue) error, st *runStats) ([][]byte, []copydesk.Micros, error) {
	found, err := e.lookupTM(ctx, w, lang, items, missing)
	if err != nil {
		return nil, nil, err
	}
	values := make([][]byte, len(missing))
	costs := make([]copydesk.Micros, len(missing))
	var rest []int // positions in missing
	var memIdx []int
	var memVals []segValue
	for j, i := range missing {
		if v, ok := found[i]; ok {
			if values[j], err = json.Marshal(v); err != nil {
				return nil, nil, err
			}
			memIdx, memVals = append(memIdx, i), append(memVals, *v)
			continue
		}
		rest = append(rest, j)
	}
	if len(memIdx) > 0 {
		if err := report(memIdx, memVals); err != nil {
			return nil, nil, err
		}
	}
	if len(rest) > 0 && e.models == nil {
		return nil, nil, copydesk.Errorf(copydesk.ENOPROVIDER, "translation needs a provider for %d segments not in the translation memory; configure one or start with --simulate", len(rest))
	}
	// The batches run BatchParallel at a time; each one's segments are
	// reported and remembered as soon as it is done, so a failure later
	// loses nothing already paid for.
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	sem := make(chan struct{}, BatchParallel)
	var wg sync.WaitGroup
	for n, batch := range batches(rest, func(j int) int { return len(items[missing[j]].seg.Source) }) {
		sem <- struct{}{}
		if failed() || ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := e.runBatch(ctx, w, lang, items, missing, batch, n+1, onDelta, report, st, values, costs); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	return values, costs, nil
}

// runBatch translates one batch (positions in missing), fills its values
// and costs, writes it to the memory and reports it.
func (e *engine) runBatch(ctx context.Context, w *work, lang string, items []item, missing, batch []int, n int, onDelta func(int, string) error, report func([]int, []segValue) error, st *runStats, values [][]byte, costs []copydesk.Micros) error {
	sources := make([]string, len(batch))
	total := 0
	for k, j := range batch {
		sources[k] = items[missing[j]].seg.Source
		total += len(sources[k])
	}
	var delta func(string) error
	if onDelta != nil {
		delta = func(d string) error { return onDelta(n, d) }
	}
	texts, res, err := e.callBatch(ctx, w, lang, sources, delta)
	if err != nil {
		return err
	}
	st.add(res)
	entries := make([]copydesk.TMEntry, len(batch))
	itemIdx := make([]int, len(batch))
	vals := make([]segValue, len(batch))
	for k, j := range batch {
		it := items[missing[j]]
		v := segValue{Text: texts[k], From: FromModel, Model: res.Usage.Model, Provider: res.Usage.Provider, Simulated: res.Simulated}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		values[j] = b // each batch owns its positions
		if total > 0 {
			costs[j] = res.Usage.Cost * copydesk.Micros(len(sources[k])) / copydesk.Micros(total)
		}
		entries[k] = copydesk.TMEntry{
			CustomerID: w.customerID, SourceLang: w.source, TargetLang: lang, Source: sources[k], Target: texts[k],
			Context: it.context, Origin: copydesk.TMOriginModel, Model: res.Usage.Model,
		}
		itemIdx[k], vals[k] = missing[j], v
	}
	if e.store != nil && w.customerID != "" {
		if err := e.store.PutTM(ctx, entries); err != nil {
			return err
		}
	}
	return report(itemIdx, vals)
}

// batches groups positions into batches of at most BatchSegments whose
// sizes add up to at most BatchChars (a larger segment goes alone).
func batches(pos []int, size func(int) int) [][]int {
	var out [][]int
	var cur []int
	chars := 0
	for _, p := range pos {
		n := size(p)
		if len(cur) > 0 && (len(cur) >= BatchSegments || chars+n > BatchChars) {
			out = append(out, cur)
			cur, chars = nil, 0
		}
		cur = append(cur, p)
		chars += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// callBatch asks the model for one batch. An invalid answer (not the
// schema, a wrong count, placeholders changed) is asked again once.
func (e *engine) callBatch(ctx context.Context, w *work, lang string, sources []string, onDelta func(string) error) ([]string, *copydesk.ModelResult, error) {
	req, err := buildRequest(e.tmpl, w.source, lang, w.glossary, sources)
	if err != nil {
		return nil, nil, err
	}
	call := copydesk.ModelCall{
		Kind: w.kind(), Priority: w.priority, CustomerID: w.customerID, UserID: w.userID, JobID: w.jobID,
		Request: req, Version: e.tmpl.Version,
		Validate: func(r *copydesk.ModelResponse) error {
			_, err := decodeTranslations(r.Text, sources)
			return err
		},
	}
	for attempt := 0; ; attempt++ {
		res, err := e.models.Stream(ctx, call, onDelta)
		var texts []string
		if err == nil {
			if texts, err = decodeTranslations(res.Response.Text, sources); err == nil {
				return texts, res, nil
			}
		}
		var pe *copydesk.ProviderError
		if attempt == 0 && !w.rerun && errors.As(err, &pe) && pe.Kind == copydesk.ProviderInvalid && ctx.Err() == nil {
			continue
		}
		return nil, nil, err
	}
}

// result assembles the translation into lang from each item's value.
func (e *engine) result(w *work, lang string, idx []int, vals []*segValue, froms []string, st *runStats) *LanguageResult {
	r := &LanguageResult{Language: lang, Segments: make([]Segment, len(w.doc.segs)), Checks: []Check{}}
	texts := make([]string, len(w.doc.segs))
	for i, s := range w.doc.segs {
		j := idx[i]
		v := vals[j]
		texts[i] = v.Text
		r.Segments[i] = Segment{Index: i, Source: s.Source, Text: v.Text, From: froms[j]}
		if froms[j] == FromModel {
			r.Translated++
		} else {
			r.Reused++
		}
		if r.Model == "" {
			r.Model, r.Provider = v.Model, v.Provider
		}
		r.Simulated = r.Simulated || v.Simulated
		r.Checks = append(r.Checks, checkSegment(i, s, v.Text, lang, w.glossary)...)
	}
	r.Content = w.doc.render(texts)
	st.mu.Lock()
	if st.model != "" {
		r.Model, r.Provider = st.model, st.provider
	}
	r.CostMicros = st.cost
	r.Simulated = r.Simulated || st.simulated
	st.mu.Unlock()
	return r
}

// numberRE finds numbers: digit groups with their separators (2026, 19.99,
// 3,5, 1.000.000).
var numberRE = regexp.MustCompile(`[0-9]+(?:[.,][0-9]+)*`)

// numbers returns the digits of each number in s outside placeholders, so
// that 19.99 and 19,99 are the same number.
func numbers(s string) []string {
	s = placeholderRE.ReplaceAllString(s, " ")
	var out []string
	for _, m := range numberRE.FindAllString(s, -1) {
		out = append(out, strings.NewReplacer(".", "", ",", "").Replace(m))
	}
	return out
}

// checkSegment finds what a translation of segment i lost: a forced
// glossary translation, a do-not-translate term, a number, placeholders.
func checkSegment(i int, s *segment, text, lang string, glossary []copydesk.GlossaryTerm) []Check {
	var out []Check
	if msg := checkPlaceholders(s.Source, text); msg != "" {
		out = append(out, Check{Segment: i, Code: CheckPlaceholderMismatch, Message: msg})
	}
	plainSource := placeholderRE.ReplaceAllString(s.Source, " ")
	lowerText := strings.ToLower(text)
	for _, t := range glossary {
		tr := t.Translations[lang]
		if t.DoNotTranslate || tr == "" || !containsWord(plainSource, t.Term) {
			continue
		}
		if !strings.Contains(lowerText, strings.ToLower(tr)) {
			out = append(out, Check{Segment: i, Code: CheckGlossaryMissing, Message: fmt.Sprintf("glossary: %q should be translated as %q", t.Term, tr)})
		}
	}
	if len(s.protected) > 0 {
		rendered := s.render(text)
		seen := map[string]bool{}
		for _, term := range s.protected {
			if !seen[term] && !strings.Contains(rendered, term) {
				out = append(out, Check{Segment: i, Code: CheckGlossaryTranslated, Message: fmt.Sprintf("glossary: %q must stay untranslated", term)})
			}
			seen[term] = true
		}
	}
	have := map[string]bool{}
	for _, n := range numbers(text) {
		have[n] = true
	}
	seen := map[string]bool{}
	for _, m := range numberRE.FindAllString(plainSource, -1) {
		n := strings.NewReplacer(".", "", ",", "").Replace(m)
		if !have[n] && !seen[n] {
			out = append(out, Check{Segment: i, Code: CheckNumberMissing, Message: fmt.Sprintf("the number %s of the source is not in the translation", m)})
		}
		seen[n] = true
	}
	return out
}
