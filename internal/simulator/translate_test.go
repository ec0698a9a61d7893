package simulator

import (
	"encoding/json"
	"testing"
)

const translationPrompt = `Translate each numbered segment from English into Dutch.
Source language: en
Target language: nl
Glossary (use these translations exactly):
- Dashboard => Overzicht
Segments:
[1] Open the Dashboard <x1>now</x1>.
[2] It costs 19.99 for {name}.`

func TestParseTranslationPrompt(t *testing.T) {
	p := ParseTranslationPrompt(translationPrompt)
	if p.Target != "nl" {
		t.Errorf("target: got %q, want nl", p.Target)
	}
	if got := p.Glossary["Dashboard"]; got != "Overzicht" {
		t.Errorf("glossary: got %q, want Overzicht", got)
	}
	want := []PromptSegment{{1, "Open the Dashboard <x1>now</x1>."}, {2, "It costs 19.99 for {name}."}}
	if len(p.Segments) != len(want) {
		t.Fatalf("segments: got %v, want %v", p.Segments, want)
	}
	for i := range want {
		if p.Segments[i] != want[i] {
			t.Errorf("segment %d: got %v, want %v", i, p.Segments[i], want[i])
		}
	}
}

func TestDefaultResponderTranslates(t *testing.T) {
	got := DefaultResponder(Request{Prompt: translationPrompt, JSON: true, SchemaName: TranslationSchemaName})
	var out struct {
		Translations []struct {
			N    int    `json:"n"`
			Text string `json:"text"`
		} `json:"translations"`
	}
	if err := json.Unmarshal([]byte(got), &out); err != nil {
		t.Fatalf("answer %s: %v", got, err)
	}
	want := []string{"[simulated nl] Open the Overzicht <x1>now</x1>.", "[simulated nl] It costs 19.99 for {name}."}
	if len(out.Translations) != len(want) {
		t.Fatalf("got %s, want %d items", got, len(want))
	}
	for i, w := range want {
		if out.Translations[i].N != i+1 || out.Translations[i].Text != w {
			t.Errorf("item %d: got %+v, want n=%d text=%q", i, out.Translations[i], i+1, w)
		}
	}
}
