package copydesk_test

import (
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestNormalizeLanguage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"nl", "nl", true},
		{" EN ", "en", true},
		{"Fil", "fil", true},
		{"abcdefgh", "abcdefgh", true},
		{"", "", false},
		{"n", "", false},
		{"abcdefghi", "", false},
		{"pt-BR", "", false},
		{"n1", "", false},
		{"né", "", false},
	} {
		got, err := copydesk.NormalizeLanguage(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeLanguage(%q): got %q, %v, want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("NormalizeLanguage(%q): got code %q, want %q", tt.in, copydesk.ErrorCode(err), copydesk.EINVALID)
		}
	}
}

// TestPickTM checks the context rule in every order of candidates: the
// stores read rows in an order of their own.
func TestPickTM(t *testing.T) {
	t.Parallel()
	entry := func(ctx string) copydesk.TMEntry { return copydesk.TMEntry{Context: ctx, Target: "of " + ctx} }
	pick := func(ctx string, rows ...copydesk.TMEntry) string {
		var have copydesk.TMEntry
		ok := false
		for _, r := range rows {
			if copydesk.PickTM(have, ok, r, ctx) {
				have, ok = r, true
			}
		}
		if !ok {
			return "none"
		}
		return have.Context
	}
	for _, tt := range []struct {
		ctx  string
		rows []copydesk.TMEntry
		want string
	}{
		{"A", []copydesk.TMEntry{entry(""), entry("A")}, "A"},
		{"A", []copydesk.TMEntry{entry("A"), entry("")}, "A"},
		{"A", []copydesk.TMEntry{entry("")}, ""},
		{"A", []copydesk.TMEntry{entry("B")}, "none"},
		{"A", []copydesk.TMEntry{entry("B"), entry("")}, ""},
		{"", []copydesk.TMEntry{entry("")}, ""},
		{"", []copydesk.TMEntry{entry("A")}, "none"},
		{"", []copydesk.TMEntry{entry("A"), entry("")}, ""},
		{"", []copydesk.TMEntry{entry(""), entry("A")}, ""},
		{"A", nil, "none"},
	} {
		if got := pick(tt.ctx, tt.rows...); got != tt.want {
			t.Errorf("context %q, rows %v: got %q, want %q", tt.ctx, tt.rows, got, tt.want)
		}
	}
}

func TestPrepareTMBatchKeepsInput(t *testing.T) {
	t.Parallel()
	in := []copydesk.TMEntry{
		{CustomerID: "c", SourceLang: "EN", TargetLang: "nl", Source: "a", Target: "1", Origin: copydesk.TMOriginModel},
		{CustomerID: "c", SourceLang: "en", TargetLang: "nl", Source: "b", Target: "2", Origin: copydesk.TMOriginModel},
		{CustomerID: "c", SourceLang: "en", TargetLang: "NL", Source: "a", Target: "3", Origin: copydesk.TMOriginImport},
	}
	out, err := copydesk.PrepareTMBatch(in, copydesk.SystemClock{}.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Source != "a" || out[0].Target != "3" || out[0].SourceLang != "en" || out[1].Source != "b" {
		t.Errorf("got %+v, want a→3 (normalized) then b→2", out)
	}
	if in[0].SourceLang != "EN" || !in[0].CreatedAt.IsZero() {
		t.Errorf("input changed: got %+v", in[0])
	}
}
