package translation

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
)

// stubModels is a copydesk.ModelService answering translation prompts with
// translate, at cost per call; before runs at the start of every call (n
// counts the calls from 1, per job).
type stubModels struct {
	translate func(lang string, s providertest.PromptSegment) string
	cost      copydesk.Micros
	cached    bool
	before    func(n int)

	mu    sync.Mutex
	calls map[string]int // by job ID
}

func (m *stubModels) Stream(_ context.Context, call copydesk.ModelCall, _ func(string) error) (*copydesk.ModelResult, error) {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	m.calls[call.JobID]++
	n := m.calls[call.JobID]
	m.mu.Unlock()
	if m.before != nil {
		m.before(n)
	}
	p := providertest.ParseTranslationPrompt(call.Request.Messages[0].Content)
	resp := &copydesk.ModelResponse{Model: "stub-1", Text: providertest.TranslationAnswer(p.Segments, func(s providertest.PromptSegment) string {
		return m.translate(p.Target, s)
	})}
	if call.Validate != nil {
		if err := call.Validate(resp); err != nil {
			return nil, err
		}
	}
	return &copydesk.ModelResult{Response: resp, Cached: m.cached,
		Usage: copydesk.UsageRecord{Kind: call.Kind, Provider: "stub", Model: "stub-1", Cost: m.cost, Currency: "EUR"}}, nil
}

func (m *stubModels) callsOf(jobID string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[jobID]
}

// stubEnv is an env whose service and handler use models.
func stubEnv(tb testing.TB, models copydesk.ModelService) *env {
	tb.Helper()
	e := newEnv(tb, true)
	e.svc.Models, e.handler.Models = models, models
	return e
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSegmentationLinear checks that hostile inputs segment in linear
// space: four times the input may allocate about four times as much, not
// sixteen (a literal run built by concatenation did).
func TestSegmentationLinear(t *testing.T) {
	tests := []struct {
		name, format string
		input        func(n int) string
		dnt          []string
	}{
		{"html divs", FormatHTML, func(n int) string { return strings.Repeat("<div>", n) }, nil},
		{"markdown table of code pipes", FormatMarkdown, func(n int) string { return "a|b\n-|-\n" + strings.Repeat("`|", n) }, nil},
		{"text of do-not-translate terms", FormatText, func(n int) string { return strings.Repeat("term001 ", n) }, []string{"term001"}},
		{"html unpaired closes", FormatHTML, func(n int) string { return "<p>x" + strings.Repeat("</b>", n) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 4000
			small := allocated(func() { _, _ = segmentDoc(tt.format, tt.input(n), tt.dnt) })
			large := allocated(func() { _, _ = segmentDoc(tt.format, tt.input(4*n), tt.dnt) })
			if large > 8*small {
				t.Errorf("segmenting 4x the input allocated %d bytes, %.1f times the %d of 1x; want linear (about 4)", large, float64(large)/float64(small), small)
			}
		})
	}
}

// TestSkipRawTextElements checks that the raw text elements are not
// translated.
func TestSkipRawTextElements(t *testing.T) {
	for _, tag := range []string{"xmp", "noembed", "noframes", "plaintext"} {
		t.Run(tag, func(t *testing.T) {
			input := "<p>Hello</p><" + tag + "><b>raw</b> text</" + tag + "><p>Bye</p>"
			if tag == "plaintext" {
				input = "<p>Hello</p><plaintext><b>raw</b> text"
			}
			d, err := segmentDoc(FormatHTML, input, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"Hello", "Bye"}
			if tag == "plaintext" {
				want = want[:1]
			}
			if got := sources(d); !slices.Equal(got, want) {
				t.Errorf("got segments %q, want %q", got, want)
			}
			checkReassembly(t, d, input)
		})
	}
}

// TestMarkdownEscapesTranslation checks that a translation cannot add
// Markdown syntax: HTML, links, table cells, blocks.
func TestMarkdownEscapesTranslation(t *testing.T) {
	tests := []struct {
		name, input, translation, want string
	}{
		{"html", "A paragraph.\n", "Titel <img src=x onerror=alert(1)>", "Titel \\<img src=x onerror=alert(1)>\n"},
		{"link", "A paragraph.\n", "[hier](javascript:alert(1)) <script>x</script>", "[hier\\](javascript:alert(1)) \\<script>x\\</script>\n"},
		{"link reference definition", "A paragraph.\n\nSee [x].\n", "[x]: javascript:alert(1)", "[x\\]: javascript:alert(1)\n\n[x\\]: javascript:alert(1)\n"},
		{"table cell", "| a | b |\n|---|---|\n| c | d |\n", "Cel | extra", "| Cel \\| extra | Cel \\| extra |\n|---|---|\n| Cel \\| extra | Cel \\| extra |\n"},
		{"heading marker", "Text here.\n", "# Kop", "\\# Kop\n"},
		{"indented heading marker", "Text here.\n", "  # Kop", "\\# Kop\n"},
		{"indented code", "Text here.\n", "    code", "code\n"},
		{"thematic break with the list marker", "* Text here.\n", "**", "* \\**\n"},
		{"list marker", "Text here.\n", "- punt", "\\- punt\n"},
		{"ordered list marker", "Text here.\n", "1. punt", "1\\. punt\n"},
		{"fence", "Text here.\n", "```go", "\\```go\n"},
		{"blockquote", "Text here.\n", "> citaat", "\\> citaat\n"},
		{"trailing backslash", "Text here.\n", `pad C:\`, `pad C:\\` + "\n"},
		{"escapes and emphasis kept", "Text *here*.\n", `Tekst \* *hier* [1] en a]b`, `Tekst \* *hier* [1] en a]b` + "\n"},
		{"line breaks", "Text here.\n", "Titel\n\n# Kop", "Titel # Kop\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := segmentDoc(FormatMarkdown, tt.input, nil)
			if err != nil {
				t.Fatal(err)
			}
			texts := make([]string, len(d.segs))
			for i := range texts {
				texts[i] = tt.translation
			}
			if got := d.render(texts); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestHostileAnswerMarkdown runs a job whose model answers with line
// breaks and HTML, and serves a memory import with a line break: neither
// reaches the Markdown output raw.
func TestHostileAnswerMarkdown(t *testing.T) {
	models := &stubModels{cost: 1000, translate: func(_ string, s providertest.PromptSegment) string {
		return "Titel\n\n<img src=x onerror=alert(1)>"
	}}
	e := stubEnv(t, models)
	_, res, _ := e.MustTranslate(t, &Request{Content: "A paragraph.\n", Format: FormatMarkdown, SourceLanguage: "en", TargetLanguages: []string{"nl"}})
	if got, want := res.Translations["nl"].Content, "Titel \\<img src=x onerror=alert(1)>\n"; got != want {
		t.Errorf("model answer: got %q, want %q", got, want)
	}
	if err := e.store.PutTM(context.Background(), []copydesk.TMEntry{{CustomerID: "cust-1", SourceLang: "en", TargetLang: "de",
		Source: "Imported.", Target: "Importiert\n\n<script>alert(1)</script>", Origin: copydesk.TMOriginImport}}); err != nil {
		t.Fatal(err)
	}
	resp, _, _ := e.MustTranslate(t, &Request{Content: "Imported.\n", Format: FormatMarkdown, SourceLanguage: "en", TargetLanguages: []string{"de"}})
	if resp.Status != "complete" {
		t.Fatalf("status: got %s, want complete", resp.Status)
	}
	if got, want := resp.Translations["de"].Content, "Importiert \\<script>alert(1)\\</script>\n"; got != want {
		t.Errorf("memory import: got %q, want %q", got, want)
	}
}

func TestDecodeTranslationsFoldsAndCaps(t *testing.T) {
	answer := func(text string) string {
		b, _ := json.Marshal(map[string]any{"translations": []map[string]any{{"n": 1, "text": text}}})
		return string(b)
	}
	got, err := decodeTranslations(answer("Titel \r\n\n  Tekst\nmeer"), []string{"Title"})
	if err != nil || len(got) != 1 || got[0] != "Titel Tekst meer" {
		t.Errorf("got %q, %v, want [\"Titel Tekst meer\"]", got, err)
	}
	for name, text := range map[string]string{"over MaxTMText": strings.Repeat("a", copydesk.MaxTMText+1), "NUL": "a\x00b"} {
		if _, err := decodeTranslations(answer(text), []string{"Title"}); copydesk.FailureCode(err) != "provider_invalid" {
			t.Errorf("%s: got error %v, want provider_invalid", name, err)
		}
	}
}

// TestRefusedBeforePaying checks that content the memory cannot keep is
// refused before any model call.
func TestRefusedBeforePaying(t *testing.T) {
	tests := []struct {
		name, content, format, code, msg string
	}{
		{"NUL", "Hello\x00world", FormatText, copydesk.EUNPROCESSABLE, "NUL"},
		{"long paragraph", "Short one.\n\n" + strings.Repeat("word ", MaxSegment/5+10), FormatText, copydesk.ETOOLARGE, "segment 2"},
		{"long html cell", "<p>ok</p><td>" + strings.Repeat("word ", MaxSegment/5+10) + "</td>", FormatHTML, copydesk.ETOOLARGE, "segment 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, true)
			_, err := e.svc.Translate(context.Background(), &Request{Content: tt.content, Format: tt.format, SourceLanguage: "en", TargetLanguages: []string{"nl"}}, "cust-1", "user-1")
			if copydesk.ErrorCode(err) != tt.code || !strings.Contains(copydesk.ErrorMessage(err), tt.msg) {
				t.Errorf("got %v, want %s naming %q", err, tt.code, tt.msg)
			}
			if len(e.jobs.jobs) != 0 || e.fake.Calls() != 0 {
				t.Errorf("got %d jobs and %d calls, want none", len(e.jobs.jobs), e.fake.Calls())
			}
		})
	}
}

// TestCancelStopsBatches cancels a job during its first model call: the
// batches already running finish, no other one starts.
func TestCancelStopsBatches(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	models := &stubModels{cost: 1000, translate: func(_ string, s providertest.PromptSegment) string { return "Vertaald " + s.Text }}
	models.before = func(n int) {
		if n == 1 {
			cancel()
		}
		<-release
	}
	e := stubEnv(t, models)
	// Twelve paragraphs of 5,000 bytes: twelve batches.
	var paras []string
	for i := range 12 {
		paras = append(paras, fmt.Sprintf("Paragraph %d %s", i, strings.Repeat("text ", 1000)))
	}
	content := strings.Join(paras, "\n\n")
	resp, err := e.svc.Translate(ctx, &Request{Content: content, SourceLanguage: "en", TargetLanguages: []string{"nl"}}, "cust-1", "user-1")
	if err != nil {
		t.Fatal(err)
	}
	job := e.jobs.jobs[0]
	job.ID = resp.JobID
	rec := &recorder{}
	if _, _, err := e.handler.RunJob(ctx, job, rec.Emit); err == nil {
		t.Fatal("got no error from a cancelled job")
	}
	if n := len(rec.Of(copydesk.EventTaskFailed)); n != 0 {
		t.Errorf("got %d task.failed events for an interrupted job, want 0", n)
	}
	close(release)
	// A second run of the same page joins the first run's computation and
	// so returns after it ended.
	again := *job
	again.ID = "job-again"
	_, _, _ = e.handler.RunJob(context.Background(), &again, (&recorder{}).Emit)
	if got := models.callsOf(job.ID); got > BatchParallel {
		t.Errorf("the cancelled job made %d model calls, want at most %d (those running when it was cancelled)", got, BatchParallel)
	}
}

// TestGlossaryCase checks that a forced translation applies whatever the
// case of the term in the content.
func TestGlossaryCase(t *testing.T) {
	e := newEnv(t, true)
	glossary := []copydesk.GlossaryTerm{{Term: "dashboard", Translations: map[string]string{"nl": "overzicht"}}}
	_, res, _ := e.MustTranslate(t, &Request{Content: "Dashboard is new.", SourceLanguage: "en", TargetLanguages: []string{"nl"}, Glossary: glossary})
	r, _ := e.fake.LastRequest()
	if !strings.Contains(r.Prompt, "- dashboard => overzicht") {
		t.Errorf("the forced term is not in the prompt: %s", r.Prompt)
	}
	nl := res.Translations["nl"]
	if !strings.Contains(strings.ToLower(nl.Content), "overzicht") {
		if len(nl.Checks) != 1 || nl.Checks[0].Code != CheckGlossaryMissing {
			t.Errorf("got %q with checks %v, want a glossary_missing check", nl.Content, nl.Checks)
		}
	}
	d, _ := segmentDoc(FormatText, "Dashboard is new.", nil)
	w := &work{glossary: glossary, doc: d}
	if got := checkSegment(0, d.segs[0], "Dashboard is nieuw.", "nl", glossary, w.forced(0)); len(got) != 1 || got[0].Code != CheckGlossaryMissing {
		t.Errorf("got checks %v, want one glossary_missing", got)
	}
}

// TestImportRespectsGlossary checks that an imported entry (context "")
// that breaks the glossary is not served.
func TestImportRespectsGlossary(t *testing.T) {
	glossary := []copydesk.GlossaryTerm{{Term: "dashboard", Translations: map[string]string{"nl": "overzicht"}}}
	for _, tt := range []struct {
		target, status string
	}{
		{"Het dashboard is nieuw.", "pending"},
		{"Het overzicht is nieuw.", "complete"},
	} {
		t.Run(tt.target, func(t *testing.T) {
			e := newEnv(t, true)
			if err := e.store.PutTM(context.Background(), []copydesk.TMEntry{{CustomerID: "cust-1", SourceLang: "en", TargetLang: "nl",
				Source: "The dashboard is new.", Target: tt.target, Origin: copydesk.TMOriginImport}}); err != nil {
				t.Fatal(err)
			}
			resp, err := e.svc.Translate(context.Background(), &Request{Content: "The dashboard is new.", SourceLanguage: "en", TargetLanguages: []string{"nl"}, Glossary: glossary}, "cust-1", "user-1")
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.status {
				t.Errorf("status: got %s, want %s", resp.Status, tt.status)
			}
		})
	}
}

// TestCostAccounting checks that a cached model result costs nothing and
// that the segments' shares of a call add up to its cost.
func TestCostAccounting(t *testing.T) {
	st := &runStats{}
	st.add(&copydesk.ModelResult{Cached: true, Usage: copydesk.UsageRecord{Cost: 1000}, Response: &copydesk.ModelResponse{}})
	if st.cost != 0 || st.calls != 0 {
		t.Errorf("a cached result: got cost %d and %d calls, want 0 and 0", st.cost, st.calls)
	}

	models := &stubModels{cost: 1000, translate: func(_ string, s providertest.PromptSegment) string { return "Vertaald " + s.Text }}
	e := stubEnv(t, models)
	eng, err := newEngine(models, e.store, e.handler.Cache, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := segmentDoc(FormatText, "One.\n\nTwo.\n\nSix.", nil)
	w := &work{customerID: "cust-1", source: "en", doc: d}
	items, _ := eng.items(w, "nl")
	ctx := context.Background()
	_, costs, err := eng.compute(ctx, ctx, w, "nl", items, []int{0, 1, 2}, nil, func([]int, []segValue) error { return nil }, &runStats{})
	if err != nil {
		t.Fatal(err)
	}
	var sum copydesk.Micros
	for _, c := range costs {
		sum += c
	}
	if sum != 1000 {
		t.Errorf("the shares %v add up to %d, want the call's 1000", costs, sum)
	}
}

// tagSequence returns the start, end and self-closing tags of an HTML
// document, by name.
func tagSequence(s string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			n, _ := z.TagName()
			out = append(out, tt.String()+":"+string(n))
		}
	}
}

// FuzzRenderHTML renders a translation that upper-cases every letter of
// every segment: the output has the input's tags, in order.
func FuzzRenderHTML(f *testing.F) {
	for _, s := range []string{"<p>Hi <a href='x'>there</a><br/>you</p>", `<img alt="a cat"><p title="t">x &amp; y</p>`,
		"<p><b><i>x</b></i>", "<script>a<b</script><xmp><b>x</xmp>", "<p>&lt;b&gt; not a tag</p>", "<title>a <b> t</title>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		if !utf8.ValidString(input) {
			return
		}
		d, err := segmentDoc(FormatHTML, input, nil)
		if err != nil {
			t.Fatal(err)
		}
		texts := make([]string, len(d.segs))
		for i, s := range d.segs {
			var b strings.Builder
			for _, tk := range splitPlaceholders(s.Source) {
				if tk.code {
					b.WriteString(tk.text)
				} else {
					b.WriteString(strings.ToUpper(tk.text))
				}
			}
			texts[i] = b.String()
		}
		out := d.render(texts)
		if got, want := tagSequence(out), tagSequence(input); !slices.Equal(got, want) {
			t.Fatalf("tags of the translation:\ngot  %q\nwant %q\noutput %q", got, want, out)
		}
	})
}

// upperTexts returns a translation of every segment of d that upper-cases
// its text and keeps its placeholders.
func upperTexts(d *document) []string {
	texts := make([]string, len(d.segs))
	for i, s := range d.segs {
		var b strings.Builder
		for _, tk := range splitPlaceholders(s.Source) {
			if tk.code {
				b.WriteString(tk.text)
			} else {
				b.WriteString(strings.ToUpper(tk.text))
			}
		}
		texts[i] = b.String()
	}
	return texts
}

// markdownBlocks returns the blocks goldmark reads in s (front matter
// cut), by kind, with each heading's level.
func markdownBlocks(s string) []string {
	s = s[analyze.FrontMatterEnd(s):]
	root := analyze.MarkdownParser().Parse(text.NewReader([]byte(s)))
	var out []string
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Type() != ast.TypeBlock {
			return ast.WalkContinue, nil
		}
		k := n.Kind().String()
		if h, ok := n.(*ast.Heading); ok {
			k += strconv.Itoa(h.Level)
		}
		out = append(out, k)
		return ast.WalkContinue, nil
	})
	return out
}

// FuzzRenderMarkdown renders a translation that upper-cases every letter
// of every segment: goldmark reads the same blocks in the output as in the
// input.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"# T\n\npara [a](b) `c`\n> q\n> r\n\n- x\n- y\n\n| a | b |\n|---|---|\n| c | d |\n",
		"---\nx: 1\n---\n```\ncode\n```\n", "Head\nline\n---\n", "1. a\n   - b\n\n     > c\n     d\n", "| a `|` b | c \\| d |\n|---|:-:|\n| e |\n",
		"<!-- c -->\n# T\n", "text\n2. two\n", "- [x] done\n", "a\\\nb", "# a \\#\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		if !utf8.ValidString(input) || analyze.CheckMarkdown(input) != nil {
			return
		}
		d, err := segmentDoc(FormatMarkdown, input, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := d.render(upperTexts(d))
		if analyze.CheckMarkdown(out) != nil {
			return
		}
		if got, want := markdownBlocks(out), markdownBlocks(input); !slices.Equal(got, want) {
			t.Fatalf("blocks of the translation:\ngot  %q\nwant %q\noutput %q", got, want, out)
		}
	})
}

// FuzzHostileMarkdown translates every segment to the same hostile text
// (followed by the segment's placeholders): whatever the text, goldmark
// reads the same blocks in the output as in the input.
func FuzzHostileMarkdown(f *testing.F) {
	for _, s := range [][2]string{{"# T\n\npara\n> q\n\n- x\n\n| a | b |\n|---|---|\n| c | d |\n", "[x]: /y"},
		{"a\n\nb\n", "# h"}, {"a\n\nb\n", "---"}, {"a\nb\n", "<div>"}, {"0\n0A", " #"}, {"a\n\nb", "    code"}, {"| a |\n|---|\n| b |", "c | d"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, input, text string) {
		if !utf8.ValidString(input) || !utf8.ValidString(text) || strings.TrimSpace(text) == "" || analyze.CheckMarkdown(input) != nil {
			return // a translation that is only space is refused before it is rendered
		}
		d, err := segmentDoc(FormatMarkdown, input, nil)
		if err != nil {
			t.Fatal(err)
		}
		texts := make([]string, len(d.segs))
		for i, s := range d.segs {
			texts[i] = text + strings.Join(placeholders(s.Source), "")
		}
		out := d.render(texts)
		if analyze.CheckMarkdown(out) != nil {
			return
		}
		if got, want := markdownBlocks(out), markdownBlocks(input); !slices.Equal(got, want) {
			t.Fatalf("blocks of the translation:\ngot  %q\nwant %q\noutput %q", got, want, out)
		}
	})
}
