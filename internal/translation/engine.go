package translation

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
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
		prompts = builtinPrompts()
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
	keyID                     string // the API key the job was submitted with
	priority                  copydesk.Priority
	source                    string
	published                 bool
	glossary                  []copydesk.GlossaryTerm
	doc                       *document
	// rerun is set when the job runs again after a retryable failure: an
	// invalid answer is then not asked for a second time within the run,
	// which bounds what a page whose answers stay invalid can cost.
	rerun bool

	termsOnce sync.Once
	terms     [][]int // per segment: the glossary terms with translations it contains
}

// forced returns the indexes (into w.glossary) of the terms with a
// translation that segment i contains, matched case-insensitively as whole
// words ("Dashboard" at a sentence start is the term "dashboard"). It is
// computed once per work, for every language.
func (w *work) forced(i int) []int {
	w.termsOnce.Do(func() {
		w.terms = make([][]int, len(w.doc.segs))
		var idx []int
		var lower []string
		for k, t := range w.glossary {
			if !t.DoNotTranslate && len(t.Translations) > 0 && t.Term != "" {
				idx, lower = append(idx, k), append(lower, strings.ToLower(t.Term))
			}
		}
		if len(idx) == 0 {
			return
		}
		for j, seg := range w.doc.segs {
			src := strings.ToLower(seg.Source)
			for n, term := range lower {
				if containsWord(src, term) {
					w.terms[j] = append(w.terms[j], idx[n])
				}
			}
		}
	})
	return w.terms[i]
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
	doc     int // the first document segment of the item
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
func (e *engine) context(w *work, i int, lang string) string {
	s := w.doc.segs[i]
	var terms []string
	if len(s.protected) > 0 {
		for _, t := range w.glossary {
			if t.DoNotTranslate && slices.Contains(s.protected, t.Term) {
				terms = append(terms, "k\x00"+t.Term)
			}
		}
	}
	for _, k := range w.forced(i) {
		t := w.glossary[k]
		if tr := t.Translations[lang]; tr != "" {
			terms = append(terms, "t\x00"+t.Term+"\x00"+tr)
		}
	}
	sort.Strings(terms)
	h := sha256.New()
	h.Write([]byte(e.modelSet + "\x00" + e.tmpl.Version + "\x00" + strconv.Itoa(len(terms))))
	for _, t := range terms {
		h.Write([]byte("\x00" + strconv.Itoa(len(t)) + ":" + t))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// items returns the distinct segments of w for lang and, per segment of
// the document, the index of its item: identical segments are translated
// once.
func (e *engine) items(w *work, lang string) ([]item, []int) {
	var items []item
	idx := make([]int, len(w.doc.segs))
	byKey := make(map[string]int)
	for i, s := range w.doc.segs {
		c := e.context(w, i, lang)
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
		items = append(items, item{seg: s, doc: i, context: c, req: req})
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
				if !ok {
					continue
				}
				// A segment's text is one line (an imported target may
				// hold line breaks) with the source's placeholders.
				target := foldLines(strings.TrimSpace(en.Target))
				if target == "" || checkPlaceholders(target, target) != "" || checkPlaceholders(items[i].seg.Source, target) != "" {
					continue
				}
				// An entry of another context (an import, context "") was
				// not made with this glossary: one that breaks it is a
				// miss, so that imports do not bypass the glossary.
				if en.Context != c && glossaryBroken(checkSegment(items[i].doc, items[i].seg, target, lang, w.glossary, w.forced(items[i].doc))) {
					continue
				}
				found[i] = &segValue{Text: target, From: FromMemory, Model: en.Model}
			}
		}
	}
	return found, nil
}

// glossaryBroken reports whether checks hold a glossary problem.
func glossaryBroken(checks []Check) bool {
	for _, c := range checks {
		if c.Code == CheckGlossaryMissing || c.Code == CheckGlossaryTranslated {
			return true
		}
	}
	return false
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

// add counts one model result; a cached one (another caller's identical
// call, or the model cache) cost this run nothing.
func (st *runStats) add(res *copydesk.ModelResult) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !res.Cached {
		st.calls++
		st.cost += res.Usage.Cost
	}
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
	// The cache runs compute detached from ctx (what is paid for is
	// finished and stored); compute still watches ctx to start no new
	// batch once the job is cancelled or the process shuts down.
	compute := func(cctx context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
		return e.compute(cctx, ctx, w, lang, items, missing, p.delta, report, st)
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
// memory. Calls run under ctx; once job is done no batch is started (nor
// an invalid answer asked again) and compute returns job's error after
// the running batches finish.
func (e *engine) compute(ctx, job context.Context, w *work, lang string, items []item, missing []int, onDelta func(int, string) error, report func([]int, []segValue) error, st *runStats) ([][]byte, []copydesk.Micros, error) {
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
	run := &langRun{w: w, lang: lang, items: items, missing: missing, onDelta: onDelta, report: report, st: st,
		values: values, costs: costs, jobErr: job.Err}
	sem := make(chan struct{}, BatchParallel)
	var wg sync.WaitGroup
	stopped := false
	for n, pos := range batches(rest, func(j int) int { return len(items[missing[j]].seg.Source) }) {
		acquired := false
		select {
		case sem <- struct{}{}:
			acquired = true
		case <-job.Done():
		}
		if !acquired || job.Err() != nil || ctx.Err() != nil || failed() {
			if acquired {
				<-sem
			}
			stopped = true
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := e.runBatch(ctx, run, batch{n: n + 1, pos: pos}); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && stopped {
		firstErr = cmp.Or(job.Err(), ctx.Err())
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	return values, costs, nil
}

// langRun is what the batches of one language's compute share. Each
// batch writes values and costs only at its own positions.
type langRun struct {
	w       *work
	lang    string
	items   []item
	missing []int // positions in items of the segments to translate
	// onDelta receives the model's output as it streams, with the batch
	// number (nil: not streamed).
	onDelta func(int, string) error
	// report receives each batch's items (indexes in items) and values
	// once the batch is done.
	report func([]int, []segValue) error
	st     *runStats
	values [][]byte          // by position in missing
	costs  []copydesk.Micros // by position in missing
	// jobErr is the job's end: once it returns an error, an invalid answer
	// is not asked again.
	jobErr func() error
}

// batch is one model call's segments: positions in langRun.missing,
// numbered from 1 in the order the batches were cut.
type batch struct {
	n   int
	pos []int
}

// runBatch translates one batch, fills its values and costs, writes it to
// the memory and reports it.
func (e *engine) runBatch(ctx context.Context, r *langRun, b batch) error {
	w, lang := r.w, r.lang
	sources := make([]string, len(b.pos))
	total := 0
	for k, j := range b.pos {
		sources[k] = r.items[r.missing[j]].seg.Source
		total += len(sources[k])
	}
	var delta func(string) error
	if r.onDelta != nil {
		delta = func(d string) error { return r.onDelta(b.n, d) }
	}
	texts, res, err := e.callBatch(ctx, r, sources, delta)
	if err != nil {
		return err
	}
	r.st.add(res)
	entries := make([]copydesk.TMEntry, len(b.pos))
	var shared copydesk.Micros
	itemIdx := make([]int, len(b.pos))
	vals := make([]segValue, len(b.pos))
	for k, j := range b.pos {
		it := r.items[r.missing[j]]
		v := segValue{Text: texts[k], From: FromModel, Model: res.Usage.Model, Provider: res.Usage.Provider, Simulated: res.Simulated}
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		r.values[j] = enc // each batch owns its positions
		if total > 0 {
			// Each segment's share of the call, by size; the last one
			// takes the remainder of the division, so the shares add up.
			r.costs[j] = res.Usage.Cost * copydesk.Micros(len(sources[k])) / copydesk.Micros(total)
			shared += r.costs[j]
			if k == len(b.pos)-1 {
				r.costs[j] += res.Usage.Cost - shared
			}
		}
		entries[k] = copydesk.TMEntry{
			CustomerID: w.customerID, SourceLang: w.source, TargetLang: lang, Source: sources[k], Target: texts[k],
			Context: it.context, Origin: copydesk.TMOriginModel, Model: res.Usage.Model,
		}
		itemIdx[k], vals[k] = r.missing[j], v
	}
	if e.store != nil && w.customerID != "" {
		if err := e.store.PutTM(ctx, entries); err != nil {
			return err
		}
	}
	return r.report(itemIdx, vals)
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
// schema, a wrong count, placeholders changed) is asked again once, unless
// the job is done by then.
func (e *engine) callBatch(ctx context.Context, r *langRun, sources []string, onDelta func(string) error) ([]string, *copydesk.ModelResult, error) {
	w, lang := r.w, r.lang
	req, err := buildRequest(e.tmpl, w.source, lang, w.glossary, sources)
	if err != nil {
		return nil, nil, err
	}
	call := copydesk.ModelCall{
		Kind: w.kind(), Priority: w.priority, CustomerID: w.customerID, UserID: w.userID, KeyID: w.keyID, JobID: w.jobID,
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
		if attempt == 0 && !w.rerun && errors.As(err, &pe) && pe.Kind == copydesk.ProviderInvalid && ctx.Err() == nil && r.jobErr() == nil {
			continue
		}
		return nil, nil, err
	}
}

// result assembles the translation into lang from each item's value.
func (e *engine) result(w *work, lang string, idx []int, vals []*segValue, froms []string, st *runStats) *LanguageResult {
	r := &LanguageResult{Language: lang, Segments: make([]Segment, len(w.doc.segs)), Checks: []Check{}}
	texts := make([]string, len(w.doc.segs))
	// The checks of an item are found once, for its first document
	// segment, and repeated with the number of each other one.
	checks := make([][]Check, len(vals))
	checked := make([]bool, len(vals))
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
		if !checked[j] {
			checks[j], checked[j] = checkSegment(i, s, v.Text, lang, w.glossary, w.forced(i)), true
			r.Checks = append(r.Checks, checks[j]...)
			continue
		}
		for _, c := range checks[j] {
			c.Segment = i
			r.Checks = append(r.Checks, c)
		}
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

// eachNumber calls fn with each number of s outside placeholders (digit
// groups with their separators: 2026, 19.99, 3,5, 1.000.000) and its
// digits, so that 19.99 and 19,99 are the same number.
func eachNumber(s string, fn func(number, digits string)) {
	var digits []byte
	for i := 0; i < len(s); {
		if n := placeholderAt(s, i); n > 0 {
			i += n
			continue
		}
		if !isDigit(s[i]) {
			i++
			continue
		}
		start := i
		digits = digits[:0]
		for i < len(s) && isDigit(s[i]) {
			digits = append(digits, s[i])
			i++
		}
		for i+1 < len(s) && (s[i] == '.' || s[i] == ',') && isDigit(s[i+1]) {
			i++
			for i < len(s) && isDigit(s[i]) {
				digits = append(digits, s[i])
				i++
			}
		}
		fn(s[start:i], string(digits))
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkSegment finds what a translation of segment i lost: a forced
// glossary translation (forced: the indexes of the glossary terms with a
// translation the segment contains, work.forced), a do-not-translate term,
// a number, placeholders.
func checkSegment(i int, s *segment, text, lang string, glossary []copydesk.GlossaryTerm, forced []int) []Check {
	var out []Check
	if msg := checkPlaceholders(s.Source, text); msg != "" {
		out = append(out, Check{Segment: i, Code: CheckPlaceholderMismatch, Message: msg})
	}
	var lowerText string
	for _, k := range forced {
		t := glossary[k]
		tr := t.Translations[lang]
		if t.DoNotTranslate || tr == "" {
			continue
		}
		if lowerText == "" {
			lowerText = strings.ToLower(text)
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
	if !strings.ContainsFunc(s.Source, func(r rune) bool { return r >= '0' && r <= '9' }) {
		return out
	}
	have := map[string]bool{}
	eachNumber(text, func(_, digits string) { have[digits] = true })
	seen := map[string]bool{}
	eachNumber(s.Source, func(number, digits string) {
		if !have[digits] && !seen[digits] {
			out = append(out, Check{Segment: i, Code: CheckNumberMissing, Message: fmt.Sprintf("the number %s of the source is not in the translation", number)})
		}
		seen[digits] = true
	})
	return out
}
