package translation

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// memStore is an in-memory copydesk.TranslationStore following the
// interface's documented semantics, for the tests of this package. It
// validates and normalizes with the domain's rules (copydesk.PrepareTMBatch,
// TMLookup.Prepare, TMFilter.Prepare, Glossary.Prepare), as the SQL stores
// do, so that a test sees the refusals production sees; entries are indexed
// by their key so that large pages stay fast.
type memStore struct {
	mu       sync.Mutex
	glossary map[string]*copydesk.Glossary
	entries  []copydesk.TMEntry // in insertion order (CreatedAt)
	index    map[tmKey]int      // key → position in entries
	lookups  int
	putCalls int
	now      time.Time
}

type tmKey struct{ customer, source, target, context, text string }

func keyOf(e copydesk.TMEntry) tmKey {
	return tmKey{e.CustomerID, e.SourceLang, e.TargetLang, e.Context, e.Source}
}

var _ copydesk.TranslationStore = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{glossary: map[string]*copydesk.Glossary{}, index: map[tmKey]int{},
		now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
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
	c := *g
	c.Terms = slices.Clone(g.Terms)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := c.Prepare(m.now); err != nil {
		return err
	}
	m.glossary[c.CustomerID] = &c
	return nil
}

func (m *memStore) PutTM(_ context.Context, entries []copydesk.TMEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	batch, err := copydesk.PrepareTMBatch(entries, m.now)
	if err != nil {
		return err
	}
	m.putCalls++
	for _, e := range batch {
		e.CreatedAt = m.now
		m.now = m.now.Add(time.Second)
		k := keyOf(e)
		if i, ok := m.index[k]; ok {
			m.entries[i] = e
			continue
		}
		m.index[k] = len(m.entries)
		m.entries = append(m.entries, e)
	}
	return nil
}

func (m *memStore) LookupTM(_ context.Context, q copydesk.TMLookup) (map[string]copydesk.TMEntry, error) {
	if err := q.Prepare(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups++
	out := map[string]copydesk.TMEntry{}
	for _, s := range q.Sources {
		if s == "" {
			continue
		}
		k := tmKey{q.CustomerID, q.SourceLang, q.TargetLang, q.Context, s}
		if i, ok := m.index[k]; ok {
			out[s] = m.entries[i]
			continue
		}
		k.context = ""
		if i, ok := m.index[k]; ok {
			out[s] = m.entries[i]
		}
	}
	return out, nil
}

func (m *memStore) ListTM(_ context.Context, f copydesk.TMFilter) ([]copydesk.TMEntry, error) {
	if err := f.Prepare(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []copydesk.TMEntry
	for _, e := range m.entries {
		if m.match(e, f) {
			out = append(out, e)
			if len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

func (m *memStore) match(e copydesk.TMEntry, f copydesk.TMFilter) bool {
	return e.CustomerID == f.CustomerID && (f.SourceLang == "" || e.SourceLang == f.SourceLang) && (f.TargetLang == "" || e.TargetLang == f.TargetLang)
}

func (m *memStore) DeleteTM(_ context.Context, f copydesk.TMFilter) (int, error) {
	if err := f.Prepare(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var kept []copydesk.TMEntry
	n := 0
	for _, e := range m.entries {
		if m.match(e, f) {
			n++
			continue
		}
		kept = append(kept, e)
	}
	m.entries = kept
	m.index = make(map[tmKey]int, len(kept))
	for i, e := range kept {
		m.index[keyOf(e)] = i
	}
	return n, nil
}

// count returns the number of stored entries.
func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// all returns a copy of the stored entries.
func (m *memStore) all() []copydesk.TMEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.entries)
}
