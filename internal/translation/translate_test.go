package translation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

const page = `# Welcome to Copydesk

Our editor costs 19.99 per month since 2026.

- Fast [analysis](https://copydesk.example/analysis)
- Friendly support for {name}
`

func TestSchemaNameMatchesSimulator(t *testing.T) {
	if SchemaName != providertest.TranslationSchemaName {
		t.Fatalf("got %q, want the simulator's %q", SchemaName, providertest.TranslationSchemaName)
	}
}

func TestTranslateJob(t *testing.T) {
	e := newEnv(t, true)
	resp, res, rec := e.MustTranslate(t, &Request{Content: page, Format: "markdown", SourceLanguage: "en", TargetLanguages: []string{"nl", "de"}})
	if resp.Status != "pending" || resp.JobID == "" {
		t.Fatalf("response %+v", resp)
	}
	if resp.Segments != 4 {
		t.Errorf("segments: got %d, want 4", resp.Segments)
	}
	if got := e.fake.Calls(); got != 2 {
		t.Errorf("provider calls: got %d, want 2 (one per language)", got)
	}
	nl := res.Translations["nl"]
	if nl == nil {
		t.Fatalf("no nl result in %+v", res)
	}
	want := "# [simulated nl] Welcome to Copydesk\n\n[simulated nl] Our editor costs 19.99 per month since 2026.\n\n- [simulated nl] Fast [analysis](https://copydesk.example/analysis)\n- [simulated nl] Friendly support for {name}\n"
	if nl.Content != want {
		t.Errorf("content:\ngot  %q\nwant %q", nl.Content, want)
	}
	if nl.Translated != 4 || nl.Reused != 0 || len(nl.Checks) != 0 || !nl.Simulated || nl.CostMicros != 1000 || nl.Provider != "fake" {
		t.Errorf("nl result %+v", nl)
	}
	if len(res.Failed) != 0 || res.SourceLanguage != "en" || !slices.Equal(res.Languages, []string{"nl", "de"}) {
		t.Errorf("job result %+v", res)
	}
	if got := e.store.count(); got != 8 {
		t.Errorf("memory entries: got %d, want 8", got)
	}
	started := rec.Of(copydesk.EventTaskStarted)
	results := rec.Of(copydesk.EventTaskResult)
	if len(started) != 2 || len(results) != 2 || len(rec.Of(copydesk.EventDelta)) == 0 {
		t.Fatalf("events %+v", rec.Events())
	}
	for _, r := range results {
		lang := r.Data["language"].(string)
		if r.Data["task"] != "translation."+lang || r.Data["content"] != res.Translations[lang].Content || r.Data["cached"] != false || r.Data["currency"] != "EUR" {
			t.Errorf("task.result %v", r.Data)
		}
		for _, k := range []string{"segments", "reused", "translated", "checks", "model", "provider", "cost_micros", "simulated"} {
			if _, ok := r.Data[k]; !ok {
				t.Errorf("task.result lacks %s: %v", k, r.Data)
			}
		}
	}
	for _, d := range rec.Of(copydesk.EventDelta) {
		if !strings.HasPrefix(d.Data["task"].(string), "translation.") {
			t.Errorf("delta %v", d.Data)
		}
	}
}

func TestReuse(t *testing.T) {
	for _, withCache := range []bool{true, false} {
		t.Run(fmt.Sprintf("cache=%v", withCache), func(t *testing.T) {
			e := newEnv(t, withCache)
			req := func(content string) *Request {
				return &Request{Content: content, Format: "markdown", SourceLanguage: "en", TargetLanguages: []string{"nl"}}
			}
			e.MustTranslate(t, req(page))
			calls := e.fake.Calls()

			// The same page again: everything remembered, answered inline.
			resp, _, _ := e.MustTranslate(t, req(page))
			if resp.Status != "complete" || e.fake.Calls() != calls {
				t.Fatalf("second run: status %s, %d new provider calls; want complete and 0", resp.Status, e.fake.Calls()-calls)
			}
			nl := resp.Translations["nl"]
			if nl.Reused != 4 || nl.Translated != 0 || !strings.Contains(nl.Content, "[simulated nl] Our editor") {
				t.Errorf("inline result %+v", nl)
			}
			wantFrom := FromMemory
			if withCache {
				wantFrom = FromCache
			}
			for _, s := range nl.Segments {
				if s.From != wantFrom {
					t.Errorf("segment %d from %s, want %s", s.Index, s.From, wantFrom)
				}
			}

			// One edited paragraph: one call, one segment in it.
			edited := strings.Replace(page, "per month", "a month", 1)
			e.fake.Reset()
			_, res, _ := e.MustTranslate(t, req(edited))
			if got := e.fake.Calls(); got != 1 {
				t.Fatalf("edited page: got %d provider calls, want 1", got)
			}
			r, _ := e.fake.LastRequest()
			segs := providertest.ParseTranslationPrompt(r.Prompt).Segments
			if len(segs) != 1 || segs[0].Text != "Our editor costs 19.99 a month since 2026." {
				t.Errorf("segments sent: got %v, want the edited paragraph alone", segs)
			}
			if got := res.Translations["nl"]; got.Translated != 1 || got.Reused != 3 {
				t.Errorf("edited result: translated %d reused %d, want 1 and 3", got.Translated, got.Reused)
			}
		})
	}
}

func TestIdenticalSegmentsOnce(t *testing.T) {
	e := newEnv(t, true)
	_, res, _ := e.MustTranslate(t, &Request{Content: "Same text.\n\nOther.\n\nSame text.", SourceLanguage: "en", TargetLanguages: []string{"fr"}})
	r, _ := e.fake.LastRequest()
	if segs := providertest.ParseTranslationPrompt(r.Prompt).Segments; len(segs) != 2 {
		t.Errorf("segments sent: got %v, want 2", segs)
	}
	if got := res.Translations["fr"].Content; got != "[simulated fr] Same text.\n\n[simulated fr] Other.\n\n[simulated fr] Same text." {
		t.Errorf("content %q", got)
	}
}

func TestBatching(t *testing.T) {
	e := newEnv(t, true)
	var paras []string
	for i := range 50 {
		paras = append(paras, fmt.Sprintf("Short paragraph number %c%c.", 'a'+i/26, 'a'+i%26))
	}
	_, res, _ := e.MustTranslate(t, &Request{Content: strings.Join(paras, "\n\n"), SourceLanguage: "en", TargetLanguages: []string{"de"}})
	if got := e.fake.Calls(); got != 2 {
		t.Fatalf("provider calls: got %d, want 2", got)
	}
	var sent int
	for _, r := range e.fake.Requests() {
		n := len(providertest.ParseTranslationPrompt(r.Prompt).Segments)
		if n > BatchSegments {
			t.Errorf("a call carried %d segments, more than %d", n, BatchSegments)
		}
		sent += n
	}
	if sent != 50 || res.Translations["de"].Translated != 50 {
		t.Errorf("segments sent %d, translated %d; want 50", sent, res.Translations["de"].Translated)
	}
}

func TestSevenLanguages(t *testing.T) {
	e := newEnv(t, true)
	e.svc.Languages = []string{"en", "nl", "de", "fr", "es", "it", "pt", "da"}
	resp, res, rec := e.MustTranslate(t, &Request{Content: "<p>Hello <b>world</b>, since 2026.</p>", Format: "html", SourceLanguage: "en"})
	if len(resp.Languages) != 7 || len(e.jobs.jobs) != 1 {
		t.Fatalf("languages %v, jobs %d; want 7 languages in 1 job", resp.Languages, len(e.jobs.jobs))
	}
	if got := e.fake.Calls(); got != 7 {
		t.Errorf("provider calls: got %d, want 7", got)
	}
	if len(res.Translations) != 7 || len(rec.Of(copydesk.EventTaskResult)) != 7 {
		t.Fatalf("results %d, task.result events %d; want 7", len(res.Translations), len(rec.Of(copydesk.EventTaskResult)))
	}
	for _, lang := range resp.Languages {
		want := "<p>[simulated " + lang + "] Hello <b>world</b>, since 2026.</p>"
		if got := res.Translations[lang].Content; got != want {
			t.Errorf("%s: got %q, want %q", lang, got, want)
		}
	}
}

// answer returns a responder answering each translation prompt with
// translate's text per segment.
func answer(translate func(lang string, s providertest.PromptSegment) string) func(providertest.Request) string {
	return func(r providertest.Request) string {
		p := providertest.ParseTranslationPrompt(r.Prompt)
		return providertest.TranslationAnswer(p.Segments, func(s providertest.PromptSegment) string { return translate(p.Target, s) })
	}
}

func TestGlossary(t *testing.T) {
	e := newEnv(t, true)
	if err := e.store.PutGlossary(context.Background(), &copydesk.Glossary{CustomerID: "cust-1", Terms: []copydesk.GlossaryTerm{
		{Term: "Copydesk", DoNotTranslate: true},
		{Term: "dashboard", Translations: map[string]string{"nl": "overzicht"}},
		{Term: "invoice", Translations: map[string]string{"nl": "factuur"}},
	}}); err != nil {
		t.Fatal(err)
	}
	content := "Copydesk shows the dashboard.\n\nNothing else here."
	_, res, _ := e.MustTranslate(t, &Request{Content: content, SourceLanguage: "en", TargetLanguages: []string{"nl"},
		Glossary: []copydesk.GlossaryTerm{{Term: "else", Translations: map[string]string{"nl": "anders"}}}})
	r, _ := e.fake.LastRequest()
	if strings.Contains(r.Prompt, "Copydesk") {
		t.Errorf("the do-not-translate term reached the model: %s", r.Prompt)
	}
	if !strings.Contains(r.Prompt, "- dashboard => overzicht") || !strings.Contains(r.Prompt, "- else => anders") {
		t.Errorf("the forced terms present are not in the prompt: %s", r.Prompt)
	}
	if strings.Contains(r.Prompt, "invoice") {
		t.Errorf("a term absent from the content is in the prompt: %s", r.Prompt)
	}
	nl := res.Translations["nl"]
	if want := "[simulated nl] Copydesk shows the overzicht.\n\n[simulated nl] Nothing anders here."; nl.Content != want || len(nl.Checks) != 0 {
		t.Errorf("got %q with checks %v, want %q and none", nl.Content, nl.Checks, want)
	}
}

func TestChecks(t *testing.T) {
	models, fake := MustFake(t, providertest.Options{Responder: answer(func(_ string, s providertest.PromptSegment) string {
		// Drops numbers, ignores the glossary, keeps placeholders.
		return "Vertaald zonder cijfers " + strings.Join(placeholders(s.Text), " ")
	})})
	store := newMemStore()
	jobs := &submitter{}
	e := &env{svc: &Service{Jobs: jobs, Models: models, Store: store, ModelSet: "m"}, handler: &Handler{Models: models, Store: store, ModelSet: "m"}, store: store, fake: fake, jobs: jobs}
	_, res, _ := e.MustTranslate(t, &Request{Content: "The dashboard costs 19.99 in 2026.", SourceLanguage: "en", TargetLanguages: []string{"nl"},
		Glossary: []copydesk.GlossaryTerm{{Term: "dashboard", Translations: map[string]string{"nl": "overzicht"}}}})
	var codes []string
	for _, c := range res.Translations["nl"].Checks {
		codes = append(codes, c.Code)
	}
	want := []string{CheckGlossaryMissing, CheckNumberMissing, CheckNumberMissing}
	if !slices.Equal(codes, want) {
		t.Errorf("checks: got %v, want %v", res.Translations["nl"].Checks, want)
	}
}

func TestCheckSegment(t *testing.T) {
	glossary := []copydesk.GlossaryTerm{{Term: "Acme", DoNotTranslate: true}, {Term: "cart", Translations: map[string]string{"de": "Warenkorb"}}}
	d, _ := segmentDoc("text", "Acme cart: 3,5 kg for 1.000 euro", dntTerms(glossary))
	s := d.segs[0]
	w := &work{glossary: glossary, doc: d}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"fine, numbers localized", "<x1/> Warenkorb: 3.5 kg für 1,000 Euro", nil},
		{"glossary missing", "<x1/> Korb: 3,5 kg für 1.000 Euro", []string{CheckGlossaryMissing}},
		{"number missing", "<x1/> Warenkorb: 3,5 kg für tausend Euro", []string{CheckNumberMissing}},
		{"placeholder lost", "Firma Warenkorb: 3,5 kg für 1.000 Euro", []string{CheckPlaceholderMismatch, CheckGlossaryTranslated}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range checkSegment(0, s, tt.text, "de", glossary, w.forced(0)) {
				got = append(got, c.Code)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckPlaceholders(t *testing.T) {
	src := "Read <x1>the <x2>new</x2> guide</x1> at <x3/>"
	tests := []struct{ target, want string }{
		{"Lees <x1>de <x2>nieuwe</x2> gids</x1> op <x3/>", ""},
		{"Op <x3/> lees <x1>de gids <x2>nieuw</x2></x1>", ""},
		{"Lees <x1>de gids</x1> op <x3/>", "placeholder <x2> is missing"},
		{"Lees <x1>de <x2>nieuwe</x2> gids</x1> op <x3/> <x4/>", "placeholder <x4/> is not in the source"},
		{"Lees <x1>de <x2>nieuwe</x2> gids</x1> <x3/> <x3/>", "placeholder <x3/> is repeated"},
		{"Lees <x1>de <x2>nieuwe</x1> gids</x2> <x3/>", "placeholder </x1> does not close the tag opened last"},
	}
	for _, tt := range tests {
		if got := checkPlaceholders(src, tt.target); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.target, got, tt.want)
		}
	}
}

func TestDecodeTranslations(t *testing.T) {
	sources := []string{"One <x1/>", "Two"}
	tests := []struct {
		name, answer string
		ok           bool
	}{
		{"fine", `{"translations":[{"n":2,"text":"Twee"},{"n":1,"text":"Een <x1/>"}]}`, true},
		{"fenced", "```json\n{\"translations\":[{\"n\":1,\"text\":\"Een <x1/>\"},{\"n\":2,\"text\":\"Twee\"}]}\n```", true},
		{"not json", `Sure! Here you go`, false},
		{"too few", `{"translations":[{"n":1,"text":"Een <x1/>"}]}`, false},
		{"duplicate n", `{"translations":[{"n":1,"text":"Een <x1/>"},{"n":1,"text":"Twee"}]}`, false},
		{"placeholder lost", `{"translations":[{"n":1,"text":"Een"},{"n":2,"text":"Twee"}]}`, false},
		{"empty text", `{"translations":[{"n":1,"text":"Een <x1/>"},{"n":2,"text":" "}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeTranslations(tt.answer, sources)
			if tt.ok != (err == nil) {
				t.Fatalf("got error %v, want ok=%v", err, tt.ok)
			}
			if err != nil && copydesk.FailureCode(err) != "provider_invalid" {
				t.Errorf("got code %s, want provider_invalid", copydesk.FailureCode(err))
			}
		})
	}
}

func TestInvalidAnswer(t *testing.T) {
	t.Run("retried once", func(t *testing.T) {
		e := newEnv(t, true)
		e.fake.Enqueue(providertest.Behaviour{Text: `{"translations":[{"n":1,"text":"lost the placeholder"}]}`})
		_, res, _ := e.MustTranslate(t, &Request{Content: "Hello {name}", SourceLanguage: "en", TargetLanguages: []string{"nl"}})
		if got := e.fake.Calls(); got != 2 {
			t.Errorf("provider calls: got %d, want 2", got)
		}
		if got := res.Translations["nl"].Content; got != "[simulated nl] Hello {name}" {
			t.Errorf("content %q", got)
		}
	})
	t.Run("language fails visibly", func(t *testing.T) {
		models, fake := MustFake(t, providertest.Options{Responder: answer(func(lang string, s providertest.PromptSegment) string {
			if lang == "de" {
				return "ohne Platzhalter"
			}
			return "[ok " + lang + "] " + s.Text
		})})
		store := newMemStore()
		jobs := &submitter{}
		svc := &Service{Jobs: jobs, Models: models, Store: store, Cache: MustCache(t)}
		h := &Handler{Models: models, Store: store, Cache: svc.Cache}
		ctx := context.Background()
		if _, err := svc.Translate(ctx, &Request{Content: "Hello {name}", SourceLanguage: "en", TargetLanguages: []string{"nl", "de"}}, "c", "u"); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		raw, status, err := h.RunJob(ctx, jobs.jobs[0], rec.Emit)
		if err != nil || status != copydesk.JobPartial {
			t.Fatalf("got status %q error %v, want partial", status, err)
		}
		var res jobResult
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Failed, []string{"de"}) || res.Translations["nl"] == nil || res.Translations["de"] != nil {
			t.Errorf("result %s", raw)
		}
		failed := rec.Of(copydesk.EventTaskFailed)
		if len(failed) != 1 || failed[0].Data["task"] != "translation.de" || failed[0].Data["language"] != "de" || failed[0].Data["code"] != "provider_invalid" {
			t.Errorf("task.failed events %v", failed)
		}
		if got := fake.Calls(); got != 3 {
			t.Errorf("provider calls: got %d, want 3 (nl, de, de again)", got)
		}
		// Nothing invalid was remembered.
		for _, en := range store.all() {
			if en.TargetLang == "de" {
				t.Errorf("an invalid answer was stored: %+v", en)
			}
		}
		// All languages failing fails the job.
		if _, err := svc.Translate(ctx, &Request{Content: "Bye {name}", SourceLanguage: "en", TargetLanguages: []string{"de"}}, "c", "u"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.RunJob(ctx, jobs.jobs[1], (&recorder{}).Emit); copydesk.FailureCode(err) != "provider_invalid" {
			t.Errorf("got error %v, want provider_invalid", err)
		}
	})
}

func TestTranslateValidation(t *testing.T) {
	big := strings.Repeat("a", 100)
	tests := []struct {
		name string
		req  Request
		code string
		in   string // in the message
	}{
		{"empty", Request{Content: "  "}, copydesk.EINVALID, "content"},
		{"too large", Request{Content: big}, copydesk.ETOOLARGE, "limit"},
		{"bad utf-8", Request{Content: "a\xffb"}, copydesk.EUNPROCESSABLE, "UTF-8"},
		{"format", Request{Content: "x", Format: "docx"}, copydesk.EINVALID, "format"},
		{"unknown source", Request{Content: "x", SourceLanguage: "xx"}, copydesk.EINVALID, "nl, en, de"},
		{"unconfigured target", Request{Content: "x", SourceLanguage: "en", TargetLanguages: []string{"ja"}}, copydesk.EINVALID, "use one of nl, en, de, fr, es, it, pt"},
		{"target is source", Request{Content: "x", SourceLanguage: "en", TargetLanguages: []string{"en-GB"}}, copydesk.EINVALID, "source language"},
		{"too many", Request{Content: "x", SourceLanguage: "en", TargetLanguages: slices.Repeat([]string{"nl"}, MaxLanguages+1)}, copydesk.EINVALID, "at most"},
		{"glossary empty term", Request{Content: "x", SourceLanguage: "en", Glossary: []copydesk.GlossaryTerm{{Term: " ", DoNotTranslate: true}}}, copydesk.EINVALID, "glossary[0]"},
		{"glossary no effect", Request{Content: "x", SourceLanguage: "en", Glossary: []copydesk.GlossaryTerm{{Term: "x"}}}, copydesk.EINVALID, "do_not_translate"},
		{"glossary both", Request{Content: "x", SourceLanguage: "en", Glossary: []copydesk.GlossaryTerm{{Term: "x", DoNotTranslate: true, Translations: map[string]string{"nl": "y"}}}}, copydesk.EINVALID, "set one"},
		{"glossary bad language", Request{Content: "x", SourceLanguage: "en", Glossary: []copydesk.GlossaryTerm{{Term: "x", Translations: map[string]string{"n1": "y"}}}}, copydesk.EINVALID, "language code"},
		{"priority", Request{Content: "x", SourceLanguage: "en", Priority: "urgent"}, copydesk.EINVALID, "priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, false)
			e.svc.MaxContent = 50
			_, err := e.svc.Translate(context.Background(), &tt.req, "c", "u")
			if copydesk.ErrorCode(err) != tt.code || !strings.Contains(copydesk.ErrorMessage(err), tt.in) {
				t.Errorf("got %v, want code %s with %q", err, tt.code, tt.in)
			}
			if len(e.jobs.jobs) != 0 || e.fake.Calls() != 0 {
				t.Errorf("a refused request submitted %d jobs and made %d calls", len(e.jobs.jobs), e.fake.Calls())
			}
		})
	}
}

func TestDetectSourceLanguage(t *testing.T) {
	e := newEnv(t, true)
	resp, err := e.svc.Translate(context.Background(), &Request{Content: "De kat zit op de mat en het is een mooie dag voor ons allemaal."}, "c", "u")
	if err != nil {
		t.Fatal(err)
	}
	if resp.SourceLanguage != "nl" || slices.Contains(resp.Languages, "nl") || len(resp.Languages) != len(copydesk.Languages)-1 {
		t.Errorf("source %q, languages %v; want nl and the other six", resp.SourceLanguage, resp.Languages)
	}
}

func TestNoProvider(t *testing.T) {
	store := newMemStore()
	svc := &Service{Jobs: &submitter{}, Store: store}
	ctx := context.Background()
	req := func() *Request {
		return &Request{Content: "Hello there.", SourceLanguage: "en", TargetLanguages: []string{"nl"}}
	}
	_, err := svc.Translate(ctx, req(), "c", "u")
	if copydesk.ErrorCode(err) != copydesk.ENOPROVIDER || !strings.Contains(copydesk.ErrorMessage(err), "OPENAI_API_KEY") || !strings.Contains(copydesk.ErrorMessage(err), "--simulate") {
		t.Fatalf("got %v, want ENOPROVIDER naming the settings", err)
	}
	// A remembered translation needs no provider.
	if err := store.PutTM(ctx, []copydesk.TMEntry{{CustomerID: "c", SourceLang: "en", TargetLang: "nl", Source: "Hello there.", Target: "Hallo daar.", Origin: copydesk.TMOriginImport}}); err != nil {
		t.Fatal(err)
	}
	resp, err := svc.Translate(ctx, req(), "c", "u")
	if err != nil || resp.Status != "complete" || resp.Translations["nl"].Content != "Hallo daar." || resp.Translations["nl"].Segments[0].From != FromMemory {
		t.Fatalf("got %+v, %v; want the remembered translation inline", resp, err)
	}
}

func TestPublishedTier(t *testing.T) {
	e := newEnv(t, true)
	e.MustTranslate(t, &Request{Content: "Published words.", SourceLanguage: "en", TargetLanguages: []string{"it"}, Published: true})
	var w work
	w.published = true
	if w.kind() != KindPublished {
		t.Fatalf("kind %s", w.kind())
	}
	// A draft of the same content is a different cache entry but the same
	// memory entry: answered inline from memory.
	resp, _, _ := e.MustTranslate(t, &Request{Content: "Published words.", SourceLanguage: "en", TargetLanguages: []string{"it"}})
	if resp.Status != "complete" || resp.Translations["it"].Segments[0].From != FromMemory {
		t.Errorf("draft after published: %+v", resp.Translations["it"])
	}
}

func TestLoadPrompts(t *testing.T) {
	set, err := LoadPrompts("")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := set.Get(TemplateName)
	if err != nil || tmpl.Version != "translate-v1" {
		t.Fatalf("template %+v, %v", tmpl, err)
	}
	req, err := buildRequest(tmpl, "en", "nl", nil, []string{"One", "Two <x1/>"})
	if err != nil {
		t.Fatal(err)
	}
	p := providertest.ParseTranslationPrompt(req.Messages[0].Content)
	if p.Target != "nl" || len(p.Segments) != 2 || p.Segments[1].Text != "Two <x1/>" || req.SchemaName != SchemaName {
		t.Errorf("prompt %q parsed as %+v", req.Messages[0].Content, p)
	}
}
