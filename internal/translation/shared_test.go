package translation

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestSharedPaysBoilerplateOnce: three pages share a paragraph. The shared
// pass translates it once per language; the pages, translated after it,
// send only their own paragraphs to the model.
func TestSharedPaysBoilerplateOnce(t *testing.T) {
	for _, withCache := range []bool{false, true} {
		e := newEnv(t, withCache)
		boilerplate := "Delivery is free within the city, and returns are free for thirty days."
		var items []json.RawMessage
		var reqs []*Request
		for _, intro := range []string{"The red chair is made of oak.", "The blue table seats eight people.", "The green lamp is dimmable."} {
			r := &Request{Content: intro + "\n\n" + boilerplate, SourceLanguage: "en", TargetLanguages: []string{"nl", "de"}}
			raw, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			items, reqs = append(items, raw), append(reqs, r)
		}
		// A page in another source language and an unreadable item take
		// no part.
		items = append(items, json.RawMessage(`{"content":"`+boilerplate+`","source_language":"fr","target_languages":["nl"]}`), json.RawMessage(`{"content":`))

		job := &copydesk.Job{ID: "job_bulk", CustomerID: "cust-1", UserID: "user-1", Attempts: 1}
		res, err := e.svc.Shared(context.Background(), job, items)
		if err != nil {
			t.Fatal(err)
		}
		if res.Segments != 2 || res.Translated != 2 || res.Cost != 2000 {
			t.Fatalf("cache %v: shared pass %+v, want the boilerplate into nl and de, 2 translated, cost 2000", withCache, res)
		}
		if n := e.fake.Calls(); n != 2 {
			t.Fatalf("cache %v: shared pass made %d calls, want 2", withCache, n)
		}
		for _, r := range reqs {
			_, jr, _ := e.MustTranslate(t, r)
			if jr == nil {
				t.Fatalf("cache %v: page %q answered inline, want a job for its own paragraph", withCache, r.Content[:20])
			}
			for _, lang := range r.TargetLanguages {
				segs := jr.Translations[lang].Segments
				if len(segs) != 2 || segs[1].From == FromModel || segs[0].From != FromModel {
					t.Errorf("cache %v: %s segments %+v, want the intro from the model and the boilerplate remembered", withCache, lang, segs)
				}
			}
		}
		for _, rq := range e.fake.Requests()[2:] {
			if strings.Contains(rq.Prompt, "Delivery is free") {
				t.Errorf("cache %v: a page sent the shared paragraph to the model again", withCache)
			}
		}
		// A second pass finds everything remembered: no call.
		before := e.fake.Calls()
		if res, err := e.svc.Shared(context.Background(), job, items); err != nil || res.Translated != 0 || e.fake.Calls() != before {
			t.Errorf("cache %v: second pass %+v, %v after %d calls; want nothing translated", withCache, res, err, e.fake.Calls()-before)
		}
	}
}
