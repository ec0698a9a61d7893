package analyze

import "sync"

// Package-level tables are built on first use, per language, not at
// package initialisation: a process that never analyzes (the server's other
// commands) or analyzes one language pays for nothing else. The tables are
// read-only once built, so they are safe for concurrent use.

// perLanguage builds a table for a language once, on first use.
type perLanguage[T any] struct {
	once  [numLocales]sync.Once
	v     [numLocales]T
	build func(lang string) T
}

// get returns the table of lang, or the zero value for a language outside
// SupportedLanguages.
func (p *perLanguage[T]) get(lang string) T {
	l, ok := lookupLocale(lang)
	if !ok || len(lang) != 2 {
		var zero T
		return zero
	}
	p.once[l].Do(func() { p.v[l] = p.build(lang) })
	return p.v[l]
}
