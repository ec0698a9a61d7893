package generation

import (
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

// FuzzDecode feeds arbitrary answers to the decoder and sanitizer of every
// block type: no panic, and whatever passes renders HTML with no script
// element, no event-handler attribute and no script URL, and Markdown that,
// rendered with raw HTML allowed, holds none either.
func FuzzDecode(f *testing.F) {
	for _, typ := range BlockTypes {
		f.Add(typ, hostile[typ])
	}
	f.Add("hero", validHero)
	f.Add("hero", "```json\n"+validHero+"\n```")
	f.Add("cta", `{"headline":"a","text":"b","button_label":"c","button_url":"JaVaScRiPt&#58;alert(1)"}`)
	f.Add("cta", `{"headline":"<scr<script>ipt>alert(1)</script>","text":"b","button_label":"c","button_url":"java&Tab;script:x"}`)
	f.Add("contact", `{"title":"a","text":"b","email":"\"><svg onload=alert(1)>@x.io","phone":"+1 (555) 010","address":"<a href=javascript:x>y</a>"}`)
	f.Add("faq", `{"title":"x","items":[{"question":"<","answer":">"},{"question":"&","answer":"&#"},{"question":"\u0000","answer":"\u202e"}]}`)
	f.Fuzz(func(t *testing.T, typ, answer string) {
		sp, ok := specs()[typ]
		if !ok {
			sp = specs()[BlockTypes[len(typ)%len(BlockTypes)]]
		}
		b, err := sp.decode(answer, "fuzz")
		if err != nil {
			if !isInvalid(err) {
				t.Fatalf("got error %v (%T), want a ProviderInvalid error", err, err)
			}
			return
		}
		h, err := renderHTML(b)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		fuzzCheckHTML(t, "HTML", h)
		fuzzCheckHTML(t, "page", pageHTML([]string{h, h}))
		fuzzCheckHTML(t, "Markdown", markdownHTML(t, renderMarkdown(b)))
		if low := strings.ToLower(string(b.JSON)); strings.Contains(low, "<script") || strings.Contains(low, "javascript:") {
			t.Errorf("block JSON %s", b.JSON)
		}
	})
}

// fuzzCheckHTML fails on a script element, an on* attribute or a script
// URL in any attribute, and on "<script" or "javascript:" anywhere.
func fuzzCheckHTML(t *testing.T, where, doc string) {
	t.Helper()
	low := strings.ToLower(doc)
	if strings.Contains(low, "<script") || strings.Contains(low, "javascript:") {
		t.Fatalf("%s holds <script or javascript:: %s", where, doc)
	}
	z := xhtml.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if tok.Data == "script" || tok.Data == "iframe" || tok.Data == "svg" || tok.Data == "img" {
			t.Fatalf("%s: element <%s>: %s", where, tok.Data, doc)
		}
		for _, a := range tok.Attr {
			v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			if strings.HasPrefix(strings.ToLower(a.Key), "on") || strings.Contains(v, "javascript:") || strings.Contains(v, "vbscript:") || strings.HasPrefix(v, "data:") {
				t.Fatalf("%s: attribute %s=%q: %s", where, a.Key, a.Val, doc)
			}
		}
	}
}
