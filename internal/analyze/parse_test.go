package analyze

import (
	"fmt"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/google/go-cmp/cmp"
)

// MustParse parses in or fails the test.
func MustParse(tb testing.TB, in Input) *Doc {
	tb.Helper()
	d, err := Parse(in)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return d
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Input
		code string
		msg  string
	}{
		{"unknown format", Input{Content: "x", Format: "docx"}, copydesk.EINVALID, "unknown format"},
		{"unknown type", Input{Content: "x", Types: []Type{"spelling"}}, copydesk.EINVALID, "unknown analysis type"},
		{"unsupported language", Input{Content: "x", Language: "xx"}, copydesk.EINVALID, "nl, en, de, fr, es, it, pt"},
		{"invalid utf8", Input{Content: "ab\xffcd"}, copydesk.EUNPROCESSABLE, "byte 2"},
		{"markdown nested too deep", Input{Content: "text\n\n" + strings.Repeat("- ", 33) + "x", Format: FormatMarkdown}, copydesk.EUNPROCESSABLE, "33 levels deep"},
		{"markdown quotes nested too deep", Input{Content: strings.Repeat(">", 40), Format: FormatMarkdown}, copydesk.EUNPROCESSABLE, "at most 32"},
		{"markdown unclosed links", Input{Content: strings.Repeat("[a](", 65), Format: FormatMarkdown}, copydesk.EUNPROCESSABLE, "65 unclosed"},
		{"invalid utf8 keyphrase", Input{Content: "ok", Keyphrase: "\xff"}, copydesk.EUNPROCESSABLE, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.in)
			if got := copydesk.ErrorCode(err); got != tt.code {
				t.Fatalf("got code %q, want %q (err %v)", got, tt.code, err)
			}
			if got := copydesk.ErrorMessage(err); !strings.Contains(got, tt.msg) {
				t.Errorf("got message %q, want it to contain %q", got, tt.msg)
			}
		})
	}
}

func TestMarkdownNesting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"plain", 0},
		{"- a\n  - b\n", 1},
		{"> > - 1. x", 4},
		{"1) a\n> b", 1},
		{"-not a list", 0},
		{"12345678901. too long a number", 0},
	}
	for _, tt := range tests {
		if got := markdownNesting(tt.in); got != tt.want {
			t.Errorf("markdownNesting(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
	// 32 levels are fine.
	MustParse(t, Input{Content: strings.Repeat("- ", 32) + "x", Format: FormatMarkdown})

	brackets := []struct {
		in   string
		want int
	}{
		{"no brackets", 0},
		{"[a](b) and (c) [d]", 1},
		{"((a)", 2},
		{"\\[\\[ escaped", 0},
		{"[[\n\n[ a new paragraph", 2},
		{":( sad :( sad\n \n:( again", 2},
	}
	for _, tt := range brackets {
		if got := markdownBrackets(tt.in); got != tt.want {
			t.Errorf("markdownBrackets(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
	// Many paragraphs with a few unclosed parentheses each are fine.
	MustParse(t, Input{Content: strings.Repeat("I am sad :(\n\n", 200), Format: FormatMarkdown})

	refs := []struct {
		in   string
		want int
	}{
		{"no references", 0},
		{"[a]: /x\n[b]: /y\ntext", 2},
		{"[a]:\n/x\n[b]:\n/y\n\n[c]: /z", 2},
		{"> [a]: /x\n>  [b]: /y\n>\n> [c]: /z", 2},
	}
	for _, tt := range refs {
		if got := markdownRefLines(tt.in); got != tt.want {
			t.Errorf("markdownRefLines(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
	// Many definitions separated by blank lines are fine; too many in one
	// paragraph are refused.
	MustParse(t, Input{Content: strings.Repeat("[a]: /x\n\n", 3000) + "Text.", Format: FormatMarkdown})
	_, err := Parse(Input{Content: strings.Repeat("[a]: /x\n", maxMarkdownRefLines+1) + "Text.", Format: FormatMarkdown})
	if copydesk.ErrorCode(err) != copydesk.EUNPROCESSABLE {
		t.Errorf("%d definitions in one paragraph: got error %v, want %s", maxMarkdownRefLines+1, err, copydesk.EUNPROCESSABLE)
	}
}

func TestParseLanguage(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{iNL: "nl", iEN: "en", iDE: "de", iFR: "fr", iES: "es", iIT: "it", iPT: "pt"} {
		if SupportedLanguages[i] != want {
			t.Fatalf("SupportedLanguages[%d] = %q, want %q: the cue indexes are out of order", i, SupportedLanguages[i], want)
		}
	}
	tests := []struct {
		lang, content, want string
	}{
		{"nl-BE", "x", "nl"},
		{"EN", "x", "en"},
		{"pt_BR", "x", "pt"},
		{"auto", "De kat zit op de mat en het is een mooie dag voor een wandeling.", "nl"},
		{"", "The cat sits on the mat and it is a fine day for a walk with the dog.", "en"},
		{"", "Die Katze sitzt auf der Matte und es ist ein schöner Tag für einen Spaziergang.", "de"},
		{"", "Le chat est sur le tapis et c'est une belle journée pour une promenade avec nous.", "fr"},
		{"", "El gato está en la alfombra y es un buen día para un paseo con los niños.", "es"},
		{"", "Il gatto è sul tappeto ed è una bella giornata per una passeggiata con gli amici.", "it"},
		{"", "O gato está no tapete e é um belo dia para um passeio com os amigos.", "pt"},
		{"", "12345", "en"},
		{"", "Über uns", "de"},
		{"", "Niño pequeño", "es"},
		{"", "Coração", "pt"},
		{"", "Leesbaarheid", "nl"},
		{"", "Informazione", "it"},
		{"", "Œuvre complète", "fr"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.want, func(t *testing.T) {
			t.Parallel()
			d := MustParse(t, Input{Content: tt.content, Language: tt.lang})
			if d.Language != tt.want {
				t.Errorf("got %q, want %q", d.Language, tt.want)
			}
		})
	}
}

// blocksOf renders blocks as "kind/level:text" for comparison.
func blocksOf(d *Doc) []string {
	var out []string
	for _, b := range d.Blocks {
		out = append(out, string(b.Kind)+"/"+string(rune('0'+b.Level))+":"+b.Text)
	}
	return out
}

func TestParseHTML(t *testing.T) {
	t.Parallel()
	src := `<!doctype html><html><head><title> Koffie &amp; thee </title>
<meta name="description" content="Alles over  koffie.">
<link rel="canonical" href="https://www.example.nl/koffie">
<style>p { color: red }</style><script>document.write("<p>no</p>")</script></head>
<body><nav><a href="/">Home</a></nav>
<h1>Koffie</h1><p>Koffie is <strong>lekker</strong>. Zie <a href="https://example.nl/thee" rel="nofollow noopener">thee</a> en <a href="https://other.org/x">elders</a>.</p>
<h2>Soorten</h2><ul><li>Arabica<li>Robusta<ol><li>Nested</li></ol></li></ul>
<img src="/k.jpg" alt="Een kop koffie"><img src="/n.jpg">
<noscript><p>Zet JavaScript aan</p></noscript><blockquote>Een citaat.</blockquote>
<table><tr><td>Cel</td></tr></table><pre>code  here</pre><p>caf&eacute;&nbsp;latte<br>nieuw</p><a href="mailto:x@y.z">mail</a></body></html>`
	d := MustParse(t, Input{Content: src, Format: FormatHTML, Language: "nl"})
	checkDoc(t, d)
	want := []string{
		"heading/1:Koffie",
		"paragraph/0:Koffie is lekker. Zie thee en elders.",
		"heading/2:Soorten",
		"list_item/1:Arabica",
		"list_item/1:Robusta",
		"list_item/2:Nested",
		"quote/0:Een citaat.",
		"table_cell/0:Cel",
		"code/0:code  here",
		"paragraph/0:café latte nieuw",
		"paragraph/0:mail",
	}
	if diff := cmp.Diff(want, blocksOf(d)); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	if d.Title != "Koffie & thee" || d.MetaDescription != "Alles over koffie." || d.Canonical != "https://www.example.nl/koffie" {
		t.Errorf("got title %q meta %q canonical %q", d.Title, d.MetaDescription, d.Canonical)
	}
	if d.H1Count != 1 {
		t.Errorf("got H1Count %d, want 1", d.H1Count)
	}
	type link struct {
		Href, Rel, Text string
		Internal        bool
	}
	var links []link
	for _, l := range d.Links {
		links = append(links, link{l.Href, l.Rel, l.Text, l.Internal})
		if !strings.HasPrefix(src[l.Span.Start:l.Span.End], "<a ") || !strings.HasSuffix(src[l.Span.Start:l.Span.End], "</a>") {
			t.Errorf("link span %q is not the element", src[l.Span.Start:l.Span.End])
		}
	}
	wantLinks := []link{
		{"https://example.nl/thee", "nofollow noopener", "thee", true},
		{"https://other.org/x", "", "elders", false},
	}
	if diff := cmp.Diff(wantLinks, links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if len(d.Images) != 2 || d.Images[0].Alt != "Een kop koffie" || d.Images[1].Alt != "" || src[d.Images[0].Span.Start:d.Images[0].Span.End] != `<img src="/k.jpg" alt="Een kop koffie">` {
		t.Errorf("got images %+v", d.Images)
	}
	// The word "café" comes from "caf&eacute;": its span covers the entity.
	last := d.Blocks[len(d.Blocks)-2]
	w := last.Sentences[0].Words[0]
	if got := src[w.Start:w.End]; got != "caf&eacute;" {
		t.Errorf("got word span %q, want %q", got, "caf&eacute;")
	}
}

func TestParseMarkdown(t *testing.T) {
	t.Parallel()
	src := "# Koffie zetten\n\nKoffie is *lekker* en [thee](https://example.org/thee \"Thee\") ook.\nZie ![een kop](/kop.jpg).\n\n## Stappen\n\n1. Water koken\n2. Bonen malen\n   - fijn\n\n> Een citaat &amp; meer.\n\n```go\nfmt.Println(\"x\")\n```\n\nMail <info@example.nl> of `code` \\*nu\\*.\n"
	d := MustParse(t, Input{Content: src, Format: FormatMarkdown, Language: "nl"})
	checkDoc(t, d)
	want := []string{
		"heading/1:Koffie zetten",
		"paragraph/0:Koffie is lekker en thee ook. Zie.",
		"heading/2:Stappen",
		"list_item/1:Water koken",
		"list_item/1:Bonen malen",
		"list_item/2:fijn",
		"quote/0:Een citaat & meer.",
		"code/0:fmt.Println(\"x\")\n",
		"paragraph/0:Mail info@example.nl of code *nu*.",
	}
	if diff := cmp.Diff(want, blocksOf(d)); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	if len(d.Links) != 1 || d.Links[0].Href != "https://example.org/thee" || d.Links[0].Text != "thee" { // mailto: is not a page link
		t.Fatalf("got links %+v", d.Links)
	}
	if got := src[d.Links[0].Span.Start:d.Links[0].Span.End]; got != `[thee](https://example.org/thee "Thee")` {
		t.Errorf("got link span %q", got)
	}
	if len(d.Images) != 1 || d.Images[0].Alt != "een kop" || src[d.Images[0].Span.Start:d.Images[0].Span.End] != "![een kop](/kop.jpg)" {
		t.Errorf("got images %+v", d.Images)
	}
	// Sentence offsets point into the original Markdown.
	s := d.Blocks[1].Sentences[0]
	if got := src[s.Start:s.End]; got != "Koffie is *lekker* en [thee](https://example.org/thee \"Thee\") ook." {
		t.Errorf("got sentence source %q", got)
	}
}

func TestParseText(t *testing.T) {
	t.Parallel()
	src := "Eerste alinea.\nZelfde alinea.\n\n- punt een\n- punt twee\n  loopt door\n1. genummerd\n\nLaatste."
	d := MustParse(t, Input{Content: src, Language: "nl"})
	checkDoc(t, d)
	want := []string{
		"paragraph/0:Eerste alinea. Zelfde alinea.",
		"list_item/1:punt een",
		"list_item/1:punt twee loopt door",
		"list_item/1:genummerd",
		"paragraph/0:Laatste.",
	}
	if diff := cmp.Diff(want, blocksOf(d)); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	if n := len(d.Blocks[0].Sentences); n != 2 {
		t.Errorf("got %d sentences, want 2", n)
	}
}

// TestParseConcurrent runs parses of every format at once; with -race it
// shows the shared read-only tables and the Markdown parser are safe.
func TestParseConcurrent(t *testing.T) {
	t.Parallel()
	inputs := []Input{MustCorpus(t, "en-landing.md"), MustCorpus(t, "nl-recept.md"), MustCorpus(t, "nl-fietsen.html"), {Content: "Plain text. Two sentences."}}
	want := make([]int, len(inputs))
	for i, in := range inputs {
		want[i] = wordCount(MustParse(t, in))
	}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			for i := range 20 {
				k := (g + i) % len(inputs)
				d, err := Parse(inputs[k])
				if err == nil && wordCount(d) != want[k] {
					err = fmt.Errorf("input %d: got %d words, want %d", k, wordCount(d), want[k])
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestParseMarkdownWithHTML(t *testing.T) {
	t.Parallel()
	src := "# Title\n\nSee <a href=\"/docs\" rel=\"nofollow\">the docs</a> and <img src=\"x.png\" alt=\"A chart\">.<br>Next line.\n\n" +
		"<div class=\"note\">\n<h2>Note</h2>\n<p>Inside &amp; HTML.</p>\n</div>\n\n- <b>item</b>\n"
	d := MustParse(t, Input{Content: src, Format: FormatMarkdown, Language: "en"})
	checkDoc(t, d)
	want := []string{
		"heading/1:Title",
		"paragraph/0:See the docs and. Next line.",
		"heading/2:Note",
		"paragraph/0:Inside & HTML.",
		"list_item/1:item",
	}
	if diff := cmp.Diff(want, blocksOf(d)); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	if len(d.Links) != 1 || d.Links[0].Href != "/docs" || d.Links[0].Rel != "nofollow" || d.Links[0].Text != "the docs" ||
		src[d.Links[0].Span.Start:d.Links[0].Span.End] != `<a href="/docs" rel="nofollow">the docs</a>` {
		t.Errorf("got links %+v", d.Links)
	}
	if len(d.Images) != 1 || d.Images[0].Alt != "A chart" || src[d.Images[0].Span.Start:d.Images[0].Span.End] != `<img src="x.png" alt="A chart">` {
		t.Errorf("got images %+v", d.Images)
	}
}

// TestParseMarkdownFrontMatter: YAML and TOML front matter is not read as
// text (goldmark alone would make a YAML block a thematic break and a
// setext heading), and the offsets of what follows still point into the
// input.
func TestParseMarkdownFrontMatter(t *testing.T) {
	for _, fm := range []string{"---\ntitle: Fresh bread\ntags: [bakery]\n---\n", "+++\ntitle = \"Fresh bread\"\n+++\r\n", "---\ntitle: x\n...\n"} {
		in := fm + "# Our bakery\n\nWe bake every morning."
		d := MustParse(t, Input{Content: in, Format: FormatMarkdown})
		if len(d.Blocks) != 2 || d.Blocks[0].Kind != BlockHeading || d.Blocks[0].Text != "Our bakery" || d.Blocks[1].Text != "We bake every morning." {
			t.Errorf("%q: got blocks %+v, want the heading and the paragraph only", fm, d.Blocks)
			continue
		}
		if b := d.Blocks[0]; in[b.Start:b.End] != "Our bakery" {
			t.Errorf("%q: heading offsets %d-%d point at %q", fm, b.Start, b.End, in[b.Start:b.End])
		}
	}
	// Not front matter: a rule that does not open the input, or no closer.
	for _, in := range []string{"Intro.\n\n---\ntitle: x\n---\n", "---\ntitle: never closed\n"} {
		if got := FrontMatterEnd(in); got != 0 {
			t.Errorf("FrontMatterEnd(%q) = %d, want 0", in, got)
		}
	}
}
