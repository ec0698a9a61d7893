package translation

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// memStore is an in-memory copydesk.TranslationStore following the
// interface's documented semantics, for the tests of this package.
type memStore struct {
	mu       sync.Mutex
	glossary map[string]*copydesk.Glossary
	entries  []copydesk.TMEntry
	lookups  int
	putCalls int
	now      time.Time
}

var _ copydesk.TranslationStore = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{glossary: map[string]*copydesk.Glossary{}, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (m *memStore) GetGlossary(_ context.Context, customerID string) (*copydesk.Glossary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g, ok := m.glossary[customerID]; ok {
		c := *g
		c.Terms = slices.Clone(g.Terms)
		return &c, nil
	}
	return &copydesk.Glossary{CustomerID: customerID, Terms: []copydesk.GlossaryTerm{}}, nil
}

func (m *memStore) PutGlossary(_ context.Context, g *copydesk.Glossary) error {
	if g.CustomerID == "" {
		return copydesk.Errorf(copydesk.EINVALID, "customer is required")
	}
	for _, t := range g.Terms {
		if t.Term == "" || len(t.Term) > 200 || !t.DoNotTranslate && len(t.Translations) == 0 {
			return copydesk.Errorf(copydesk.EINVALID, "bad term %q", t.Term)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *g
	c.Terms = slices.Clone(g.Terms)
	m.glossary[g.CustomerID] = &c
	return nil
}

func (m *memStore) PutTM(_ context.Context, entries []copydesk.TMEntry) error {
	for _, e := range entries {
		if e.CustomerID == "" || e.SourceLang == "" || e.TargetLang == "" || e.Source == "" || e.Target == "" {
			return copydesk.Errorf(copydesk.EINVALID, "incomplete entry %+v", e)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putCalls++
	for _, e := range entries {
		e.CreatedAt = m.now
		m.now = m.now.Add(time.Second)
		replaced := false
		for i, o := range m.entries {
			if o.CustomerID == e.CustomerID && o.SourceLang == e.SourceLang && o.TargetLang == e.TargetLang && o.Context == e.Context && o.Source == e.Source {
				m.entries[i] = e
				replaced = true
				break
			}
		}
		if !replaced {
			m.entries = append(m.entries, e)
		}
	}
	return nil
}

func (m *memStore) LookupTM(_ context.Context, q copydesk.TMLookup) (map[string]copydesk.TMEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups++
	want := map[string]bool{}
	for _, s := range q.Sources {
		want[s] = true
	}
	out := map[string]copydesk.TMEntry{}
	for _, e := range m.entries {
		if e.CustomerID != q.CustomerID || e.SourceLang != q.SourceLang || e.TargetLang != q.TargetLang || !want[e.Source] {
			continue
		}
		if e.Context == q.Context {
			out[e.Source] = e
		} else if e.Context == "" {
			if _, ok := out[e.Source]; !ok {
				out[e.Source] = e
			}
		}
	}
	return out, nil
}

func (m *memStore) ListTM(_ context.Context, f copydesk.TMFilter) ([]copydesk.TMEntry, error) {
	if f.CustomerID == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "customer is required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []copydesk.TMEntry
	for _, e := range m.entries {
		if m.match(e, f) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b copydesk.TMEntry) int { return a.CreatedAt.Compare(b.CreatedAt) })
	if limit := f.Limit; limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) match(e copydesk.TMEntry, f copydesk.TMFilter) bool {
	return e.CustomerID == f.CustomerID && (f.SourceLang == "" || e.SourceLang == f.SourceLang) && (f.TargetLang == "" || e.TargetLang == f.TargetLang)
}

func (m *memStore) DeleteTM(_ context.Context, f copydesk.TMFilter) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.entries[:0]
	n := 0
	for _, e := range m.entries {
		if m.match(e, f) {
			n++
			continue
		}
		kept = append(kept, e)
	}
	m.entries = kept
	return n, nil
}

// count returns the number of stored entries.
func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
