package translation

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// benchPage returns an HTML page of about words words: paragraphs of
// fifty words with a link, bold text and a number, each paragraph
// distinct.
func benchPage(words int) string {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>Copydesk benchmark page</title></head><body>\n<h1>The benchmark page</h1>\n")
	vocab := strings.Fields("the editor writes clear copy for every market and checks each paragraph against the style guide before it is published on the site where readers find answers quickly")
	n := 0
	for p := 0; n < words; p++ {
		fmt.Fprintf(&b, "<p>Paragraph %d: ", p)
		for k := 0; k < 44; k++ {
			b.WriteString(vocab[(p*7+k)%len(vocab)])
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "<a href=\"https://copydesk.example/p/%d\">read more</a> for <strong>%d.99 euro</strong>.</p>\n", p, p%100)
		n += 50
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// BenchmarkTranslateRemembered measures the warm path: a page whose every
// segment is remembered, answered inline without a job.
func BenchmarkTranslateRemembered(b *testing.B) {
	for _, bc := range []struct {
		name  string
		page  string
		langs []string
	}{
		{"1000words-3langs", benchPage(1000), []string{"nl", "de", "fr"}},
		{"500KB-7langs", benchPage(66_000), []string{"nl", "de", "fr", "es", "it", "pt", "da"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if len(bc.page) > MaxContentDefault {
				b.Fatalf("page is %d bytes, over the limit", len(bc.page))
			}
			e := newEnv(b, true)
			e.svc.Languages = []string{"en", "nl", "de", "fr", "es", "it", "pt", "da"}
			req := func() *Request {
				return &Request{Content: bc.page, Format: FormatHTML, SourceLanguage: "en", TargetLanguages: bc.langs}
			}
			e.MustTranslate(b, req())
			ctx := context.Background()
			b.SetBytes(int64(len(bc.page)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				resp, err := e.svc.Translate(ctx, req(), "cust-1", "user-1")
				if err != nil {
					b.Fatal(err)
				}
				if resp.Status != "complete" {
					b.Fatalf("status: got %s, want complete", resp.Status)
				}
			}
		})
	}
}

// BenchmarkSegmentHostile segments inputs that were quadratic: many
// block tags and many unpaired closing tags.
func BenchmarkSegmentHostile(b *testing.B) {
	for _, bc := range []struct{ name, format, input string }{
		{"100k-divs", FormatHTML, strings.Repeat("<div>", 100_000)},
		{"120k-unpaired-closes", FormatHTML, "<p>x" + strings.Repeat("</b>", 120_000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := segmentDoc(bc.format, bc.input, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
