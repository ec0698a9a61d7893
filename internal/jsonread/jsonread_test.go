package jsonread

import (
	"encoding/json"
	"testing"
)

// checkString reads the JSON string "<s>" and compares it with what
// json.Unmarshal gives for it; both must refuse what is not JSON.
func checkString(t *testing.T, s []byte) {
	t.Helper()
	doc := append(append([]byte{'"'}, s...), '"')
	var want string
	wantErr := json.Unmarshal(doc, &want)
	var got string
	r := NewReader(doc)
	ok := r.String(&got) && r.End()
	if wantErr != nil {
		if ok {
			t.Fatalf("String took %q, which encoding/json refuses: %v", doc, wantErr)
		}
		return
	}
	if !ok || got != want {
		t.Fatalf("String(%q) = %q, %v; want %q", doc, got, ok, want)
	}
}

func TestString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `a\"b\\c\/d\be\ff\ng\rh\ti`, `\u00e9\u20AC`, `\uD83D\uDE00`, `\uD83D`, `\uD83Dx`, `\uDE00\uD83D`,
		`\uD83D\u0041`, `\uD83D\uD83D\uDE00`, "\xff\xfe", "\xed\xa0\x80", "\xef\xbf\xbd", "日本語", `\u`, `\u12`, `\x`, "\x01", `\`, "<&>\u2028",
	} {
		checkString(t, []byte(s))
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"plain", `a\"b\n`, `\uD83D\uDE00`, `\uD83D`, "\xff", `\u00e9`} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkString)
}

func TestField(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want int
	}{{"model", 0}, {"messages", 1}, {"Model", -2}, {"MODEL", -2}, {`mod\u0065l`, -2}, {"other", -1}, {"\u212aey", -1}, {"ſtream", -2}} {
		if got := Field([]byte(tc.key), "model", "messages", "stream"); got != tc.want {
			t.Errorf("Field(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
}
