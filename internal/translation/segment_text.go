package translation

import "strings"

// segmentText cuts plain text into paragraphs, separated by blank lines;
// sentences are not split. Line breaks inside a paragraph are kept as
// placeholders.
func segmentText(content string, dnt []string) *document {
	d := &document{}
	b := &builder{}
	for len(content) > 0 {
		// A paragraph runs up to the next blank line.
		end, next := paragraphEnd(content)
		addText(b, content[:end], dnt, nil, true)
		b.flush(d)
		d.lit(content[end:next])
		content = content[next:]
	}
	return d.finish()
}

// paragraphEnd returns where the first paragraph of s ends (before the
// line break that precedes a blank line) and where the next one may start
// (after the blank lines).
func paragraphEnd(s string) (end, next int) {
	at := 0
	for {
		i := strings.IndexByte(s[at:], '\n')
		if i < 0 {
			return len(s), len(s)
		}
		nl := at + i
		// Is the line after nl blank?
		j := nl + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
			j++
		}
		if j >= len(s) || s[j] == '\n' {
			end = nl
			if end > 0 && s[end-1] == '\r' {
				end--
			}
			// Skip every following blank line.
			next = nl + 1
			for {
				k := next
				for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r') {
					k++
				}
				if k >= len(s) {
					return end, len(s)
				}
				if s[k] != '\n' {
					return end, next
				}
				next = k + 1
			}
		}
		at = nl + 1
	}
}
