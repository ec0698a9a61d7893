package analyze

import "strings"

// parseText splits plain text into blocks: paragraphs are separated by blank
// lines; a line starting with a list marker ("- ", "* ", "+ ", "• ", "1. ",
// "1) ") starts a list item; other lines continue the current block.
func parseText(b *builder) {
	src := b.d.Source
	inBlock := false
	for pos := 0; pos < len(src); {
		end := strings.IndexByte(src[pos:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += pos
		}
		line := src[pos:end]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			b.end()
			inBlock = false
		default:
			lead := len(line) - len(strings.TrimLeft(line, " \t"))
			if m := listMarkerLen(line[lead:]); m > 0 {
				b.begin(BlockListItem, 1+lead/2)
				b.literal(pos+lead+m, end)
				inBlock = true
			} else {
				if !inBlock {
					b.begin(BlockParagraph, 0)
					inBlock = true
				}
				if pos > 0 {
					b.space(pos - 1) // the newline
				}
				b.literal(pos, end)
			}
		}
		pos = end + 1
	}
}

// listMarkerLen returns the length of a list marker with its following
// space at the start of s, or 0.
func listMarkerLen(s string) int {
	if len(s) >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && (s[1] == ' ' || s[1] == '\t') {
		return 2
	}
	if strings.HasPrefix(s, "• ") {
		return len("• ")
	}
	i := 0
	for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && (s[i+1] == ' ' || s[i+1] == '\t') {
		return i + 2
	}
	return 0
}
