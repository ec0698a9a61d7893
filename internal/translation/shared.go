package translation

import (
	"context"
	"encoding/json"
	"sort"
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// SharedResult says what a Shared pass did.
type SharedResult struct {
	// Segments counts the distinct segments two or more pages share,
	// summed over their target languages.
	Segments int `json:"segments"`
	// Translated counts those the model translated in this pass (the
	// rest came from the cache or the memory).
	Translated int `json:"translated"`
	// Cost is what the pass's model calls cost, in micro-units.
	Cost copydesk.Micros `json:"cost"`
}

// sharedGroup is the pages of a bulk batch whose segments translate alike
// into one language: the same source language, publication state and
// glossary (which, with the segment, decide its translation).
type sharedGroup struct {
	w     *work
	lang  string
	count map[string]int // segment source → pages holding it
	first map[string]*segment
	order []string // sources in the order first seen
}

// Shared translates, ahead of the pages of a bulk translation batch, the
// segments two or more of them hold (boilerplate: a footer, a call to
// action, a shipping note), so that each is paid once: the pages, run
// after it, find those segments in the cache and the translation memory.
// Without it, pages run side by side would each send a shared segment to
// the model before any answer is remembered.
//
// items are the batch's stored items (Request JSON); a page that cannot
// be read or segmented is left to its own run. The model calls are made
// for job (its customer, user, key, priority and id). An error means only
// that the pages translate their shared segments themselves, except a
// *copydesk.WaitError (the shared segments wait for a provider batch: the
// batch should wait too) and ctx's own error.
func (s *Service) Shared(ctx context.Context, job *copydesk.Job, items []json.RawMessage) (*SharedResult, error) {
	res := &SharedResult{}
	e, err := s.engine()
	if err != nil {
		return res, err
	}
	groups, err := s.sharedGroups(ctx, e, job, items)
	if err != nil || len(groups) == 0 {
		return res, err
	}
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	sem := make(chan struct{}, BatchParallel)
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, st, err := e.translate(ctx, g.w, g.lang, progress{})
			mu.Lock()
			defer mu.Unlock()
			res.Segments += len(g.w.doc.segs)
			if st != nil {
				st.mu.Lock()
				res.Cost += st.cost
				st.mu.Unlock()
			}
			if err != nil {
				errs = append(errs, err)
				return
			}
			res.Translated += r.Translated
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	for _, err := range errs {
		if _, ok := copydesk.IsWait(err); ok {
			return res, err
		}
	}
	if len(errs) > 0 {
		return res, errs[0]
	}
	return res, nil
}

// sharedGroups reads the pages and returns, per group and target
// language, a work whose document is the segments two or more pages hold.
func (s *Service) sharedGroups(ctx context.Context, e *engine, job *copydesk.Job, items []json.RawMessage) ([]*sharedGroup, error) {
	byKey := make(map[string]*sharedGroup)
	var keys []string
	glossaries := make(map[string][]copydesk.GlossaryTerm) // by the request's own terms
	for _, raw := range items {
		var r Request
		if err := json.Unmarshal(raw, &r); err != nil || s.normalize(&r) != nil {
			continue
		}
		own, err := json.Marshal(r.Glossary)
		if err != nil {
			continue
		}
		glossary, ok := glossaries[string(own)]
		if !ok {
			if glossary, err = e.glossary(ctx, job.CustomerID, r.Glossary); err != nil {
				return nil, err
			}
			glossaries[string(own)] = glossary
		}
		doc, err := segmentDoc(r.Format, r.Content, dntTerms(glossary))
		if err != nil || checkSegments(doc) != nil {
			continue
		}
		merged, err := json.Marshal(glossary)
		if err != nil {
			continue
		}
		for _, lang := range r.TargetLanguages {
			k, err := json.Marshal([]any{r.SourceLanguage, r.Published, lang, json.RawMessage(merged)})
			if err != nil {
				continue
			}
			g, ok := byKey[string(k)]
			if !ok {
				g = &sharedGroup{lang: lang, count: map[string]int{}, first: map[string]*segment{},
					w: &work{customerID: job.CustomerID, userID: job.UserID, keyID: job.KeyID, jobID: job.ID,
						priority: job.Priority, source: r.SourceLanguage, published: r.Published, glossary: glossary,
						rerun: job.Attempts > 1}}
				byKey[string(k)] = g
				keys = append(keys, string(k))
			}
			seen := make(map[string]bool)
			for _, sg := range doc.segs {
				if seen[sg.Source] {
					continue
				}
				seen[sg.Source] = true
				if g.count[sg.Source] == 0 {
					g.first[sg.Source] = sg
					g.order = append(g.order, sg.Source)
				}
				g.count[sg.Source]++
			}
		}
	}
	sort.Strings(keys)
	var out []*sharedGroup
	for _, k := range keys {
		g := byKey[k]
		doc := &document{}
		for _, src := range g.order {
			if g.count[src] >= 2 {
				doc.segs = append(doc.segs, g.first[src])
			}
		}
		if len(doc.segs) > 0 {
			g.w.doc = doc
			out = append(out, g)
		}
	}
	return out, nil
}
