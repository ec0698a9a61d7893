package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAnalysisLocale: the report's messages follow the body's locale, else
// Accept-Language, else English; the same content in two locales is two
// cached reports, not one served in the wrong language.
func TestAnalysisLocale(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	content := "# Fresh bread\n\nOur bakery bakes fresh bread every morning. You can order online and pick it up at seven.\n"
	tests := []struct {
		name, locale, acceptLanguage string
		want, wantText               string
	}{
		{"body locale", "nl", "", "nl", "De tekst telt"},
		{"region subtag", "nl-BE", "", "nl", "De tekst telt"},
		{"accept-language", "", "de-CH, fr;q=0.8", "de", "Der Text hat"},
		{"body wins over header", "fr", "de", "fr", "Le texte compte"},
		{"unsupported falls back to English", "sv", "", "en", "The text has"},
		{"no locale", "", "", "en", "The text has"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"content": content, "format": "markdown", "language": "en", "types": []string{"seo"}}
			if tt.locale != "" {
				body["locale"] = tt.locale
			}
			b, _ := json.Marshal(body)
			var hdr []string
			if tt.acceptLanguage != "" {
				hdr = []string{"Accept-Language", tt.acceptLanguage}
			}
			r := do(t, "POST", m.HTTP.URL()+"/v1/analyses", "application/json", b, hdr...)
			if r.Status != 200 {
				t.Fatalf("status %d, want 200: %s", r.Status, r.Body)
			}
			var got struct {
				Report struct {
					Locale    string `json:"locale"`
					LabelText string `json:"label_text"`
					Results   []struct {
						Findings []struct {
							Rule    string `json:"rule"`
							Message string `json:"message"`
						} `json:"findings"`
					} `json:"results"`
				} `json:"report"`
			}
			r.json(t, &got)
			if got.Report.Locale != tt.want {
				t.Errorf("locale %q, want %q", got.Report.Locale, tt.want)
			}
			if got.Report.LabelText == "" {
				t.Error("no label_text")
			}
			found := false
			for _, f := range got.Report.Results[0].Findings {
				if f.Rule == "seo.text_length" {
					found = true
					if !strings.HasPrefix(f.Message, tt.wantText) {
						t.Errorf("seo.text_length message %q, want it to start with %q", f.Message, tt.wantText)
					}
				}
			}
			if !found {
				t.Error("no seo.text_length finding")
			}
		})
	}
}
