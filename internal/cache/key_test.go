package cache_test

import (
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
)

func baseParts() cache.KeyParts {
	return cache.KeyParts{
		CustomerID: "acme",
		Kind:       "analysis",
		Input:      "Café au lait is good.",
		Params:     map[string]string{"lang": "en", "tone": "formal"},
		ModelClass: "small",
		Version:    "tpl-3",
	}
}

func TestKeyEqualInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(p *cache.KeyParts)
	}{
		{"same parts", func(p *cache.KeyParts) {}},
		{"NFD input", func(p *cache.KeyParts) { p.Input = "Cafe\u0301 au lait\nis good." }},
		{"surrounding white space", func(p *cache.KeyParts) { p.Input = " \n\t" + p.Input + "  \r\n" }},
		{"params built in another order", func(p *cache.KeyParts) {
			p.Params = map[string]string{}
			p.Params["tone"] = "formal"
			p.Params["lang"] = "en"
		}},
		{"CRLF", func(p *cache.KeyParts) { p.Input = "Café au lait\r\nis good." }},
	}
	base := baseParts()
	base.Input = "Café au lait\nis good."
	want := cache.Key(base)
	if len(want) != 64 || strings.Trim(want, "0123456789abcdef") != "" {
		t.Fatalf("got key %q, want 64 lower-case hex digits", want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := baseParts()
			p.Input = "Café au lait\nis good."
			tt.edit(&p)
			if got := cache.Key(p); got != want {
				t.Errorf("got key %s, want %s", got, want)
			}
		})
	}
}

func TestKeyFoldWhitespace(t *testing.T) {
	t.Parallel()
	p, q := baseParts(), baseParts()
	p.Input, q.Input = "one  two\n\nthree\u00a0four", "one two three four"
	if cache.Key(p) == cache.Key(q) {
		t.Errorf("without FoldWhitespace, layout differences gave equal keys")
	}
	p.FoldWhitespace, q.FoldWhitespace = true, true
	if got, want := cache.Key(p), cache.Key(q); got != want {
		t.Errorf("with FoldWhitespace: got key %s, want %s", got, want)
	}
}

func TestKeyEveryFieldMatters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(p *cache.KeyParts)
	}{
		{"customer", func(p *cache.KeyParts) { p.CustomerID = "globex" }},
		{"shared", func(p *cache.KeyParts) { p.Shared = true }},
		{"user", func(p *cache.KeyParts) { p.UserID = "usr_1" }},
		{"other user", func(p *cache.KeyParts) { p.UserID = "usr_2" }},
		{"user as customer", func(p *cache.KeyParts) { p.CustomerID, p.UserID = "", "acme" }},
		{"kind", func(p *cache.KeyParts) { p.Kind = "seo" }},
		{"input", func(p *cache.KeyParts) { p.Input = "Café au lait is bad." }},
		{"input case", func(p *cache.KeyParts) { p.Input = "café au lait is good." }},
		{"inner spaces without fold", func(p *cache.KeyParts) { p.Input = "Café  au lait is good." }},
		{"param value", func(p *cache.KeyParts) { p.Params = map[string]string{"lang": "nl", "tone": "formal"} }},
		{"param name", func(p *cache.KeyParts) { p.Params = map[string]string{"language": "en", "tone": "formal"} }},
		{"extra param", func(p *cache.KeyParts) {
			p.Params = map[string]string{"lang": "en", "tone": "formal", "keyphrase": ""}
		}},
		{"no params", func(p *cache.KeyParts) { p.Params = nil }},
		{"model class", func(p *cache.KeyParts) { p.ModelClass = "large" }},
		{"version", func(p *cache.KeyParts) { p.Version = "tpl-4" }},
	}
	base := cache.Key(baseParts())
	seen := map[string]string{base: "base"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := baseParts()
			tt.edit(&p)
			got := cache.Key(p)
			if prev, dup := seen[got]; dup {
				t.Errorf("got the key of %q, want a key of its own", prev)
			}
			seen[got] = tt.name
		})
	}
}

func TestKeyTenantsSeparated(t *testing.T) {
	t.Parallel()
	a, b := baseParts(), baseParts()
	b.CustomerID = "globex"
	if cache.Key(a) == cache.Key(b) {
		t.Fatalf("two customers got the same key for the same work")
	}
	a.Shared, b.Shared = true, true
	if got, want := cache.Key(a), cache.Key(b); got != want {
		t.Errorf("shared task: got key %s for globex, want acme's %s", got, want)
	}
	c := baseParts()
	c.CustomerID = ""
	if cache.Key(c) == cache.Key(a) {
		t.Errorf("customer \"\" got the shared partition's key")
	}
	a.UserID, b.UserID = "usr_1", "usr_2"
	if got, want := cache.Key(a), cache.Key(b); got != want {
		t.Errorf("shared task with users: got key %s for usr_2, want usr_1's %s (Shared ignores the user)", got, want)
	}
}

func TestKeyUnambiguous(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b cache.KeyParts
	}{
		{"kind/input boundary",
			cache.KeyParts{Kind: "a|b", Input: "c"},
			cache.KeyParts{Kind: "a", Input: "b|c"}},
		{"customer/kind boundary",
			cache.KeyParts{CustomerID: "x", Kind: ""},
			cache.KeyParts{CustomerID: "", Kind: "x"}},
		{"param name/value boundary",
			cache.KeyParts{Params: map[string]string{"a": "b=c"}},
			cache.KeyParts{Params: map[string]string{"a=b": "c"}}},
		{"params vs model class",
			cache.KeyParts{Params: map[string]string{"m": ""}},
			cache.KeyParts{ModelClass: "m"}},
		{"model class/version swap",
			cache.KeyParts{ModelClass: "v1"},
			cache.KeyParts{Version: "v1"}},
		{"input/params boundary",
			cache.KeyParts{Input: "x\x01\x01a\x01b"},
			cache.KeyParts{Input: "x", Params: map[string]string{"a": "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if cache.Key(tt.a) == cache.Key(tt.b) {
				t.Errorf("got equal keys for %+v and %+v, want different", tt.a, tt.b)
			}
		})
	}
}

func TestNormalizeInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		fold bool
		want string
	}{
		{"", false, ""},
		{"  plain  ", false, "plain"},
		{"e\u0301", false, "\u00e9"},
		{"a\r\nb\rc\n", false, "a\nb\nc"},
		{"a  b\n\n c", false, "a  b\n\n c"},
		{"a  b\n\n c", true, "a b c"},
		{"\u2003a\u00a0\u00a0b\t", true, "a b"},
		{"één  twee", true, "één twee"},
	}
	for _, tt := range tests {
		if got := cache.NormalizeInput(tt.in, tt.fold); got != tt.want {
			t.Errorf("NormalizeInput(%q, %v): got %q, want %q", tt.in, tt.fold, got, tt.want)
		}
	}
}

// FuzzKey checks that Key sees an input and its normalized form as one, and
// that normalizing is idempotent.
func FuzzKey(f *testing.F) {
	f.Add("Café au lait", false)
	f.Add("Cafe\u0301  au\r\nlait ", true)
	f.Add(" \u0301x\u00a0", true)
	f.Add("\xff\xfe", false)
	f.Fuzz(func(t *testing.T, in string, fold bool) {
		n := cache.NormalizeInput(in, fold)
		if again := cache.NormalizeInput(n, fold); again != n {
			t.Fatalf("NormalizeInput not idempotent: %q → %q → %q", in, n, again)
		}
		p := cache.KeyParts{Kind: "k", Input: in, FoldWhitespace: fold}
		q := p
		q.Input = n
		if cache.Key(p) != cache.Key(q) {
			t.Fatalf("Key(%q) != Key(normalized %q)", in, n)
		}
	})
}
