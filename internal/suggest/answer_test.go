package suggest

import (
	"errors"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/providertest"
)

const validAnswer = `{"titles":["Cold brew coffee: a complete guide to brewing at home","Iced coffee"],
"meta_descriptions":["Make cold brew at home."],
"headings":[{"level":2,"text":"How long to steep cold brew"}],
"keyphrases":["cold brew coffee"]}`

func TestDecodeAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		ok       bool
		titles   int
		headings int
	}{
		{"valid", validAnswer, true, 2, 1},
		{"fenced", "```json\n" + validAnswer + "\n```", true, 2, 1},
		{"fenced without language", "```\n" + validAnswer + "```", true, 2, 1},
		{"fenced JSON in capitals", "```JSON\n" + validAnswer + "\n```", true, 2, 1},
		{"fenced Json", "```Json\n" + validAnswer + "\n```", true, 2, 1},
		{"fenced with another info string", "```javascript\n" + validAnswer + "\n```", true, 2, 1},
		{"fenced with attributes", "``` json {.answer}\n" + validAnswer + "\n```", true, 2, 1},
		{"fenced on one line", "```json " + validAnswer + "```", true, 2, 1},
		{"fenced, object on the fence line", "```" + validAnswer + "\n```", true, 2, 1},
		{"fenced prose", "```text\nHere are some titles.\n```", false, 0, 0},
		{"empty lists", `{"titles":[],"meta_descriptions":[],"headings":[],"keyphrases":[]}`, true, 0, 0},
		{"unknown property ignored", `{"titles":[],"meta_descriptions":[],"headings":[],"keyphrases":[],"note":"x"}`, true, 0, 0},
		{"prose", "Here are some titles: Cold brew!", false, 0, 0},
		{"empty", "", false, 0, 0},
		{"empty object", "{}", false, 0, 0},
		{"null list", `{"titles":null,"meta_descriptions":[],"headings":[],"keyphrases":[]}`, false, 0, 0},
		{"missing keyphrases", `{"titles":[],"meta_descriptions":[],"headings":[]}`, false, 0, 0},
		{"number as title", `{"titles":[1],"meta_descriptions":[],"headings":[],"keyphrases":[]}`, false, 0, 0},
		{"heading as string", `{"titles":[],"meta_descriptions":[],"headings":["H2"],"keyphrases":[]}`, false, 0, 0},
		{"heading without level", `{"titles":[],"meta_descriptions":[],"headings":[{"text":"x"}],"keyphrases":[]}`, false, 0, 0},
		{"heading with fractional level", `{"titles":[],"meta_descriptions":[],"headings":[{"level":2.5,"text":"x"}],"keyphrases":[]}`, false, 0, 0},
		{"two objects", validAnswer + validAnswer, false, 0, 0},
		{"array", `[` + validAnswer + `]`, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := decodeAnswer(tt.in)
			if !tt.ok {
				var pe *copydesk.ProviderError
				if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid {
					t.Fatalf("got error %v, want a ProviderError of kind invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if len(a.Titles) != tt.titles || len(a.Headings) != tt.headings {
				t.Errorf("got %d titles, %d headings, want %d, %d", len(a.Titles), len(a.Headings), tt.titles, tt.headings)
			}
		})
	}
}

func TestSchemaExampleIsValid(t *testing.T) {
	t.Parallel()
	ex := providertest.SchemaExample(answerSchema)
	a, err := decodeAnswer(ex)
	if err != nil {
		t.Fatalf("SchemaExample %s: got error %v, want none", ex, err)
	}
	if len(a.Titles) == 0 || len(a.Headings) == 0 {
		t.Errorf("SchemaExample %s: got %d titles, %d headings, want at least one of each", ex, len(a.Titles), len(a.Headings))
	}
}

func TestPlainText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Cold brew & more", "Cold brew & more"},
		{"Cold brew &amp; more", "Cold brew & more"},
		{"<b>Cold</b> brew", "Cold brew"},
		{"Cold <script>alert(1)</script>brew", "Cold brew"},
		{`<img src=x onerror="alert(1)">Cold brew`, "Cold brew"},
		{"&lt;script&gt;alert(1)&lt;/script&gt;Cold brew", "Cold brew"},
		{"&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;", ""},
		{"&amp;amp;lt;img src=x onerror=alert(1)&amp;amp;gt;", ""},
		{"Line\none\ttab\u200b\u0007", "Line one tab"},
		{"   ", ""},
		{"5 < 6", "5 6"},
		{"Café – “quoted”", "Café – “quoted”"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDecodeAnswer(f *testing.F) {
	f.Add(validAnswer)
	f.Add("```json\n" + validAnswer + "```")
	f.Add("```JSON {x}\n" + validAnswer + "\n```")
	f.Add(`{"titles":["<script>x</script>"],"meta_descriptions":["&lt;img&gt;"],"headings":[{"level":9,"text":"<i>"}],"keyphrases":[""]}`)
	f.Add(providertest.SchemaExample(answerSchema))
	f.Add("{}")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := decodeAnswer(in)
		if err != nil {
			var pe *copydesk.ProviderError
			if !errors.As(err, &pe) || pe.Kind != copydesk.ProviderInvalid {
				t.Fatalf("got error %v, want a ProviderError of kind invalid", err)
			}
			return
		}
		if a.Titles == nil || a.MetaDescriptions == nil || a.Keyphrases == nil {
			t.Fatalf("decoded %+v with a nil list", a)
		}
		res := rescore(a, &Request{Count: CountMax}, MustDoc(t, "cold brew", "", ""), &copydesk.ModelResult{})
		check := func(s string) {
			if s == "" || strings.ContainsAny(s, "<>") || s != strings.TrimSpace(s) {
				t.Fatalf("suggestion %q is empty, untrimmed or holds markup", s)
			}
		}
		for _, x := range res.Titles {
			check(x.Text)
		}
		for _, x := range res.MetaDescriptions {
			check(x.Text)
		}
		for _, x := range res.Headings {
			check(x.Text)
			if x.Level < 1 || x.Level > 6 {
				t.Fatalf("heading level %d", x.Level)
			}
		}
		for _, x := range res.Keyphrases {
			check(x.Text)
		}
	})
}
