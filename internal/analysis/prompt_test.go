package analysis

import (
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestDeepPromptLocale: the model is asked to write its messages in the
// report's locale (English when none) and its suggestions in the content's
// language, and answers for one locale are never served for another.
func TestDeepPromptLocale(t *testing.T) {
	t.Parallel()
	tmpl := deepTemplate(nil)
	for _, tc := range []struct {
		locale, want string
	}{{"de", "Write each message in German;"}, {"", "Write each message in English;"}, {"nl", "Write each message in Dutch;"}} {
		req, err := deepRequest(tmpl, deepParams{lang: "nl", locale: tc.locale, t: analyze.TypeGrammar}, []string{"Hij vind het mooi."})
		if err != nil {
			t.Fatal(err)
		}
		prompt := req.Messages[0].Content
		if !strings.Contains(prompt, tc.want) || !strings.Contains(prompt, "suggestion in the content's own language") {
			t.Errorf("locale %q: prompt %q, want %q", tc.locale, prompt, tc.want)
		}
		if !strings.Contains(prompt, "Content language: nl.") || !strings.Contains(prompt, "[1] Hij vind het mooi.") {
			t.Errorf("locale %q: prompt %q lacks the content language or the block", tc.locale, prompt)
		}
	}
	job := &copydesk.Job{CustomerID: "cus_1"}
	de := blockRequest(job, "set", tmpl.Version, deepParams{lang: "nl", locale: "de", t: analyze.TypeGrammar}, "Hij vind het mooi.")
	en := blockRequest(job, "set", tmpl.Version, deepParams{lang: "nl", locale: "en", t: analyze.TypeGrammar}, "Hij vind het mooi.")
	if de.Key == en.Key {
		t.Error("the block's cache key does not depend on the locale: German messages would be served to English readers")
	}
}
