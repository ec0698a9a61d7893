package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/html"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

// eventData decodes an event's data.
func eventData(tb testing.TB, ev sseEvent, v any) {
	tb.Helper()
	if err := json.Unmarshal([]byte(ev.Data), v); err != nil {
		tb.Fatalf("event %d %s: %v: %s", ev.ID, ev.Type, err, ev.Data)
	}
}

// eventsOf returns the events of one type, in order.
func eventsOf(evs []sseEvent, typ string) []sseEvent {
	var out []sseEvent
	for _, ev := range evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// MustJob reads a finished job's result.
func MustJob(tb testing.TB, base, key, jobID string, result any) string {
	tb.Helper()
	r := call(tb, base, "GET", "/v1/jobs/"+jobID, key, nil)
	MustStatus(tb, r, 200, "get job")
	var j struct {
		Status string          `json:"status"`
		Result json.RawMessage `json:"result"`
	}
	r.json(tb, &j)
	if result != nil && len(j.Result) > 0 {
		if err := json.Unmarshal(j.Result, result); err != nil {
			tb.Fatalf("job result: %v: %s", err, j.Result)
		}
	}
	return j.Status
}

type accepted struct {
	Status    string `json:"status"`
	JobID     string `json:"job_id"`
	StreamURL string `json:"stream_url"`
}

// hostileHero is a model answer for a hero block that tries every trick.
const hostileHero = `{"headline":"<script>alert(1)</script>Fresh bread","subheadline":"<img src=x onerror=alert(2)>Baked daily \"><svg onload=alert(3)>","cta_label":"Order <b onclick=alert(4)>now</b>","cta_url":"JaVaScRiPt:alert(5)"}`

// TestGenerationOverHTTP generates a 5-block page: 202 at once, every
// block streamed as its own task with validated, rendered output, a hostile
// model answer sanitized everywhere it is shown, and the job's result the
// whole page.
func TestGenerationOverHTTP(t *testing.T) {
	t.Parallel()
	responder := func(r providertest.Request) string {
		if strings.Contains(r.SchemaName, "hero") {
			return hostileHero
		}
		return providertest.DefaultResponder(r)
	}
	models, fake := MustFakeModels(t, providertest.Options{Responder: responder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base, key := m.HTTP.URL(), MustAdminKey(t, m)

	blocks := []string{"hero", "features", "testimonials", "faq", "cta"}
	body := map[string]any{
		"business": map[string]any{"name": "Bakkerij Jansen", "industry": "bakery", "audience": "families in Utrecht",
			"tone": "friendly", "language": "en", "keywords": []string{"fresh bread", "sourdough"}},
		"blocks": blocks, "instructions": "Mention the Saturday market.",
	}
	r := call(t, base, "POST", "/v1/generations", key, body)
	MustStatus(t, r, 202, "generation")
	var acc accepted
	r.json(t, &acc)
	if acc.StreamURL == "" || r.Header.Get("Location") == "" {
		t.Fatalf("202 without stream URL or Location: %s", r.Body)
	}
	evs := MustReadToDoneAs(t, base+acc.StreamURL, key)
	results := eventsOf(evs, copydesk.EventTaskResult)
	if len(results) != len(blocks) {
		t.Fatalf("got %d task.result events, want %d: %v", len(results), len(blocks), evs)
	}
	if n := len(eventsOf(evs, copydesk.EventDelta)); n < len(blocks) {
		t.Errorf("got %d delta events, want at least one per block", n)
	}
	seen := map[string]bool{}
	for _, ev := range results {
		var d struct {
			Type      string          `json:"type"`
			Index     int             `json:"index"`
			Block     json.RawMessage `json:"block"`
			HTML      string          `json:"html"`
			Markdown  string          `json:"markdown"`
			Simulated bool            `json:"simulated"`
		}
		eventData(t, ev, &d)
		seen[d.Type] = true
		if len(d.Block) < 2 || d.HTML == "" || d.Markdown == "" {
			t.Errorf("block %d %s: missing block, html or markdown: %s", d.Index, d.Type, ev.Data)
		}
		for _, text := range []string{string(d.Block), d.HTML, d.Markdown} {
			MustBeHarmless(t, d.Type, text)
		}
		if d.Type == "hero" && !strings.Contains(d.HTML, "Fresh bread") {
			t.Errorf("hero lost its text while sanitized: %s", d.HTML)
		}
	}
	for _, b := range blocks {
		if !seen[b] {
			t.Errorf("no result for block %s", b)
		}
	}
	var page struct {
		Blocks []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"blocks"`
		HTML     string `json:"html"`
		Markdown string `json:"markdown"`
	}
	if s := MustJob(t, base, key, acc.JobID, &page); s != "succeeded" {
		t.Fatalf("job status %q, want succeeded", s)
	}
	if len(page.Blocks) != len(blocks) {
		t.Fatalf("page has %d blocks, want %d", len(page.Blocks), len(blocks))
	}
	for i, b := range page.Blocks {
		if b.Type != blocks[i] || b.Status != "succeeded" {
			t.Errorf("page block %d: got %s %s, want %s succeeded", i, b.Type, b.Status, blocks[i])
		}
	}
	MustBeHarmless(t, "page", page.HTML)
	MustBeHarmless(t, "page markdown", page.Markdown)
	if !strings.Contains(page.HTML, "<h1") {
		t.Errorf("page HTML has no h1 (the hero's headline): %.300s", page.HTML)
	}

	// The same page again is served from the cache: no provider call.
	calls := fake.Calls()
	r = call(t, base, "POST", "/v1/generations", key, body)
	MustStatus(t, r, 202, "generation again")
	r.json(t, &acc)
	evs = MustReadToDoneAs(t, base+acc.StreamURL, key)
	if got := len(eventsOf(evs, copydesk.EventTaskResult)); got != len(blocks) {
		t.Errorf("repeat: got %d task.result events, want %d", got, len(blocks))
	}
	if got := fake.Calls() - calls; got != 0 {
		t.Errorf("repeat of an identical page made %d provider calls, want 0", got)
	}
}

// MustBeHarmless fails if text carries markup that could run script.
func MustBeHarmless(tb testing.TB, what, text string) {
	tb.Helper()
	lower := strings.ToLower(text)
	for _, bad := range []string{"<script", "javascript:", "onerror", "onload", "onclick", "<svg", "<img src=x"} {
		if strings.Contains(lower, bad) {
			tb.Errorf("%s carries %q: %.400s", what, bad, text)
		}
	}
}

// TestGenerationInvalidAnswer: a block whose answers do not match its
// schema is retried, then fails visibly; the other blocks still arrive
// (partial) and nothing invalid is cached.
func TestGenerationInvalidAnswer(t *testing.T) {
	t.Parallel()
	var faqCalls atomic.Int32
	responder := func(r providertest.Request) string {
		if strings.Contains(r.SchemaName, "faq") {
			faqCalls.Add(1)
			return `{"title":"FAQ","items":"not a list"}`
		}
		return providertest.DefaultResponder(r)
	}
	models, _ := MustFakeModels(t, providertest.Options{Responder: responder})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base, key := m.HTTP.URL(), MustAdminKey(t, m)
	body := map[string]any{"business": map[string]any{"name": "Acme"}, "blocks": []string{"hero", "faq"}}
	r := call(t, base, "POST", "/v1/generations", key, body)
	MustStatus(t, r, 202, "generation")
	var acc accepted
	r.json(t, &acc)
	evs := MustReadToDoneAs(t, base+acc.StreamURL, key)
	failed := eventsOf(evs, copydesk.EventTaskFailed)
	if len(failed) != 1 {
		t.Fatalf("got %d task.failed events, want 1 (faq): %v", len(failed), evs)
	}
	var f struct {
		Code string `json:"code"`
	}
	eventData(t, failed[0], &f)
	if f.Code != "provider_invalid" {
		t.Errorf("failed block code %q, want provider_invalid", f.Code)
	}
	if n := faqCalls.Load(); n < 2 {
		t.Errorf("the invalid faq answer was asked %d times, want a retry (at least 2)", n)
	}
	if s := MustJob(t, base, key, acc.JobID, nil); s != "partial" {
		t.Errorf("job status %q, want partial", s)
	}
	// Asking again calls the model again: the invalid answer was not cached.
	before := faqCalls.Load()
	r = call(t, base, "POST", "/v1/generations", key, body)
	MustStatus(t, r, 202, "generation again")
	r.json(t, &acc)
	MustReadToDoneAs(t, base+acc.StreamURL, key)
	if faqCalls.Load() == before {
		t.Error("the second request made no faq call: an invalid answer was cached")
	}
}

// TestModelTasksWithoutProvider: with no provider, local analysis works
// and every model task answers 503 no_provider naming the settings.
func TestModelTasksWithoutProvider(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	base, key := m.HTTP.URL(), MustAdminKey(t, m)
	MustStatus(t, call(t, base, "POST", "/v1/analyses", key, map[string]any{"content": dutchText, "language": "nl"}), 200, "local analysis")
	for _, tc := range []struct {
		path string
		body any
	}{
		{"/v1/analyses", map[string]any{"content": dutchText, "language": "nl", "deep": []string{"grammar"}}},
		{"/v1/generations", map[string]any{"business": map[string]any{"name": "Acme"}}},
		{"/v1/translations", map[string]any{"content": "Hallo wereld.", "source_language": "nl", "target_languages": []string{"en"}}},
		{"/v1/seo/suggestions", map[string]any{"content": "Vers brood elke ochtend.", "language": "nl"}},
	} {
		r := call(t, base, "POST", tc.path, key, tc.body)
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		r.json(t, &e)
		if r.Status != 503 || e.Error.Code != copydesk.ENOPROVIDER {
			t.Errorf("%s: got %d %s, want 503 no_provider", tc.path, r.Status, r.Body)
		}
		for _, setting := range []string{"OPENAI_API_KEY", "--simulate"} {
			if !strings.Contains(e.Error.Message, setting) {
				t.Errorf("%s: message %q does not name %s", tc.path, e.Error.Message, setting)
			}
		}
	}
}

// page is an HTML page with markup, attributes, URLs, a number and
// glossary terms.
const trPage = `<h1>Fresh bread from Copydesk Bakery</h1>
<p>Our <a href="https://example.com/bread?x=1&amp;y=2" title="Bread">bakery</a> opens at 7 and sells <strong>42 loaves</strong> a day.</p>
<ul><li>Sourdough with <em>rye</em></li><li>Croissants, baked in the bakery</li></ul>
<p><img src="/img/oven.jpg" alt="The oven"> Order online at {shop_url}.</p>`

// tagShape is the sequence of start and end tags with their attributes:
// a translation must keep it exactly.
func tagShape(tb testing.TB, doc string) []string {
	tb.Helper()
	z := html.NewTokenizer(strings.NewReader(doc))
	var out []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				tb.Fatal(z.Err())
			}
			return out
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			s := tt.String() + " " + tok.Data
			for _, a := range tok.Attr {
				if a.Key == "alt" || a.Key == "title" {
					continue // translatable attributes
				}
				s += fmt.Sprintf(" %s=%q", a.Key, a.Val)
			}
			out = append(out, s)
		}
	}
}

// TestTranslationOverHTTP translates an HTML page into the 7 default
// languages in one job: markup, URLs, placeholders and numbers kept, the
// glossary respected and checked; a repeat is answered inline from the
// translation memory; an edited paragraph retranslates one segment.
func TestTranslationOverHTTP(t *testing.T) {
	t.Parallel()
	// A translator that ignores the glossary's forced translations (the
	// simulated one applies them), so that the check after the fact has
	// something to find.
	careless := func(r providertest.Request) string {
		if r.SchemaName != providertest.TranslationSchemaName {
			return providertest.DefaultResponder(r)
		}
		p := providertest.ParseTranslationPrompt(r.Prompt)
		return providertest.TranslationAnswer(p.Segments, func(s providertest.PromptSegment) string { return "[" + p.Target + "] " + s.Text })
	}
	models, fake := MustFakeModels(t, providertest.Options{Responder: careless})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base, key := m.HTTP.URL(), MustAdminKey(t, m)

	glossary := map[string]any{"terms": []any{
		map[string]any{"term": "Copydesk", "do_not_translate": true},
		map[string]any{"term": "bakery", "translations": map[string]string{"nl": "bakkerij"}},
	}}
	MustStatus(t, call(t, base, "PUT", "/v1/glossary", key, glossary), 200, "put glossary")
	r := call(t, base, "GET", "/v1/glossary", key, nil)
	MustStatus(t, r, 200, "get glossary")
	if !bytes.Contains(r.Body, []byte("bakkerij")) {
		t.Errorf("glossary not stored: %s", r.Body)
	}

	req := map[string]any{"content": trPage, "format": "html", "source_language": "en"}
	r = call(t, base, "POST", "/v1/translations", key, req)
	MustStatus(t, r, 202, "translation")
	var acc struct {
		accepted
		Languages []string `json:"languages"`
	}
	r.json(t, &acc)
	want := []string{"nl", "de", "fr", "es", "it", "pt"}
	if !slices.Equal(sortedCopy(acc.Languages), sortedCopy(want)) {
		t.Fatalf("languages %v, want every default language but the source: %v", acc.Languages, want)
	}
	evs := MustReadToDoneAs(t, base+acc.StreamURL, key)
	results := eventsOf(evs, copydesk.EventTaskResult)
	if len(results) != len(want) {
		t.Fatalf("got %d task.result events, want one per language (%d)", len(results), len(want))
	}
	// Segments stream in before each language's result.
	streamed := map[string]map[int]bool{}
	resultSeen := map[string]bool{}
	for _, ev := range evs {
		var d struct {
			Language string `json:"language"`
			Segments []struct {
				Index int    `json:"index"`
				Text  string `json:"text"`
				From  string `json:"from"`
			} `json:"segments"`
		}
		switch ev.Type {
		case "task.segments":
			eventData(t, ev, &d)
			if resultSeen[d.Language] {
				t.Errorf("%s: segments after the language's result", d.Language)
			}
			if streamed[d.Language] == nil {
				streamed[d.Language] = map[int]bool{}
			}
			for _, sg := range d.Segments {
				if sg.Text == "" || sg.From != "model" {
					t.Errorf("%s: streamed segment %+v, want translated text from the model", d.Language, sg)
				}
				streamed[d.Language][sg.Index] = true
			}
		case copydesk.EventTaskResult:
			eventData(t, ev, &d)
			resultSeen[d.Language] = true
			if n := len(streamed[d.Language]); n != len(d.Segments) {
				t.Errorf("%s: %d of %d segments streamed before the result", d.Language, n, len(d.Segments))
			}
		}
	}
	shape := tagShape(t, trPage)
	for _, ev := range results {
		var d struct {
			Language  string `json:"language"`
			Content   string `json:"content"`
			Simulated bool   `json:"simulated"`
			Checks    []struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"checks"`
		}
		eventData(t, ev, &d)
		if got := tagShape(t, d.Content); !slices.Equal(got, shape) {
			t.Errorf("%s: markup changed:\n got %v\nwant %v", d.Language, got, shape)
		}
		for _, keep := range []string{"Copydesk", "{shop_url}", "42", "7", `href="https://example.com/bread?x=1&amp;y=2"`} {
			if !strings.Contains(d.Content, keep) {
				t.Errorf("%s: %q lost: %s", d.Language, keep, d.Content)
			}
		}
		// The careless translator kept "bakery": the forced Dutch
		// translation is missing, and the check says so; other languages
		// have no forced translation.
		var glossaryChecks int
		for _, c := range d.Checks {
			if strings.HasPrefix(c.Code, "glossary") {
				glossaryChecks++
			}
		}
		if d.Language == "nl" && glossaryChecks == 0 {
			t.Errorf("nl: the missing forced translation of \"bakery\" was not reported: %+v", d.Checks)
		}
		if d.Language != "nl" && glossaryChecks != 0 {
			t.Errorf("%s: unexpected glossary checks %+v", d.Language, d.Checks)
		}
	}
	// The first run batched the segments: one call per language for a page
	// this small.
	if got := fake.Calls(); got != len(want) {
		t.Errorf("first translation made %d provider calls, want %d (one batch per language)", got, len(want))
	}

	// The same page again: answered inline from the memory.
	r = call(t, base, "POST", "/v1/translations", key, req)
	MustStatus(t, r, 200, "repeat translation")
	var done struct {
		Status       string `json:"status"`
		Translations map[string]struct {
			Content string `json:"content"`
		} `json:"translations"`
	}
	r.json(t, &done)
	if done.Status != "complete" || len(done.Translations) != len(want) {
		t.Errorf("repeat: got status %q with %d languages, want complete with %d", done.Status, len(done.Translations), len(want))
	}
	if got := fake.Calls(); got != len(want) {
		t.Errorf("repeat made %d more provider calls, want 0", got-len(want))
	}

	// One paragraph edited, into one language: one segment is sent.
	edited := strings.Replace(trPage, "Croissants, baked in the bakery", "Croissants and pains au chocolat, baked in the bakery", 1)
	fake.Reset()
	r = call(t, base, "POST", "/v1/translations", key, map[string]any{"content": edited, "format": "html", "source_language": "en", "target_languages": []string{"de"}})
	MustStatus(t, r, 202, "edited translation")
	r.json(t, &acc)
	evs = MustReadToDoneAs(t, base+acc.StreamURL, key)
	if fake.Calls() != 1 {
		t.Fatalf("edited page made %d provider calls, want 1", fake.Calls())
	}
	last, _ := fake.LastRequest()
	if n := strings.Count(last.Prompt, "\n["); n != 1 || !strings.Contains(last.Prompt, "pains au chocolat") {
		t.Errorf("edited page sent %d segments, want only the edited one: %s", n, last.Prompt)
	}
	var res struct {
		Reused     int `json:"reused"`
		Translated int `json:"translated"`
	}
	eventData(t, eventsOf(evs, copydesk.EventTaskResult)[0], &res)
	if res.Translated != 1 || res.Reused == 0 {
		t.Errorf("edited page: translated %d, reused %d; want 1 translated, the rest reused", res.Translated, res.Reused)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// TestTranslationMemoryTMX exports a customer's memory as TMX, imports it
// into another customer, whose export then holds the same entries and
// whose translation of the same content needs no model.
func TestTranslationMemoryTMX(t *testing.T) {
	t.Parallel()
	models, fake := MustFakeModels(t, providertest.Options{})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base, admin := m.HTTP.URL(), MustAdminKey(t, m)
	a := MustTenant(t, base, admin, "", copydesk.RoleClient, "owner@a.example")
	b := MustTenant(t, base, admin, "", copydesk.RoleClient, "owner@b.example")

	content := "Fresh bread every morning.\n\nOur ovens start at 5 o'clock."
	req := map[string]any{"content": content, "source_language": "en", "target_languages": []string{"nl", "de"}}
	r := call(t, base, "POST", "/v1/translations", a.Key, req)
	MustStatus(t, r, 202, "translation of A")
	var acc accepted
	r.json(t, &acc)
	MustReadToDoneAs(t, base+acc.StreamURL, a.Key)

	exportA := do(t, "GET", base+"/v1/translation-memory", "", nil, "Authorization", "Bearer "+a.Key)
	MustStatus(t, exportA, 200, "export A")
	if ct := exportA.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-tmx+xml") {
		t.Errorf("export content type %q", ct)
	}
	if n, v := bytes.Count(exportA.Body, []byte("<tu ")), bytes.Count(exportA.Body, []byte("<tuv ")); n != 2 || v != 6 {
		t.Errorf("export of A has %d translation units with %d variants, want 2 segments in en, nl and de: %s", n, v, exportA.Body)
	}
	// B's memory is empty and B cannot read A's.
	if r := do(t, "GET", base+"/v1/translation-memory", "", nil, "Authorization", "Bearer "+b.Key); bytes.Contains(r.Body, []byte("<tu ")) {
		t.Errorf("B's export holds entries before any import: %s", r.Body)
	}
	MustStatus(t, do(t, "GET", base+"/v1/translation-memory?customer_id="+a.CustomerID, "", nil, "Authorization", "Bearer "+b.Key), 404, "B reads A's memory")

	imp := do(t, "POST", base+"/v1/translation-memory", "application/x-tmx+xml", exportA.Body, "Authorization", "Bearer "+b.Key)
	MustStatus(t, imp, 200, "import into B")
	var ir struct {
		Entries int `json:"entries"`
	}
	imp.json(t, &ir)
	if ir.Entries != 4 {
		t.Errorf("imported %d entries, want 4: %s", ir.Entries, imp.Body)
	}
	exportB := do(t, "GET", base+"/v1/translation-memory", "", nil, "Authorization", "Bearer "+b.Key)
	MustStatus(t, exportB, 200, "export B")
	if got, want := tuSet(t, exportB.Body), tuSet(t, exportA.Body); !slices.Equal(got, want) {
		t.Errorf("round trip changed the memory:\n got %v\nwant %v", got, want)
	}
	calls := fake.Calls()
	r = call(t, base, "POST", "/v1/translations", b.Key, req)
	MustStatus(t, r, 200, "B translates from the imported memory")
	if fake.Calls() != calls {
		t.Errorf("B's translation after import made %d provider calls, want 0", fake.Calls()-calls)
	}

	// Deleting the memory also forgets the cached segments: the same
	// content needs the model again.
	del := call(t, base, "DELETE", "/v1/translation-memory", b.Key, nil)
	MustStatus(t, del, 200, "delete B's memory")
	if !bytes.Contains(del.Body, []byte(`"deleted":4`)) {
		t.Errorf("delete: got %s, want 4 entries deleted", del.Body)
	}
	r = call(t, base, "POST", "/v1/translations", b.Key, req)
	MustStatus(t, r, 202, "B translates after deleting its memory")
	r.json(t, &acc)
	MustReadToDoneAs(t, base+acc.StreamURL, b.Key)

	// Malformed TMX: 400, nothing stored.
	bad := do(t, "POST", base+"/v1/translation-memory", "application/x-tmx+xml", []byte("<tmx><body><tu><tuv xml:lang=\"en\"><seg>x"), "Authorization", "Bearer "+b.Key)
	if bad.Status != 400 {
		t.Errorf("malformed TMX: got %d, want 400: %s", bad.Status, bad.Body)
	}
}

// tuSet returns the translation units of a TMX file as sorted
// "lang=text|lang=text" strings, without dates.
func tuSet(tb testing.TB, tmx []byte) []string {
	tb.Helper()
	var doc struct {
		TUs []struct {
			TUVs []struct {
				Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
				Seg  struct {
					Inner string `xml:",innerxml"`
				} `xml:"seg"`
			} `xml:"tuv"`
		} `xml:"body>tu"`
	}
	if err := xml.Unmarshal(tmx, &doc); err != nil {
		tb.Fatalf("TMX: %v", err)
	}
	var out []string
	for _, tu := range doc.TUs {
		var parts []string
		for _, v := range tu.TUVs {
			parts = append(parts, v.Lang+"="+v.Seg.Inner)
		}
		slices.Sort(parts)
		out = append(out, strings.Join(parts, "|"))
	}
	slices.Sort(out)
	return out
}

// TestSEOSuggestionsOverHTTP: the current local SEO result inline, then
// suggestions each re-scored by the local engine.
func TestSEOSuggestionsOverHTTP(t *testing.T) {
	t.Parallel()
	answer := `{"titles":["Fresh bread in Utrecht | Bakkerij Jansen","Bread","Fresh bread baked every morning by the friendly bakers of Bakkerij Jansen in the heart of Utrecht's old town"],` +
		`"meta_descriptions":["Fresh bread every morning: sourdough, rye and croissants from Bakkerij Jansen in Utrecht. Order online before 10 pm and collect at 7 am."],` +
		`"headings":[{"level":2,"text":"Why our fresh bread tastes better"}],"keyphrases":["fresh bread utrecht"]}`
	models, _ := MustFakeModels(t, providertest.Options{Responder: func(providertest.Request) string { return answer }})
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base, key := m.HTTP.URL(), MustAdminKey(t, m)
	r := call(t, base, "POST", "/v1/seo/suggestions", key, map[string]any{
		"content": "<h1>Our bakery</h1><p>We bake fresh bread every morning in Utrecht.</p>", "format": "html",
		"language": "en", "keyphrase": "fresh bread", "title": "Home",
	})
	MustStatus(t, r, 202, "suggestions")
	var acc struct {
		accepted
		Current struct {
			Type  string `json:"type"`
			Score int    `json:"score"`
		} `json:"current"`
	}
	r.json(t, &acc)
	if acc.Current.Type != "seo" {
		t.Errorf("current: got type %q, want the local seo result", acc.Current.Type)
	}
	MustReadToDoneAs(t, base+acc.StreamURL, key)
	var res struct {
		Titles []struct {
			Text  string `json:"text"`
			Score int    `json:"score"`
		} `json:"titles"`
		MetaDescriptions []json.RawMessage `json:"meta_descriptions"`
	}
	if s := MustJob(t, base, key, acc.JobID, &res); s != "succeeded" {
		t.Fatalf("job status %q", s)
	}
	if len(res.Titles) != 3 || len(res.MetaDescriptions) != 1 {
		t.Fatalf("got %d titles and %d meta descriptions, want 3 and 1", len(res.Titles), len(res.MetaDescriptions))
	}
	if res.Titles[0].Text != "Fresh bread in Utrecht | Bakkerij Jansen" {
		t.Errorf("best title %q, want the one within the width band with the keyphrase", res.Titles[0].Text)
	}
	for i := 1; i < len(res.Titles); i++ {
		if res.Titles[i].Score > res.Titles[i-1].Score {
			t.Errorf("titles not sorted best first: %+v", res.Titles)
		}
	}
}

// TestSimulatedContentLabelled runs every model task on the in-process
// simulated provider (serve --simulate): each result says simulated, and
// its texts carry the [simulated] label.
func TestSimulatedContentLabelled(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t, func(m *Main) { m.Config.Simulate = true })
	base, key := m.HTTP.URL(), MustAdminKey(t, m)
	for _, tc := range []struct {
		path string
		body any
	}{
		{"/v1/generations", map[string]any{"business": map[string]any{"name": "Acme"}, "blocks": []string{"hero", "faq"}}},
		{"/v1/translations", map[string]any{"content": "Fresh bread every morning.", "source_language": "en", "target_languages": []string{"nl"}}},
		{"/v1/seo/suggestions", map[string]any{"content": "Fresh bread every morning in our bakery.", "language": "en", "keyphrase": "fresh bread"}},
		{"/v1/analyses", map[string]any{"content": "Fresh bread every morning in our bakery.", "language": "en", "deep": []string{"grammar"}}},
	} {
		r := call(t, base, "POST", tc.path, key, tc.body)
		MustStatus(t, r, 202, tc.path)
		var acc accepted
		r.json(t, &acc)
		evs := MustReadToDoneAs(t, base+acc.StreamURL, key)
		results := eventsOf(evs, copydesk.EventTaskResult)
		if len(results) == 0 {
			t.Fatalf("%s: no task.result: %v", tc.path, evs)
		}
		for _, ev := range results {
			var d struct {
				Simulated bool `json:"simulated"`
			}
			eventData(t, ev, &d)
			if !d.Simulated {
				t.Errorf("%s: result not labelled simulated: %.300s", tc.path, ev.Data)
			}
			if tc.path != "/v1/analyses" && !strings.Contains(ev.Data, "[simulated") {
				t.Errorf("%s: result texts lack the [simulated] label: %.300s", tc.path, ev.Data)
			}
		}
	}
}
