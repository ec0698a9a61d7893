package translation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// nestedTMX returns a one-pair TMX document whose source segment holds
// "Hello" inside depth nested <hi> elements; at 0 it is 5 elements deep.
func nestedTMX(depth int) string {
	return `<tmx version="1.4"><header srclang="en"/><body><tu><tuv xml:lang="en"><seg>` +
		strings.Repeat(`<hi>`, depth) + "Hello" + strings.Repeat(`</hi>`, depth) +
		`</seg></tuv><tuv xml:lang="nl"><seg>Hallo</seg></tuv></tu></body></tmx>`
}

func TestReadTMXNesting(t *testing.T) {
	t.Parallel()
	// 3,000,000 unclosed elements: 12 MB, under MaxTMXBytes, and once a
	// stack overflow (a fatal error no recover catches).
	deep := strings.Repeat("<hi>", 3_000_000)
	tests := []struct {
		name string
		doc  string
		want string // "" for success (en→nl "Hello"), else the error code
	}{
		{"no nesting", nestedTMX(0), ""},
		{"nested highlights", nestedTMX(3), ""},
		{"at the limit", nestedTMX(maxTMXDepth - 5), ""},
		{"one level too deep", nestedTMX(maxTMXDepth - 4), copydesk.EINVALID},
		{"deep in a segment", `<tmx><body><tu><tuv xml:lang="en"><seg>` + deep, copydesk.EINVALID},
		{"deep in the header", `<tmx><header>` + deep, copydesk.EINVALID},
		{"deep in an unknown element", `<tmx><body><other>` + deep, copydesk.EINVALID},
		{"deep in a tu", `<tmx><body><tu><note>` + deep, copydesk.EINVALID},
		{"deep in native code", `<tmx><body><tu><tuv xml:lang="en"><seg><bpt i="1">` + deep, copydesk.EINVALID},
		{"deep and closed", `<tmx><body>` + strings.Repeat("<a>", 100_000) + strings.Repeat("</a>", 100_000) + `</body></tmx>`, copydesk.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries, _, err := readTMX([]byte(tt.doc))
			if tt.want != "" {
				if copydesk.ErrorCode(err) != tt.want || !strings.Contains(copydesk.ErrorMessage(err), "levels deep at line") {
					t.Fatalf("got %v, want %s naming the depth", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := pairs(entries), []string{"en|nl|Hello|Hallo"}; !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestImportTMXOversized checks the limits of an import: bytes, entries,
// an entry over the store's size limit, and a reader that fails.
func TestImportTMXOversized(t *testing.T) {
	t.Parallel()
	var many strings.Builder
	many.WriteString(`<tmx><header srclang="en"/><body>`)
	for i := range MaxTMXEntries + 1 {
		fmt.Fprintf(&many, `<tu><tuv xml:lang="en"><seg>s%d</seg></tuv><tuv xml:lang="nl"><seg>t</seg></tuv></tu>`, i)
	}
	many.WriteString(`</body></tmx>`)
	tests := []struct {
		name string
		doc  string
		code string
	}{
		{"bytes", "<tmx>" + strings.Repeat(" ", MaxTMXBytes) + "</tmx>", copydesk.ETOOLARGE},
		{"entries", many.String(), copydesk.ETOOLARGE},
		{"deeply nested", nestedTMX(3_000_000), copydesk.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newMemStore()
			_, err := (&Service{Store: store}).ImportTMX(context.Background(), "c", strings.NewReader(tt.doc))
			if copydesk.ErrorCode(err) != tt.code {
				t.Errorf("got %v, want %s", err, tt.code)
			}
			if n := store.count(); n != 0 {
				t.Errorf("a refused import stored %d entries", n)
			}
		})
	}

	t.Run("entry over the store limit", func(t *testing.T) {
		t.Parallel()
		long := strings.Repeat("a", copydesk.MaxTMText+1)
		doc := `<tmx><header srclang="en"/><body>` +
			`<tu><tuv xml:lang="en"><seg>` + long + `</seg></tuv><tuv xml:lang="nl"><seg>b</seg></tuv></tu>` +
			`<tu><tuv xml:lang="en"><seg>Yes</seg></tuv><tuv xml:lang="nl"><seg>Ja</seg></tuv></tu></body></tmx>`
		store := newMemStore()
		res, err := (&Service{Store: store}).ImportTMX(context.Background(), "c", strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if res.Entries != 1 || res.Skipped != 1 {
			t.Errorf("got %d entries, %d skipped; want 1, 1", res.Entries, res.Skipped)
		}
	})
}

// TestImportTMXReadError checks that a failing upload is EINVALID and that
// the reader's error stays reachable, as the HTTP layer needs for 413.
func TestImportTMXReadError(t *testing.T) {
	t.Parallel()
	t.Run("body over the HTTP limit", func(t *testing.T) {
		t.Parallel()
		body := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(nestedTMX(1))), 20)
		store := newMemStore()
		_, err := (&Service{Store: store}).ImportTMX(context.Background(), "c", body)
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) || mbe.Limit != 20 {
			t.Errorf("got %v, want an error wrapping *http.MaxBytesError with limit 20", err)
		}
		if copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("code: got %s, want %s", copydesk.ErrorCode(err), copydesk.EINVALID)
		}
		if store.count() != 0 {
			t.Errorf("stored %d entries, want 0", store.count())
		}
	})
	t.Run("connection lost", func(t *testing.T) {
		t.Parallel()
		lost := errors.New("connection reset")
		r := io.MultiReader(strings.NewReader("<tmx><body>"), iotest.ErrReader(lost))
		_, err := (&Service{Store: newMemStore()}).ImportTMX(context.Background(), "c", r)
		if copydesk.ErrorCode(err) != copydesk.EINVALID || !strings.Contains(copydesk.ErrorMessage(err), "could not be read") || !errors.Is(err, lost) {
			t.Errorf("got %v, want EINVALID \"could not be read\" wrapping the reader's error", err)
		}
	})
}

// failingStore fails the PutTM calls after the first ok ones.
type failingStore struct {
	*memStore
	ok    int
	err   error
	calls int
}

func (s *failingStore) PutTM(ctx context.Context, entries []copydesk.TMEntry) error {
	s.calls++
	if s.calls > s.ok {
		return s.err
	}
	return s.memStore.PutTM(ctx, entries)
}

// manyTMX returns a TMX document of n en→nl pairs.
func manyTMX(n int) string {
	var b strings.Builder
	b.WriteString(`<tmx><header srclang="en"/><body>`)
	for i := range n {
		fmt.Fprintf(&b, `<tu><tuv xml:lang="en"><seg>s%d</seg></tuv><tuv xml:lang="nl"><seg>t%d</seg></tuv></tu>`, i, i)
	}
	b.WriteString(`</body></tmx>`)
	return b.String()
}

// TestImportTMXPartial checks an import whose store fails midway: the
// error keeps its code and says how far it got, and importing the same
// document again completes it without doubling entries.
func TestImportTMXPartial(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := tmxChunk + 10
	doc := manyTMX(n)
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"domain error", copydesk.Errorf(copydesk.EUNAVAILABLE, "the database is stopping"), copydesk.EUNAVAILABLE},
		{"other error", errors.New("disk I/O error"), copydesk.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := &failingStore{memStore: newMemStore(), ok: 1, err: tt.err}
			svc := &Service{Store: store, Cache: MustCache(t)}
			_, err := svc.ImportTMX(ctx, "c", strings.NewReader(doc))
			if copydesk.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if !errors.Is(err, tt.err) && tt.code == copydesk.EINTERNAL {
				t.Errorf("got %v, want it to wrap %v", err, tt.err)
			}
			if want := fmt.Sprintf("stopped after %d of %d entries", tmxChunk, n); !strings.Contains(err.Error(), want) {
				t.Errorf("got %q, want it to say %q", err.Error(), want)
			}
			if got := store.count(); got != tmxChunk {
				t.Errorf("stored %d entries, want the first chunk of %d", got, tmxChunk)
			}
			store.ok = store.calls + 2
			res, err := svc.ImportTMX(ctx, "c", strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if res.Entries != n || store.count() != n {
				t.Errorf("again: got %d entries reported, %d stored; want %d", res.Entries, store.count(), n)
			}
		})
	}
}

// listStore holds n synthetic en→nl entries and lists them as the real
// stores do: Limit 0 or above copydesk.MaxTMList is MaxTMList.
type listStore struct {
	*memStore
	n int
}

func (s *listStore) ListTM(_ context.Context, f copydesk.TMFilter) ([]copydesk.TMEntry, error) {
	limit := f.Limit
	if limit == 0 || limit > copydesk.MaxTMList {
		limit = copydesk.MaxTMList
	}
	if (f.SourceLang != "" && f.SourceLang != "en") || (f.TargetLang != "" && f.TargetLang != "nl") {
		return nil, nil
	}
	out := make([]copydesk.TMEntry, min(s.n, limit))
	for i := range out {
		out[i] = copydesk.TMEntry{CustomerID: f.CustomerID, SourceLang: "en", TargetLang: "nl", Source: fmt.Sprintf("s%d", i), Target: "t", Origin: copydesk.TMOriginImport}
	}
	return out, nil
}

// TestExportTMXNeverTruncated checks that an export ListTM cannot return
// whole is refused instead of cut at copydesk.MaxTMList entries.
func TestExportTMXNeverTruncated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		n       int
		f       copydesk.TMFilter
		entries int    // the <tu>s written when code is ""
		code    string // the error code, "" for success
		hint    string // in the error message
	}{
		{"small", 10, copydesk.TMFilter{}, 10, "", ""},
		{"just under", copydesk.MaxTMList - 1, copydesk.TMFilter{}, copydesk.MaxTMList - 1, "", ""},
		{"full", copydesk.MaxTMList, copydesk.TMFilter{}, 0, copydesk.ETOOLARGE, "source_language and target_language"},
		{"over", copydesk.MaxTMList + 1, copydesk.TMFilter{}, 0, copydesk.ETOOLARGE, "source_language and target_language"},
		{"over in one language", copydesk.MaxTMList + 1, copydesk.TMFilter{SourceLang: "en"}, 0, copydesk.ETOOLARGE, "source_language and target_language"},
		{"over in one pair", copydesk.MaxTMList + 1, copydesk.TMFilter{SourceLang: "en", TargetLang: "nl"}, 0, copydesk.ETOOLARGE, "from en to nl"},
		{"another pair", copydesk.MaxTMList + 1, copydesk.TMFilter{SourceLang: "en", TargetLang: "de"}, 0, "", ""},
		{"limit asked for", copydesk.MaxTMList + 1, copydesk.TMFilter{Limit: 5}, 5, "", ""},
		{"limit above the maximum", copydesk.MaxTMList + 1, copydesk.TMFilter{Limit: copydesk.MaxTMList + 1}, 0, copydesk.ETOOLARGE, "source_language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := &Service{Store: &listStore{memStore: newMemStore(), n: tt.n}}
			f := tt.f
			f.CustomerID = "c"
			var buf bytes.Buffer
			err := svc.ExportTMX(context.Background(), f, &buf)
			if tt.code != "" {
				if copydesk.ErrorCode(err) != tt.code || !strings.Contains(copydesk.ErrorMessage(err), tt.hint) {
					t.Fatalf("got %v, want %s with %q", err, tt.code, tt.hint)
				}
				if buf.Len() != 0 {
					t.Errorf("a refused export wrote %d bytes", buf.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(buf.String(), "<tu "); got != tt.entries {
				t.Errorf("got %d <tu>, want %d", got, tt.entries)
			}
		})
	}
}
