package generation

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

func TestPromptsParseAndDeclareVersions(t *testing.T) {
	set, err := LoadPrompts("")
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Names(); !slices.Equal(got, slices.Sorted(slices.Values(BlockTypes))) {
		t.Errorf("got templates %v, want one per block type %v", got, BlockTypes)
	}
	req := &Request{Business: Business{Name: "Acme", Language: "en"}, Instructions: "Mention the oven."}
	job := &copydesk.Job{ID: "job1", CustomerID: "c1", UserID: "u1", Priority: copydesk.PriorityHigh}
	for _, typ := range BlockTypes {
		tmpl, err := set.Get(typ)
		if err != nil {
			t.Fatal(err)
		}
		if want := "gen-" + typ + "-v"; !strings.HasPrefix(tmpl.Version, want) {
			t.Errorf("%s: got version %q, want it to start with %q", typ, tmpl.Version, want)
		}
		for _, variant := range []int{0, 2} {
			call, err := blockCall(set, job, req, specs()[typ], variant)
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			text := call.Request.Messages[0].Content
			if !strings.Contains(text, "Business: Acme") || !strings.Contains(text, "English") || !strings.Contains(text, "Mention the oven.") {
				t.Errorf("%s: prompt lacks the business, language or instructions:\n%s", typ, text)
			}
			if strings.Contains(text, "<no value>") || strings.Contains(text, "{{") {
				t.Errorf("%s: prompt not fully rendered:\n%s", typ, text)
			}
			if got := strings.Contains(text, "section 2 of this kind"); got != (variant == 2) {
				t.Errorf("%s variant %d: got variant note %v", typ, variant, got)
			}
			if n := len(strings.Fields(text)); n > 120 {
				t.Errorf("%s: prompt is %d words; keep it short:\n%s", typ, n, text)
			}
		}
	}
}

func TestBlockCall(t *testing.T) {
	req := &Request{Business: Business{Name: "Acme", Language: "nl"}}
	job := &copydesk.Job{ID: "job1", CustomerID: "c1", UserID: "u1", Priority: copydesk.PriorityLow}
	call, err := blockCall(builtin(), job, req, specs()["faq"], 0)
	if err != nil {
		t.Fatal(err)
	}
	if call.Kind != "generation.block.faq" || call.Priority != copydesk.PriorityLow || call.CustomerID != "c1" || call.UserID != "u1" || call.JobID != "job1" {
		t.Errorf("got call %+v", call)
	}
	if want := "gen-faq-v1/" + DecoderVersion; call.Version != want {
		t.Errorf("got version %q, want %s (template and decoder)", call.Version, want)
	}
	r := call.Request
	if r.MaxTokens != 700 || r.SchemaName != "block_faq" || string(r.JSONSchema) != string(specs()["faq"].Schema) || r.System != system {
		t.Errorf("got request %+v", r)
	}
	if !strings.Contains(r.Messages[0].Content, "Dutch") || !strings.Contains(r.Messages[0].Content, "3-6 items") {
		t.Errorf("got prompt %q", r.Messages[0].Content)
	}
	if err := call.Validate(&copydesk.ModelResponse{Text: providertest.SchemaExample(r.JSONSchema), Model: "m"}); err != nil {
		t.Errorf("Validate of a valid answer: %v", err)
	}
	err = call.Validate(&copydesk.ModelResponse{Text: `{"title":"x"}`, Model: "m"})
	if !isInvalid(err) {
		t.Errorf("Validate of an invalid answer: got %v, want a ProviderInvalid error", err)
	}
}

func TestBusinessText(t *testing.T) {
	tests := []struct {
		b    Business
		want string
	}{
		{Business{Name: "Acme"}, "Business: Acme"},
		{Business{Name: "Acme", Industry: "bakery", Tone: "friendly"}, "Business: Acme (bakery)\nTone: friendly"},
		{Business{Name: " Acme\n\nBakery ", Audience: "families", Keywords: []string{"bread", "cake"}, Description: "Since\n1952."},
			"Business: Acme Bakery\nAudience: families\nKeywords: bread, cake\nAbout: Since 1952."},
	}
	for _, tt := range tests {
		if got := businessText(&tt.b); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestPromptOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hero.tmpl"), []byte("{{.Business}}\nWrite a bold hero in {{.Language}}."), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	hero, _ := set.Get("hero")
	if !hero.Overridden || !strings.HasPrefix(hero.Version, "gen-hero-v1+override-") {
		t.Errorf("got version %q overridden %v, want gen-hero-v1+override-…", hero.Version, hero.Overridden)
	}
	if faq, _ := set.Get("faq"); faq.Version != "gen-faq-v1" {
		t.Errorf("got faq version %q, want gen-faq-v1 untouched", faq.Version)
	}
	call, err := blockCall(set, &copydesk.Job{}, &Request{Business: Business{Name: "Acme", Language: "en"}}, specs()["hero"], 0)
	if err != nil {
		t.Fatal(err)
	}
	if call.Version != hero.Version+"/"+DecoderVersion || !strings.Contains(call.Request.Messages[0].Content, "bold hero in English") {
		t.Errorf("got call version %q and prompt %q", call.Version, call.Request.Messages[0].Content)
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "faq.tmpl"), []byte("{{.Business"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrompts(bad); err == nil || !strings.Contains(err.Error(), "faq.tmpl") {
		t.Errorf("got %v, want an error naming faq.tmpl", err)
	}
}
