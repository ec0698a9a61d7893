package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// NewTranslationStore builds a fresh, empty translation store that reads
// time from clock and is cleaned up when t ends.
type NewTranslationStore func(t *testing.T, clock copydesk.Clock) copydesk.TranslationStore

// TM returns a valid translation memory entry made by a model, without
// context.
func TM(customer, sourceLang, targetLang, source, target string) copydesk.TMEntry {
	return copydesk.TMEntry{
		CustomerID: customer, SourceLang: sourceLang, TargetLang: targetLang,
		Source: source, Target: target, Origin: copydesk.TMOriginModel, Model: "gpt-test",
	}
}

// MustPutTM stores entries, failing tb on error.
func MustPutTM(tb testing.TB, s copydesk.TranslationStore, entries ...copydesk.TMEntry) {
	tb.Helper()
	if err := s.PutTM(context.Background(), entries); err != nil {
		tb.Fatalf("PutTM(%d entries): got error %v, want nil", len(entries), err)
	}
}

// MustLookupTM looks up q, failing tb on error.
func MustLookupTM(tb testing.TB, s copydesk.TranslationStore, q copydesk.TMLookup) map[string]copydesk.TMEntry {
	tb.Helper()
	found, err := s.LookupTM(context.Background(), q)
	if err != nil {
		tb.Fatalf("LookupTM(%s→%s, context %q, %d sources): got error %v, want nil", q.SourceLang, q.TargetLang, q.Context, len(q.Sources), err)
	}
	if found == nil {
		tb.Fatalf("LookupTM: got a nil map, want a map")
	}
	return found
}

// MustListTM lists f, failing tb on error.
func MustListTM(tb testing.TB, s copydesk.TranslationStore, f copydesk.TMFilter) []copydesk.TMEntry {
	tb.Helper()
	entries, err := s.ListTM(context.Background(), f)
	if err != nil {
		tb.Fatalf("ListTM(%+v): got error %v, want nil", f, err)
	}
	if entries == nil {
		tb.Fatalf("ListTM(%+v): got a nil slice, want an empty one", f)
	}
	return entries
}

// MustDeleteTM deletes f's entries and returns how many, failing tb on error.
func MustDeleteTM(tb testing.TB, s copydesk.TranslationStore, f copydesk.TMFilter) int {
	tb.Helper()
	n, err := s.DeleteTM(context.Background(), f)
	if err != nil {
		tb.Fatalf("DeleteTM(%+v): got error %v, want nil", f, err)
	}
	return n
}

// MustPutGlossary stores g, failing tb on error.
func MustPutGlossary(tb testing.TB, s copydesk.TranslationStore, g *copydesk.Glossary) {
	tb.Helper()
	if err := s.PutGlossary(context.Background(), g); err != nil {
		tb.Fatalf("PutGlossary(%s): got error %v, want nil", g.CustomerID, err)
	}
}

// MustGetGlossary returns the customer's glossary, failing tb on error.
func MustGetGlossary(tb testing.TB, s copydesk.TranslationStore, customerID string) *copydesk.Glossary {
	tb.Helper()
	g, err := s.GetGlossary(context.Background(), customerID)
	if err != nil {
		tb.Fatalf("GetGlossary(%s): got error %v, want nil", customerID, err)
	}
	if g.Terms == nil {
		tb.Fatalf("GetGlossary(%s): got nil terms, want a slice", customerID)
	}
	return g
}

// sources returns the entries' sources, in order.
func sources(entries []copydesk.TMEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Source
	}
	return out
}

// wantInvalid checks that err is EINVALID and that its message contains
// each of parts (the index and field it names).
func wantInvalid(tb testing.TB, what string, err error, parts ...string) {
	tb.Helper()
	if got := copydesk.ErrorCode(err); got != copydesk.EINVALID {
		tb.Errorf("%s: got code %q (%v), want %q", what, got, err, copydesk.EINVALID)
		return
	}
	for _, p := range parts {
		if msg := copydesk.ErrorMessage(err); !strings.Contains(msg, p) {
			tb.Errorf("%s: message %q does not name %q", what, msg, p)
		}
	}
}

// TestTranslationStore runs the copydesk.TranslationStore conformance suite
// against stores made by newStore.
func TestTranslationStore(t *testing.T, newStore NewTranslationStore) {
	setup := func(t *testing.T) (copydesk.TranslationStore, *Clock) {
		t.Helper()
		t.Parallel()
		clock := NewClock(Epoch())
		return newStore(t, clock), clock
	}
	ctx := context.Background()

	t.Run("GlossaryUnknownCustomer", func(t *testing.T) {
		s, _ := setup(t)
		got := MustGetGlossary(t, s, "cus_none")
		want := &copydesk.Glossary{CustomerID: "cus_none", Terms: []copydesk.GlossaryTerm{}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("glossary (-want +got):\n%s", diff)
		}
		_, err := s.GetGlossary(ctx, " ")
		wantInvalid(t, "GetGlossary without customer", err, "customer")
	})

	t.Run("GlossaryReplace", func(t *testing.T) {
		s, clock := setup(t)
		first := &copydesk.Glossary{CustomerID: "cus_1", Terms: []copydesk.GlossaryTerm{
			{Term: "Copydesk", DoNotTranslate: true},
			{Term: "checkout", Translations: map[string]string{"nl": "afrekenen", "de": "Kasse"}},
			{Term: "cart", Translations: map[string]string{"fr": "panier"}},
		}}
		want := &copydesk.Glossary{CustomerID: "cus_1", Terms: slices.Clone(first.Terms), UpdatedAt: clock.Now()}
		MustPutGlossary(t, s, first)
		if diff := cmp.Diff(want, first); diff != "" {
			t.Errorf("glossary after PutGlossary (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, MustGetGlossary(t, s, "cus_1")); diff != "" {
			t.Errorf("stored glossary (-want +got):\n%s", diff)
		}

		second := &copydesk.Glossary{CustomerID: "cus_1", Terms: []copydesk.GlossaryTerm{
			{Term: "basket", Translations: map[string]string{"nl": "mandje"}},
		}}
		want = &copydesk.Glossary{CustomerID: "cus_1", Terms: slices.Clone(second.Terms), UpdatedAt: clock.Add(time.Minute)}
		MustPutGlossary(t, s, second)
		if diff := cmp.Diff(want, MustGetGlossary(t, s, "cus_1")); diff != "" {
			t.Errorf("replaced glossary (-want +got):\n%s", diff)
		}

		clock.Add(time.Minute)
		MustPutGlossary(t, s, &copydesk.Glossary{CustomerID: "cus_1"})
		got := MustGetGlossary(t, s, "cus_1")
		if len(got.Terms) != 0 || !got.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("emptied glossary: got %d terms updated %v, want 0 terms updated %v", len(got.Terms), got.UpdatedAt, clock.Now())
		}
	})

	t.Run("GlossaryNormalize", func(t *testing.T) {
		s, clock := setup(t)
		g := &copydesk.Glossary{CustomerID: "cus_1", Terms: []copydesk.GlossaryTerm{
			{Term: "  Acme  ", Translations: map[string]string{"NL": " Acme BV ", " De": "Acme GmbH"}},
			{Term: "Ĳssel", DoNotTranslate: true, Translations: map[string]string{}},
		}}
		MustPutGlossary(t, s, g)
		want := &copydesk.Glossary{CustomerID: "cus_1", UpdatedAt: clock.Now(), Terms: []copydesk.GlossaryTerm{
			{Term: "Acme", Translations: map[string]string{"nl": "Acme BV", "de": "Acme GmbH"}},
			{Term: "Ĳssel", DoNotTranslate: true},
		}}
		if diff := cmp.Diff(want, MustGetGlossary(t, s, "cus_1")); diff != "" {
			t.Errorf("stored glossary (-want +got):\n%s", diff)
		}
	})

	t.Run("GlossaryLimits", func(t *testing.T) {
		s, _ := setup(t)
		// At the limits: 5,000 terms, a term and a translation of 200 bytes
		// (100 two-byte letters).
		long := strings.Repeat("ĳ", copydesk.MaxGlossaryTermLen/2)
		terms := make([]copydesk.GlossaryTerm, copydesk.MaxGlossaryTerms)
		terms[0] = copydesk.GlossaryTerm{Term: long, Translations: map[string]string{"nl": long}}
		for i := 1; i < len(terms); i++ {
			terms[i] = copydesk.GlossaryTerm{Term: fmt.Sprintf("term %d", i), DoNotTranslate: true}
		}
		MustPutGlossary(t, s, &copydesk.Glossary{CustomerID: "cus_1", Terms: terms})
		got := MustGetGlossary(t, s, "cus_1")
		if len(got.Terms) != copydesk.MaxGlossaryTerms || got.Terms[0].Term != long || got.Terms[4999].Term != "term 4999" {
			t.Errorf("got %d terms, want %d in order", len(got.Terms), copydesk.MaxGlossaryTerms)
		}
	})

	t.Run("GlossaryValidation", func(t *testing.T) {
		s, clock := setup(t)
		good := &copydesk.Glossary{CustomerID: "cus_1", Terms: []copydesk.GlossaryTerm{{Term: "Copydesk", DoNotTranslate: true}}}
		MustPutGlossary(t, s, good)
		want := MustGetGlossary(t, s, "cus_1")
		clock.Add(time.Minute)

		dnt := copydesk.GlossaryTerm{Term: "ok", DoNotTranslate: true}
		nl := func(term, translation string) copydesk.GlossaryTerm {
			return copydesk.GlossaryTerm{Term: term, Translations: map[string]string{"nl": translation}}
		}
		tooLong := strings.Repeat("x", copydesk.MaxGlossaryTermLen+1)
		many := make([]copydesk.GlossaryTerm, copydesk.MaxGlossaryTerms+1)
		for i := range many {
			many[i] = copydesk.GlossaryTerm{Term: fmt.Sprint("t", i), DoNotTranslate: true}
		}
		for _, tt := range []struct {
			name     string
			customer string
			terms    []copydesk.GlossaryTerm
			want     []string // parts of the message: index and field
		}{
			{"NoCustomer", "", []copydesk.GlossaryTerm{dnt}, []string{"customer"}},
			{"TooManyTerms", "cus_1", many, []string{"5001"}},
			{"EmptyTerm", "cus_1", []copydesk.GlossaryTerm{dnt, {Term: "  ", DoNotTranslate: true}}, []string{"terms[1].term"}},
			{"TermTooLong", "cus_1", []copydesk.GlossaryTerm{{Term: tooLong, DoNotTranslate: true}}, []string{"terms[0].term", "200"}},
			{"TermInvalidUTF8", "cus_1", []copydesk.GlossaryTerm{{Term: "caf\xe9", DoNotTranslate: true}}, []string{"terms[0].term", "UTF-8"}},
			{"TermNUL", "cus_1", []copydesk.GlossaryTerm{{Term: "a\x00b", DoNotTranslate: true}}, []string{"terms[0].term"}},
			{"Duplicate", "cus_1", []copydesk.GlossaryTerm{dnt, nl("b", "b"), dnt}, []string{"terms[2]", "terms[0]"}},
			{"DuplicateAfterTrim", "cus_1", []copydesk.GlossaryTerm{dnt, {Term: " ok ", DoNotTranslate: true}}, []string{"terms[1]"}},
			{"NoTranslation", "cus_1", []copydesk.GlossaryTerm{dnt, {Term: "x"}}, []string{"terms[1]"}},
			{"EmptyTranslations", "cus_1", []copydesk.GlossaryTerm{{Term: "x", Translations: map[string]string{}}}, []string{"terms[0]"}},
			{"TranslationsAndDoNotTranslate", "cus_1", []copydesk.GlossaryTerm{{Term: "x", DoNotTranslate: true, Translations: map[string]string{"nl": "y"}}}, []string{"terms[0]"}},
			{"LanguageTooShort", "cus_1", []copydesk.GlossaryTerm{{Term: "x", Translations: map[string]string{"n": "y"}}}, []string{"terms[0].translations", `"n"`}},
			{"LanguageTooLong", "cus_1", []copydesk.GlossaryTerm{{Term: "x", Translations: map[string]string{"nederlands": "y"}}}, []string{"terms[0].translations"}},
			{"LanguageNotLetters", "cus_1", []copydesk.GlossaryTerm{{Term: "x", Translations: map[string]string{"nl-BE": "y"}}}, []string{"terms[0].translations", "nl-BE"}},
			{"LanguageTwice", "cus_1", []copydesk.GlossaryTerm{{Term: "x", Translations: map[string]string{"nl": "y", "NL": "z"}}}, []string{"terms[0].translations", `"nl"`}},
			{"EmptyTranslation", "cus_1", []copydesk.GlossaryTerm{dnt, nl("x", " ")}, []string{`terms[1].translations["nl"]`}},
			{"TranslationTooLong", "cus_1", []copydesk.GlossaryTerm{nl("x", tooLong)}, []string{`terms[0].translations["nl"]`, "200"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.PutGlossary(ctx, &copydesk.Glossary{CustomerID: tt.customer, Terms: tt.terms})
				wantInvalid(t, "PutGlossary", err, tt.want...)
			})
		}
		if err := s.PutGlossary(ctx, nil); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("PutGlossary(nil): got %v, want EINVALID", err)
		}
		// Nothing half-written: the glossary stored before is intact.
		if diff := cmp.Diff(want, MustGetGlossary(t, s, "cus_1")); diff != "" {
			t.Errorf("glossary after refused puts (-want +got):\n%s", diff)
		}
	})

	t.Run("TMValidation", func(t *testing.T) {
		s, _ := setup(t)
		good := TM("cus_1", "en", "nl", "Hello", "Hallo")
		for _, tt := range []struct {
			name   string
			change func(e *copydesk.TMEntry)
			want   []string
		}{
			{"NoCustomer", func(e *copydesk.TMEntry) { e.CustomerID = "" }, []string{"customer"}},
			{"NoSourceLang", func(e *copydesk.TMEntry) { e.SourceLang = "" }, []string{"source_lang"}},
			{"BadSourceLang", func(e *copydesk.TMEntry) { e.SourceLang = "en-GB" }, []string{"source_lang", "en-GB"}},
			{"NoTargetLang", func(e *copydesk.TMEntry) { e.TargetLang = "" }, []string{"target_lang"}},
			{"BadTargetLang", func(e *copydesk.TMEntry) { e.TargetLang = "x" }, []string{"target_lang"}},
			{"SameLanguages", func(e *copydesk.TMEntry) { e.TargetLang = "EN" }, []string{"source_lang", "target_lang"}},
			{"EmptySource", func(e *copydesk.TMEntry) { e.Source = "" }, []string{"source"}},
			{"EmptyTarget", func(e *copydesk.TMEntry) { e.Target = "" }, []string{"target"}},
			{"SourceTooLong", func(e *copydesk.TMEntry) { e.Source = strings.Repeat("a", copydesk.MaxTMText+1) }, []string{"source", "65536"}},
			{"TargetTooLong", func(e *copydesk.TMEntry) { e.Target = strings.Repeat("a", copydesk.MaxTMText+1) }, []string{"target", "65536"}},
			{"SourceInvalidUTF8", func(e *copydesk.TMEntry) { e.Source = "\xff\xfe" }, []string{"source", "UTF-8"}},
			{"TargetNUL", func(e *copydesk.TMEntry) { e.Target = "Hal\x00lo" }, []string{"target", "NUL"}},
			{"ContextTooLong", func(e *copydesk.TMEntry) { e.Context = strings.Repeat("c", copydesk.MaxTMContextLen+1) }, []string{"context"}},
			{"NoOrigin", func(e *copydesk.TMEntry) { e.Origin = "" }, []string{"origin"}},
			{"BadOrigin", func(e *copydesk.TMEntry) { e.Origin = "human" }, []string{"origin", "human"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				bad := good
				tt.change(&bad)
				// The bad entry second: the good one must not be stored either.
				err := s.PutTM(ctx, []copydesk.TMEntry{good, bad})
				wantInvalid(t, "PutTM", err, append([]string{"entries[1]"}, tt.want...)...)
			})
		}
		t.Run("TooManyEntries", func(t *testing.T) {
			many := make([]copydesk.TMEntry, copydesk.MaxTMBatch+1)
			for i := range many {
				many[i] = TM("cus_1", "en", "nl", fmt.Sprint("s", i), "t")
			}
			wantInvalid(t, "PutTM", s.PutTM(ctx, many), "10001")
		})
		t.Run("Lookup", func(t *testing.T) {
			q := copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "en", TargetLang: "nl", Sources: []string{"Hello"}}
			for _, tt := range []struct {
				name   string
				change func(q *copydesk.TMLookup)
				want   string
			}{
				{"NoCustomer", func(q *copydesk.TMLookup) { q.CustomerID = "" }, "customer"},
				{"NoSourceLang", func(q *copydesk.TMLookup) { q.SourceLang = "" }, "source_lang"},
				{"BadTargetLang", func(q *copydesk.TMLookup) { q.TargetLang = "n1" }, "target_lang"},
				{"TooManySources", func(q *copydesk.TMLookup) { q.Sources = make([]string, copydesk.MaxTMLookup+1) }, "10001"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					bad := q
					tt.change(&bad)
					_, err := s.LookupTM(ctx, bad)
					wantInvalid(t, "LookupTM", err, tt.want)
				})
			}
		})
		t.Run("Filter", func(t *testing.T) {
			for _, tt := range []struct {
				name string
				f    copydesk.TMFilter
				want string
			}{
				{"NoCustomer", copydesk.TMFilter{SourceLang: "en"}, "customer"},
				{"BadSourceLang", copydesk.TMFilter{CustomerID: "cus_1", SourceLang: "e"}, "source_lang"},
				{"BadTargetLang", copydesk.TMFilter{CustomerID: "cus_1", TargetLang: "n_l"}, "target_lang"},
				{"NegativeLimit", copydesk.TMFilter{CustomerID: "cus_1", Limit: -1}, "limit"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					_, err := s.ListTM(ctx, tt.f)
					wantInvalid(t, "ListTM", err, tt.want)
					if tt.f.Limit == 0 {
						_, err = s.DeleteTM(ctx, tt.f)
						wantInvalid(t, "DeleteTM", err, tt.want)
					}
				})
			}
		})
		// Nothing half-written.
		if got := MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1"}); len(got) != 0 {
			t.Errorf("after refused puts: got %d entries, want 0", len(got))
		}
		// Empty batches are fine.
		MustPutTM(t, s)
	})

	t.Run("TMLimits", func(t *testing.T) {
		s, _ := setup(t)
		long := strings.Repeat("é", copydesk.MaxTMText/2) // exactly 64 KiB
		e := TM("cus_1", "fr", "en", long, long)
		e.Context = strings.Repeat("c", copydesk.MaxTMContextLen)
		MustPutTM(t, s, e)
		sources := make([]string, copydesk.MaxTMLookup)
		for i := range sources {
			sources[i] = fmt.Sprint("absent ", i)
		}
		sources[len(sources)-1] = long
		found := MustLookupTM(t, s, copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "fr", TargetLang: "en", Context: e.Context, Sources: sources})
		if got, ok := found[long]; len(found) != 1 || !ok || got.Target != long {
			t.Errorf("lookup of a 64 KiB source among %d: got %d entries, want the one", len(sources), len(found))
		}
	})

	t.Run("Upsert", func(t *testing.T) {
		s, clock := setup(t)
		q := copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "en", TargetLang: "nl", Context: "ctx1", Sources: []string{"Hello"}}
		first := TM("cus_1", "en", "nl", "Hello", "Hallo")
		first.Context, first.Model = "ctx1", "model-a"
		MustPutTM(t, s, first)
		want := first
		want.CreatedAt = clock.Now()
		if diff := cmp.Diff(map[string]copydesk.TMEntry{"Hello": want}, MustLookupTM(t, s, q)); diff != "" {
			t.Errorf("first put (-want +got):\n%s", diff)
		}

		// A later entry with the same key replaces target, origin, model and time.
		second := first
		second.Target, second.Origin, second.Model = "Hoi", copydesk.TMOriginImport, ""
		clock.Add(time.Minute)
		MustPutTM(t, s, second)
		want = second
		want.CreatedAt = clock.Now()
		if diff := cmp.Diff(map[string]copydesk.TMEntry{"Hello": want}, MustLookupTM(t, s, q)); diff != "" {
			t.Errorf("after replacing (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]copydesk.TMEntry{want}, MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1"})); diff != "" {
			t.Errorf("entries after replacing (-want +got):\n%s", diff)
		}

		// Another context, another target language, another customer: new entries.
		other := first
		other.Context = "ctx2"
		de := first
		de.TargetLang = "de"
		cus2 := first
		cus2.CustomerID = "cus_2"
		MustPutTM(t, s, other, de, cus2)
		if n := len(MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1"})); n != 3 {
			t.Errorf("entries of cus_1: got %d, want 3", n)
		}

		// Within one batch the last of equal entries wins, at the first's place.
		a1, b, a2 := TM("cus_3", "en", "nl", "a", "first"), TM("cus_3", "en", "nl", "b", "b"), TM("cus_3", "EN", "NL", "a", "last")
		MustPutTM(t, s, a1, b, a2)
		got := MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_3"})
		if len(got) != 2 || got[0].Source != "a" || got[0].Target != "last" || got[1].Source != "b" {
			t.Errorf("batch with a repeated entry: got %+v, want a=last then b", got)
		}
	})

	t.Run("NotModified", func(t *testing.T) {
		s, _ := setup(t)
		entries := []copydesk.TMEntry{TM("cus_1", "EN", "NL", "x", "y")}
		before := slices.Clone(entries)
		MustPutTM(t, s, entries...)
		if diff := cmp.Diff(before, entries); diff != "" {
			t.Errorf("PutTM changed its argument (-before +after):\n%s", diff)
		}
	})

	t.Run("ContextPrecedence", func(t *testing.T) {
		s, _ := setup(t)
		withContext := func(e copydesk.TMEntry, c string) copydesk.TMEntry { e.Context = c; return e }
		MustPutTM(t, s,
			withContext(TM("cus_1", "en", "nl", "S1", "specific"), "A"), // stored before the generic one
			withContext(TM("cus_1", "en", "nl", "S1", "generic"), ""),
			withContext(TM("cus_1", "en", "nl", "S2", "generic2"), ""),
			withContext(TM("cus_1", "en", "nl", "S3", "specific3"), "A"),
			withContext(TM("cus_1", "en", "nl", "S4", "other4"), "B"),
		)
		MustPutTM(t, s, withContext(TM("cus_1", "en", "nl", "S2", "specific2"), "A")) // stored after the generic one
		for _, tt := range []struct {
			context string
			want    map[string]string // source → target
		}{
			{"A", map[string]string{"S1": "specific", "S2": "specific2", "S3": "specific3"}},
			{"B", map[string]string{"S1": "generic", "S2": "generic2", "S4": "other4"}},
			{"C", map[string]string{"S1": "generic", "S2": "generic2"}},
			{"", map[string]string{"S1": "generic", "S2": "generic2"}},
		} {
			t.Run("Context="+tt.context, func(t *testing.T) {
				found := MustLookupTM(t, s, copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "en", TargetLang: "nl",
					Context: tt.context, Sources: []string{"S1", "S2", "S3", "S4"}})
				got := map[string]string{}
				for src, e := range found {
					got[src] = e.Target
					if e.Source != src {
						t.Errorf("found[%q].Source: got %q, want the key", src, e.Source)
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("targets (-want +got):\n%s", diff)
				}
			})
		}
	})

	t.Run("LookupDuplicatesAndMissing", func(t *testing.T) {
		s, _ := setup(t)
		MustPutTM(t, s, TM("cus_1", "en", "nl", "a", "A"), TM("cus_1", "en", "nl", "b", "B"))
		found := MustLookupTM(t, s, copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "en", TargetLang: "nl",
			Sources: []string{"a", "b", "a", "missing", "", "a", "A"}})
		if len(found) != 2 || found["a"].Target != "A" || found["b"].Target != "B" {
			t.Errorf("got %v, want a→A and b→B only", found)
		}
		if got := MustLookupTM(t, s, copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "en", TargetLang: "nl"}); len(got) != 0 {
			t.Errorf("no sources: got %v, want an empty map", got)
		}
	})

	t.Run("LookupLanguages", func(t *testing.T) {
		s, _ := setup(t)
		MustPutTM(t, s, TM("cus_1", "EN", " NL", "Hello", "Hallo"))
		for _, tt := range []struct {
			source, target string
			want           bool
		}{
			{"en", "nl", true},
			{"En", "NL", true},
			{"en", "de", false},
			{"nl", "en", false},
		} {
			found := MustLookupTM(t, s, copydesk.TMLookup{CustomerID: "cus_1", SourceLang: tt.source, TargetLang: tt.target, Sources: []string{"Hello"}})
			if e, ok := found["Hello"]; ok != tt.want || (ok && (e.SourceLang != "en" || e.TargetLang != "nl")) {
				t.Errorf("%s→%s: got %+v (found %v), want found %v with languages en, nl", tt.source, tt.target, e, ok, tt.want)
			}
		}
	})

	t.Run("Batch3000", func(t *testing.T) {
		s, clock := setup(t)
		const n = 3000
		entries := make([]copydesk.TMEntry, n)
		srcs := make([]string, 0, n+10)
		for i := range entries {
			// Varied lengths, so that a store chunking by size is exercised too.
			src := fmt.Sprintf("Segment %d: %s", i, strings.Repeat("lorem ipsum ", i%50))
			entries[i] = TM("cus_1", "en", "de", src, fmt.Sprintf("Abschnitt %d", i))
			entries[i].Context = "glossary-v1"
			srcs = append(srcs, src)
		}
		MustPutTM(t, s, entries...)
		for i := range 10 {
			srcs = append(srcs, fmt.Sprint("missing ", i))
		}
		found := MustLookupTM(t, s, copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "en", TargetLang: "de", Context: "glossary-v1", Sources: srcs})
		if len(found) != n {
			t.Errorf("found %d entries, want %d", len(found), n)
		}
		for i, e := range entries {
			if got := found[e.Source]; got.Target != e.Target || !got.CreatedAt.Equal(clock.Now()) {
				t.Fatalf("entry %d: got target %q at %v, want %q at %v", i, got.Target, got.CreatedAt, e.Target, clock.Now())
			}
		}
		// Entries stored at the same time list in the order they were given.
		listed := MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1"})
		if diff := cmp.Diff(sources(entries), sources(listed)); diff != "" {
			t.Errorf("list order (-want +got):\n%s", diff)
		}
	})

	t.Run("List", func(t *testing.T) {
		s, clock := setup(t)
		MustPutTM(t, s, TM("cus_1", "en", "nl", "a", "A"), TM("cus_1", "en", "de", "b", "B"))
		clock.Add(time.Second)
		MustPutTM(t, s, TM("cus_1", "nl", "en", "c", "C"))
		clock.Add(time.Second)
		MustPutTM(t, s, TM("cus_1", "en", "nl", "d", "D"), TM("cus_2", "en", "nl", "other", "O"))
		clock.Add(time.Second)
		MustPutTM(t, s, TM("cus_1", "en", "fr", "e", "E"))

		for _, tt := range []struct {
			name string
			f    copydesk.TMFilter
			want []string
		}{
			{"All", copydesk.TMFilter{CustomerID: "cus_1"}, []string{"a", "b", "c", "d", "e"}},
			{"Limit", copydesk.TMFilter{CustomerID: "cus_1", Limit: 2}, []string{"a", "b"}},
			{"LimitAboveMax", copydesk.TMFilter{CustomerID: "cus_1", Limit: copydesk.MaxTMList + 1}, []string{"a", "b", "c", "d", "e"}},
			{"SourceLang", copydesk.TMFilter{CustomerID: "cus_1", SourceLang: "en"}, []string{"a", "b", "d", "e"}},
			{"TargetLang", copydesk.TMFilter{CustomerID: "cus_1", TargetLang: "nl"}, []string{"a", "d"}},
			{"BothLanguages", copydesk.TMFilter{CustomerID: "cus_1", SourceLang: "EN", TargetLang: "De"}, []string{"b"}},
			{"FilterAndLimit", copydesk.TMFilter{CustomerID: "cus_1", SourceLang: "en", Limit: 3}, []string{"a", "b", "d"}},
			{"NoMatch", copydesk.TMFilter{CustomerID: "cus_1", TargetLang: "it"}, []string{}},
			{"OtherCustomer", copydesk.TMFilter{CustomerID: "cus_2"}, []string{"other"}},
			{"UnknownCustomer", copydesk.TMFilter{CustomerID: "cus_3"}, []string{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, sources(MustListTM(t, s, tt.f))); diff != "" {
					t.Errorf("sources (-want +got):\n%s", diff)
				}
			})
		}

		t.Run("Fields", func(t *testing.T) {
			got := MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1", Limit: 1})
			want := TM("cus_1", "en", "nl", "a", "A")
			want.CreatedAt = Epoch()
			if diff := cmp.Diff([]copydesk.TMEntry{want}, got); diff != "" {
				t.Errorf("first entry (-want +got):\n%s", diff)
			}
		})

		t.Run("OrderByTime", func(t *testing.T) {
			// Replacing an entry makes it the newest.
			clock.Add(time.Second)
			MustPutTM(t, s, TM("cus_1", "en", "nl", "a", "A2"))
			if diff := cmp.Diff([]string{"b", "c", "d", "e", "a"}, sources(MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1"}))); diff != "" {
				t.Errorf("sources after replacing a (-want +got):\n%s", diff)
			}
		})
	})

	t.Run("Delete", func(t *testing.T) {
		s, _ := setup(t)
		var entries []copydesk.TMEntry
		for i, langs := range [][2]string{{"en", "nl"}, {"en", "nl"}, {"en", "nl"}, {"en", "de"}, {"en", "de"}, {"nl", "en"}} {
			entries = append(entries, TM("cus_1", langs[0], langs[1], fmt.Sprint("s", i), "t"))
		}
		entries = append(entries, TM("cus_2", "en", "nl", "s0", "t"), TM("cus_2", "en", "nl", "s1", "t"))
		MustPutTM(t, s, entries...)
		for _, tt := range []struct {
			f    copydesk.TMFilter
			want int
		}{
			{copydesk.TMFilter{CustomerID: "cus_1", TargetLang: "NL"}, 3},
			{copydesk.TMFilter{CustomerID: "cus_1", TargetLang: "nl"}, 0},
			{copydesk.TMFilter{CustomerID: "cus_1", SourceLang: "en", TargetLang: "fr"}, 0},
			{copydesk.TMFilter{CustomerID: "cus_1", SourceLang: "en", Limit: 1}, 2}, // Limit does not limit a delete
			{copydesk.TMFilter{CustomerID: "cus_3"}, 0},
			{copydesk.TMFilter{CustomerID: "cus_1"}, 1},
			{copydesk.TMFilter{CustomerID: "cus_1"}, 0},
		} {
			if got := MustDeleteTM(t, s, tt.f); got != tt.want {
				t.Errorf("DeleteTM(%+v): got %d, want %d", tt.f, got, tt.want)
			}
		}
		if got := sources(MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_2"})); !slices.Equal(got, []string{"s0", "s1"}) {
			t.Errorf("entries of cus_2 after deleting cus_1's: got %v, want [s0 s1]", got)
		}
	})

	t.Run("Isolation", func(t *testing.T) {
		s, _ := setup(t)
		MustPutGlossary(t, s, &copydesk.Glossary{CustomerID: "cus_a", Terms: []copydesk.GlossaryTerm{{Term: "Alpha", DoNotTranslate: true}}})
		MustPutTM(t, s, TM("cus_a", "en", "nl", "Hello", "Hallo (a)"), TM("cus_a", "en", "nl", "Only a", "Alleen a"))
		MustPutTM(t, s, TM("cus_b", "en", "nl", "Hello", "Hallo (b)"))

		if g := MustGetGlossary(t, s, "cus_b"); len(g.Terms) != 0 {
			t.Errorf("glossary of cus_b: got %v, want none (cus_a's is not cus_b's)", g.Terms)
		}
		q := copydesk.TMLookup{SourceLang: "en", TargetLang: "nl", Sources: []string{"Hello", "Only a"}}
		for customer, want := range map[string]map[string]string{
			"cus_a": {"Hello": "Hallo (a)", "Only a": "Alleen a"},
			"cus_b": {"Hello": "Hallo (b)"},
			"cus_c": {},
		} {
			q.CustomerID = customer
			got := map[string]string{}
			for src, e := range MustLookupTM(t, s, q) {
				got[src] = e.Target
				if e.CustomerID != customer {
					t.Errorf("lookup of %s: got an entry of %s", customer, e.CustomerID)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("lookup of %s (-want +got):\n%s", customer, diff)
			}
		}
		if n := MustDeleteTM(t, s, copydesk.TMFilter{CustomerID: "cus_b"}); n != 1 {
			t.Errorf("DeleteTM(cus_b): got %d, want 1", n)
		}
		if got := MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_a"}); len(got) != 2 {
			t.Errorf("entries of cus_a after deleting cus_b's: got %d, want 2", len(got))
		}
		if g := MustGetGlossary(t, s, "cus_a"); len(g.Terms) != 1 || g.Terms[0].Term != "Alpha" {
			t.Errorf("glossary of cus_a: got %v, want [Alpha]", g.Terms)
		}
	})

	t.Run("Unicode", func(t *testing.T) {
		s, clock := setup(t)
		pairs := [][2]string{
			{"Ĳsselmeer", "Het Ĳsselmeer"},                                          // Dutch ĳ ligature U+0132/U+0133
			{"IJsselmeer", "Het IJsselmeer"},                                        // the two-letter spelling: another source
			{"Καλημέρα κόσμε", "Good morning, world"},                               // Greek
			{"Go 👩🏽‍💻 go 🇳🇱", "Ga 👩🏽‍💻 ga 🇳🇱"},                                      // emoji with skin tone, ZWJ and a flag
			{"caf\u00e9", "koffie (composed)"},                                      // é as one code point
			{"cafe\u0301", "koffie (decomposed)"},                                   // é as e + combining accent: not normalized
			{"  spaced \t", "  ingesprongen \t"},                                    // whitespace is part of a segment
			{"<1>Buy</1> now & <2/> \"save\"", "<1>Koop</1> nu & <2/> \"bespaar\""}, // placeholders, JSON-special characters
			{"日本語のテキスト", "Japanese text"},
			{"مرحبا بالعالم", "Hello world (Arabic)"},
			{"\U0001F600\U0010FFFF", "max code point"},
		}
		var entries []copydesk.TMEntry
		var srcs []string
		for _, p := range pairs {
			entries = append(entries, TM("cus_1", "xx", "nl", p[0], p[1]))
			srcs = append(srcs, p[0])
		}
		MustPutTM(t, s, entries...)
		found := MustLookupTM(t, s, copydesk.TMLookup{CustomerID: "cus_1", SourceLang: "xx", TargetLang: "nl", Sources: srcs})
		listed := MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1"})
		if len(found) != len(pairs) || len(listed) != len(pairs) {
			t.Fatalf("got %d found and %d listed, want %d each", len(found), len(listed), len(pairs))
		}
		for i, p := range pairs {
			if got := found[p[0]]; got.Source != p[0] || got.Target != p[1] {
				t.Errorf("lookup %q: got source %q target %q, want %q", p[0], got.Source, got.Target, p[1])
			}
			if got := listed[i]; got.Source != p[0] || got.Target != p[1] {
				t.Errorf("list[%d]: got %+q → %+q, want %+q → %+q", i, got.Source, got.Target, p[0], p[1])
			}
		}

		g := &copydesk.Glossary{CustomerID: "cus_1", Terms: []copydesk.GlossaryTerm{
			{Term: "Ĳsselmeer", DoNotTranslate: true},
			{Term: "Καλημέρα", Translations: map[string]string{"nl": "Goedemorgen", "el": "Καλημέρα"}},
			{Term: "👩🏽‍💻", Translations: map[string]string{"nl": "👩🏽‍💻 ontwikkelaar"}},
			{Term: "cafe\u0301", Translations: map[string]string{"fr": "cafe\u0301"}},
			{Term: "<b>&\"'", DoNotTranslate: true},
		}}
		want := &copydesk.Glossary{CustomerID: "cus_1", Terms: slices.Clone(g.Terms), UpdatedAt: clock.Now()}
		MustPutGlossary(t, s, g)
		if diff := cmp.Diff(want, MustGetGlossary(t, s, "cus_1")); diff != "" {
			t.Errorf("glossary (-want +got):\n%s", diff)
		}
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		// Writers storing overlapping batches in opposite orders at once
		// all succeed (no deadlock between them) and leave one entry per key.
		s, _ := setup(t)
		const n = 300
		forward := make([]copydesk.TMEntry, n)
		for i := range forward {
			forward[i] = TM("cus_1", "en", "nl", fmt.Sprint("segment ", i), fmt.Sprint("segment ", i))
		}
		backward := slices.Clone(forward)
		slices.Reverse(backward)
		var wg sync.WaitGroup
		for i := range 6 {
			batch := forward
			if i%2 == 1 {
				batch = backward
			}
			wg.Go(func() {
				if err := s.PutTM(ctx, batch); err != nil {
					t.Errorf("PutTM %d: got %v, want nil", i, err)
				}
			})
		}
		wg.Wait()
		if got := MustListTM(t, s, copydesk.TMFilter{CustomerID: "cus_1"}); len(got) != n {
			t.Errorf("got %d entries, want %d", len(got), n)
		}
	})
}

// BenchmarkLookupTM measures a LookupTM of 40 sources (a page's segments),
// all found, in a memory of 10,000 entries of one customer and language
// pair.
func BenchmarkLookupTM(b *testing.B, s copydesk.TranslationStore) {
	const size, page = 10_000, 40
	entries := make([]copydesk.TMEntry, size)
	for i := range entries {
		entries[i] = TM("cus_bench", "en", "nl",
			fmt.Sprintf("Sentence %d of the benchmark, about as long as a sentence on a web page.", i),
			fmt.Sprintf("Zin %d van de benchmark, ongeveer zo lang als een zin op een webpagina.", i))
		entries[i].Context = "ctx-v1"
	}
	MustPutTM(b, s, entries...)
	q := copydesk.TMLookup{CustomerID: "cus_bench", SourceLang: "en", TargetLang: "nl", Context: "ctx-v1", Sources: make([]string, page)}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for j := range q.Sources {
			q.Sources[j] = entries[(i*page+j)%size].Source
		}
		found, err := s.LookupTM(ctx, q)
		if err != nil || len(found) != page {
			b.Fatalf("LookupTM: got %d entries, error %v, want %d", len(found), err, page)
		}
		i++
	}
}

// BenchmarkPutTM measures a PutTM of 1,000 new entries (a large page in
// seven languages, or a slice of a TMX import) in one call.
func BenchmarkPutTM(b *testing.B, s copydesk.TranslationStore) {
	const batch = 1000
	entries := make([]copydesk.TMEntry, batch)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range entries {
			entries[i] = TM("cus_bench", "en", "nl",
				fmt.Sprintf("Sentence %d of the benchmark, about as long as a sentence on a web page.", n),
				fmt.Sprintf("Zin %d van de benchmark, ongeveer zo lang als een zin op een webpagina.", n))
			n++
		}
		if err := s.PutTM(ctx, entries); err != nil {
			b.Fatal(err)
		}
	}
}
