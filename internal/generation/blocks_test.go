package generation

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

const validHero = `{"headline":"Fresh bread every morning","subheadline":"Sourdough baked in Utrecht since 1952.","cta_label":"Visit us","cta_url":"/contact"}`

func TestDecode(t *testing.T) {
	tests := []struct {
		name, typ, answer string
		wantErr           string // part of the error message; "" for a valid answer
	}{
		{"valid hero", "hero", validHero, ""},
		{"fenced json", "hero", "```json\n" + validHero + "\n```", ""},
		{"fenced JSON without info string", "hero", "```\n" + validHero + "\n```", ""},
		{"fence on one line", "hero", "```" + validHero + "```", ""},
		{"white space around", "hero", "\n\n  " + validHero + "  \n", ""},
		{"missing field", "hero", `{"headline":"a","subheadline":"b","cta_label":"c"}`, "cta_url"},
		{"extra field", "hero", `{"headline":"a","subheadline":"b","cta_label":"c","cta_url":"/","onclick":"x"}`, "onclick"},
		{"wrong type", "hero", `{"headline":1,"subheadline":"b","cta_label":"c","cta_url":"/"}`, "headline"},
		{"empty required string", "hero", `{"headline":"  ","subheadline":"b","cta_label":"c","cta_url":"/"}`, "/headline is empty"},
		{"markup only is empty", "hero", `{"headline":"<script>alert(1)</script>","subheadline":"b","cta_label":"c","cta_url":"/"}`, "/headline is empty"},
		{"over-long string", "hero", `{"headline":"` + strings.Repeat("a", MaxFieldRunes+1) + `","subheadline":"b","cta_label":"c","cta_url":"/"}`, "longer than"},
		{"not json", "hero", `Here is your hero: headline…`, "not the JSON"},
		{"trailing text", "hero", validHero + " I hope this helps!", "not the JSON"},
		{"array", "hero", `[` + validHero + `]`, "not a valid hero block"},
		{"empty", "hero", ``, "not the JSON"},
		{"too few items", "features", `{"title":"Why us","items":[{"title":"a","description":"b"}]}`, "items"},
		{"too many items", "features", `{"title":"Why us","items":[` + strings.Repeat(`{"title":"a","description":"b"},`, 6) + `{"title":"a","description":"b"}]}`, "items"},
		{"features", "features", `{"title":"Why us","items":[{"title":"a","description":"b"},{"title":"c","description":"d"},{"title":"e","description":"f"}]}`, ""},
		{"empty list string", "about", `{"title":"About","text":"We bake.","highlights":["Since 1952",""]}`, "/highlights/1 is empty"},
		{"contact may leave details empty", "contact", `{"title":"Contact","text":"Drop by.","email":"","phone":"","address":""}`, ""},
		{"contact needs a title", "contact", `{"title":"","text":"Drop by.","email":"","phone":"","address":""}`, "/title is empty"},
		{"nested extra field", "pricing", `{"title":"Plans","plans":[{"name":"Basic","price":"€9","period":"per month","features":["a","b"],"cta_label":"Buy","cta_url":"/buy","color":"red"}]}`, "color"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := specs()[tt.typ].decode(tt.answer, "fake")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if b.Type != tt.typ || !json.Valid(b.JSON) {
					t.Errorf("got block %s of type %q, want valid JSON of type %q", b.JSON, b.Type, tt.typ)
				}
				return
			}
			var pe *copydesk.ProviderError
			if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid {
				t.Fatalf("got error %v (%T), want a ProviderError of kind invalid", err, err)
			}
			if pe.Provider != "fake" {
				t.Errorf("got provider %q, want fake", pe.Provider)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %q, want it to mention %q", err, tt.wantErr)
			}
			if got := copydesk.FailureCode(err); got != "provider_invalid" {
				t.Errorf("got failure code %q, want provider_invalid", got)
			}
		})
	}
}

// TestSchemasStrict checks what OpenAI's strict mode demands of every
// schema: objects closed, every property required.
func TestSchemasStrict(t *testing.T) {
	var check func(t *testing.T, path string, s map[string]any)
	check = func(t *testing.T, path string, s map[string]any) {
		switch s["type"] {
		case "object":
			if s["additionalProperties"] != false {
				t.Errorf("%s: got additionalProperties %v, want false", path, s["additionalProperties"])
			}
			props, _ := s["properties"].(map[string]any)
			var names, req []string
			for k, v := range props {
				names = append(names, k)
				check(t, path+"/"+k, v.(map[string]any))
			}
			for _, r := range s["required"].([]any) {
				req = append(req, r.(string))
			}
			sort.Strings(names)
			sort.Strings(req)
			if !slices.Equal(names, req) {
				t.Errorf("%s: got required %v, want every property %v", path, req, names)
			}
		case "array":
			if _, ok := s["minItems"]; !ok {
				t.Errorf("%s: array without minItems", path)
			}
			check(t, path+"/items", s["items"].(map[string]any))
		case "string":
		default:
			t.Errorf("%s: unexpected type %v", path, s["type"])
		}
	}
	for _, typ := range BlockTypes {
		t.Run(typ, func(t *testing.T) {
			var s map[string]any
			if err := json.Unmarshal(specs()[typ].Schema, &s); err != nil {
				t.Fatal(err)
			}
			check(t, typ, s)
			if specs()[typ].MaxTokens <= 0 || specs()[typ].MaxTokens > 1000 {
				t.Errorf("got MaxTokens %d, want a cap in 1..1000", specs()[typ].MaxTokens)
			}
		})
	}
	if len(specs()) != len(BlockTypes) {
		t.Errorf("got %d specs, want %d", len(specs()), len(BlockTypes))
	}
}

// TestSimulatedAnswersValid: what the simulated provider answers for each
// schema passes validation, so --simulate generates whole pages.
func TestSimulatedAnswersValid(t *testing.T) {
	for _, typ := range BlockTypes {
		t.Run(typ, func(t *testing.T) {
			answer := providertest.SchemaExample(specs()[typ].Schema)
			b, err := specs()[typ].decode(answer, "sim")
			if err != nil {
				t.Fatalf("simulated answer %s: %v", answer, err)
			}
			if !strings.Contains(string(b.JSON), "[simulated]") {
				t.Errorf("got block %s, want its text labelled [simulated]", b.JSON)
			}
			if _, err := renderHTML(b); err != nil {
				t.Errorf("render: %v", err)
			}
		})
	}
}

func TestStripFence(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{"```json\n{\"a\":1}\n```", `{"a":1}`},
		{"```JSON\n{\"a\":1}```", `{"a":1}`},
		{"```{\"a\":1}```", `{"a":1}`},
		{"  ```\n{\"a\":1}\n```  \n", `{"a":1}`},
	}
	for _, tt := range tests {
		if got := stripFence(tt.in); got != tt.want {
			t.Errorf("stripFence(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
