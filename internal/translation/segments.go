package translation

import "github.com/copydesk/copydesk/internal/copydesk"

// Formats of content.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// segmentDoc cuts content of the given format into segments, with the
// do-not-translate terms protected. Returns EINVALID for an unknown format.
func segmentDoc(format, content string, dnt []string) (*document, error) {
	switch format {
	case "", FormatText:
		return segmentText(content, dnt), nil
	case FormatMarkdown:
		return segmentMarkdown(content, dnt)
	case FormatHTML:
		return segmentHTML(content, dnt), nil
	}
	return nil, copydesk.Errorf(copydesk.EINVALID, "unknown format %q: use text, markdown or html", truncate(format, 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
