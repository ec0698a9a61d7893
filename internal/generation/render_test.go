package generation

import (
	"bytes"
	"encoding/json"
	"html"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	xhtml "golang.org/x/net/html"
)

// hostile answers per block type: every string field carries markup or a
// dangerous URL, and enough plain text to remain a valid block.
var hostile = map[string]string{
	"hero": `{"headline":"<script>alert(1)</script>Fresh bread","subheadline":"<img src=x onerror=alert(1)>Baked daily \"><svg onload=alert(1)>","cta_label":"Order &amp; enjoy","cta_url":"javascript:alert(1)"}`,
	"features": `{"title":"Why <b onclick=alert(1)>us</b>","items":[` +
		`{"title":"&lt;script&gt;alert(1)&lt;/script&gt;Fresh","description":"<a href=\"javascript:alert(1)\">click</a> here"},` +
		`{"title":"**Local** [x](javascript:alert(1))","description":"# heading\n<iframe src=//evil>"},` +
		`{"title":"1. Fast","description":"- list\n> quote ` + "`code`" + ` &amp;copy; <!-- c -->"}]}`,
	"about":        `{"title":"About \"><svg onload=alert(1)>","text":"We <style>*{}</style>bake.","highlights":["<img src=x onerror=alert(1)>Since 1952","JaVaScRiPt:alert(1)"]}`,
	"services":     `{"title":"Services","intro":"<object data=x></object>What we do","items":[{"name":"<math><mi xlink:href=\"javascript:alert(1)\">Cakes</mi></math>","description":"For <u>every</u> party"},{"name":"Bread","description":"Daily &#60;script&#62;alert(1)&#60;/script&#62;"}]}`,
	"testimonials": `{"title":"Praise","items":[{"quote":"<script>document.cookie</script>Great!","author":"Ann <img src=x onerror=alert(1)>","role":"\"><svg onload=alert(1)>Chef"},{"quote":"Tasty","author":"Bob","role":"Client"}]}`,
	"faq":          `{"title":"FAQ","items":[{"question":"<script>alert(1)</script>Open?","answer":"<a href=javascript:alert(1)>Yes</a>"},{"question":"Vegan?","answer":"Some <b>are</b>"},{"question":"Cards?","answer":"All &lt;img src=x onerror=alert(1)&gt;"}]}`,
	"cta":          `{"headline":"Visit <svg/onload=alert(1)>today","text":"Open 7–18","button_label":"Go","button_url":" javascript:alert(1)"}`,
	"pricing":      `{"title":"Plans","plans":[{"name":"Basic<script>alert(1)</script>","price":"€9","period":"per month","features":["<img src=x onerror=alert(1)>Bread","Cake"],"cta_label":"Buy","cta_url":"&#106;avascript:alert(1)"},{"name":"Pro","price":"€19","period":"per month","features":["All","More"],"cta_label":"Buy","cta_url":"data:text/html,<script>alert(1)</script>"}]}`,
	"contact":      `{"title":"Contact","text":"Drop by <iframe src=x></iframe>","email":"javascript:alert(1)@x.com","phone":"<script>alert(1)</script>","address":"Main St 1 \"><svg onload=alert(1)>"}`,
}

// dangerous are strings that must not appear, case-insensitively, in a
// hostile block's JSON, HTML or Markdown.
var dangerous = []string{"<script", "<img", "<svg", "<iframe", "<object", "<math", "<style", "onerror", "onload", "onclick", "javascript:", "data:text"}

// dangerousInMarkup are what must not appear in HTML even as escaped text
// once decoded inside an element or attribute.
func checkHTML(t *testing.T, where, doc string) {
	t.Helper()
	z := xhtml.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return
		}
		tok := z.Token()
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		switch tok.Data {
		case "script", "style", "iframe", "object", "embed", "svg", "math", "img", "form", "base", "meta", "link":
			t.Errorf("%s: element <%s> in %s", where, tok.Data, doc)
		}
		for _, a := range tok.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") || a.Key == "style" || a.Key == "srcdoc" {
				t.Errorf("%s: attribute %s in %s", where, a.Key, doc)
			}
			v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
			if strings.Contains(v, "javascript:") || strings.Contains(v, "data:") || strings.Contains(v, "vbscript:") {
				t.Errorf("%s: attribute %s=%q in %s", where, a.Key, a.Val, doc)
			}
		}
	}
}

// checkNoDanger fails if s holds any of dangerous, as s is or with its
// entities decoded.
func checkNoDanger(t *testing.T, where, s string) {
	t.Helper()
	for _, form := range []string{s, html.UnescapeString(s)} {
		low := strings.ToLower(form)
		for _, d := range dangerous {
			if strings.Contains(low, d) {
				t.Errorf("%s holds %q: %s", where, d, s)
			}
		}
	}
}

// markdownHTML renders Markdown with raw HTML allowed, to show the
// Markdown itself carries none.
func markdownHTML(t *testing.T, md string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := goldmark.New(goldmark.WithRendererOptions(gmhtml.WithUnsafe())).Convert([]byte(md), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHostileAnswers(t *testing.T) {
	for _, typ := range BlockTypes {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			answer, ok := hostile[typ]
			if !ok {
				t.Fatalf("no hostile answer for %s", typ)
			}
			b, err := specs()[typ].decode(answer, "fake")
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			h, err := renderHTML(b)
			if err != nil {
				t.Fatal(err)
			}
			md := renderMarkdown(b)
			checkNoDanger(t, "block JSON", string(b.JSON))
			// HTML: no dangerous element or attribute, and no dangerous
			// string even as text (the text was sanitized before).
			checkHTML(t, "HTML", h)
			checkNoDanger(t, "HTML", h)
			checkNoDanger(t, "Markdown", md)
			mdh := markdownHTML(t, md)
			checkHTML(t, "Markdown as HTML", mdh)
			checkNoDanger(t, "Markdown as HTML", mdh)
		})
	}
}

func TestHostileValuesKeptAsText(t *testing.T) {
	b, err := specs()["hero"].decode(hostile["hero"], "fake")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(b.JSON, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"headline": "Fresh bread", "subheadline": `Baked daily ">`, "cta_label": "Order & enjoy", "cta_url": "#"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	h, _ := renderHTML(b)
	// "&" is stored once and encoded once: no &amp;amp;.
	if !strings.Contains(h, "Order &amp; enjoy") || strings.Contains(h, "&amp;amp;") {
		t.Errorf("got HTML %s, want the label encoded exactly once", h)
	}
	if strings.Contains(h, "<a") {
		t.Errorf("got HTML %s, want the unsafe link dropped to its label", h)
	}
	md := renderMarkdown(b)
	if !strings.Contains(md, `[Order \& enjoy](<#>)`) {
		t.Errorf("got Markdown %s, want the link to #", md)
	}
}

func TestRenderHTML(t *testing.T) {
	tests := []struct {
		typ, answer string
		want        []string
	}{
		{"hero", validHero, []string{`<section class="cd-block cd-hero">`, `<h1>Fresh bread every morning</h1>`, `<a href="/contact">Visit us</a>`}},
		{"features", `{"title":"Why us","items":[{"title":"Local","description":"From the region."},{"title":"Fresh","description":"Every day."},{"title":"Fair","description":"Honest prices."}]}`,
			[]string{`<h2>Why us</h2>`, `<ul><li><h3>Local</h3><p>From the region.</p></li>`}},
		{"faq", `{"title":"FAQ","items":[{"question":"Open on Sunday?","answer":"Yes, 8 to 12."},{"question":"Q2?","answer":"A2"},{"question":"Q3?","answer":"A3"}]}`,
			[]string{`<dl><dt>Open on Sunday?</dt><dd>Yes, 8 to 12.</dd>`}},
		{"cta", `{"headline":"Taste it","text":"Come by.","button_label":"Call","button_url":"tel:+31301234567"}`,
			[]string{`<a href="tel:+31301234567">Call</a>`}},
		{"cta", `{"headline":"Taste it","text":"Come by.","button_label":"Shop","button_url":"https://shop.example.com/"}`,
			[]string{`<a href="https://shop.example.com/" rel="nofollow">Shop</a>`}},
		{"contact", `{"title":"Contact","text":"Drop by.","email":"info@example.com","phone":"+31 30 123","address":"Main St 1"}`,
			[]string{`<a href="mailto:info@example.com">info@example.com</a>`, `<a href="tel:+3130123">+31 30 123</a>`, `<li>Main St 1</li>`}},
		{"testimonials", `{"title":"Praise","items":[{"quote":"Lovely.","author":"Ann","role":"Chef"},{"quote":"Good.","author":"Bob","role":"Client"}]}`,
			[]string{`<figure><blockquote><p>Lovely.</p></blockquote><figcaption>Ann, Chef</figcaption></figure>`}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			b, err := specs()[tt.typ].decode(tt.answer, "fake")
			if err != nil {
				t.Fatal(err)
			}
			h, err := renderHTML(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(h, w) {
					t.Errorf("got %s, want it to contain %s", h, w)
				}
			}
		})
	}
}

func TestMarkdownEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"**bold** _it_", `\*\*bold\*\* \_it\_`},
		{"[x](javascript:alert(1))", `\[x\](javascript:alert(1))`},
		{"<b>&amp;</b>", `\<b\>\&amp;\</b\>`},
		{"# not a heading", `\# not a heading`},
		{"- not a list", `\- not a list`},
		{"+ not a list", `\+ not a list`},
		{"1. not a list", `1\. not a list`},
		{"12) not a list", `12\) not a list`},
		{"a | b ~ c `d`", "a \\| b \\~ c \\`d\\`"},
		{"two\nlines", "two lines"},
		{`back\slash`, `back\\slash`},
	}
	for _, tt := range tests {
		if got := md(tt.in); got != tt.want {
			t.Errorf("md(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	// Rendered, each is the text it was (as one paragraph).
	for _, tt := range tests {
		got := markdownHTML(t, md(tt.in))
		want := "<p>" + xhtmlEscape(strings.Join(strings.Fields(tt.in), " ")) + "</p>\n"
		if got != want {
			t.Errorf("rendered md(%q): got %q, want %q", tt.in, got, want)
		}
	}
}

// xhtmlEscape escapes like goldmark does for text.
func xhtmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}

func TestPageHTML(t *testing.T) {
	a, _ := specs()["hero"].decode(validHero, "fake")
	ha, _ := renderHTML(a)
	page := pageHTML([]string{ha, `<section class="cd-block cd-cta"><script>alert(1)</script><h2 onclick="x">Hi</h2></section>`})
	checkHTML(t, "page", page)
	if !strings.Contains(page, "<h1>Fresh bread every morning</h1>") || !strings.Contains(page, "<h2>Hi</h2>") {
		t.Errorf("got page %s", page)
	}
}
