package translation

import (
	"regexp"
	"strings"
	"sync"
)

// Markdown is segmented block by block: each heading, paragraph, list item,
// blockquote paragraph and table cell is one segment. Front matter, fenced
// and indented code, HTML blocks, thematic breaks and table delimiter rows
// stay literal; inside a segment, inline code, link and image destinations,
// autolinks and inline HTML become placeholders (a link's text and an
// image's alt text are translated). A soft line break inside a paragraph is
// a space to the model, so a translated paragraph comes back on one line.
//
// A translation is written back with what would be Markdown syntax of its
// own escaped (escapeMarkdown), so that neither a model nor an imported
// memory entry can add HTML, a link, a table cell or a block.

// mdLine is one input line: start and end of its text (without the line
// ending) in the input, and the end including the line ending.
type mdLine struct {
	start, end, next int
}

func splitLines(s string) []mdLine {
	var out []mdLine
	for at := 0; at < len(s); {
		i := strings.IndexByte(s[at:], '\n')
		next := len(s)
		end := len(s)
		if i >= 0 {
			end = at + i
			next = end + 1
		}
		if end > at && s[end-1] == '\r' {
			end--
		}
		out = append(out, mdLine{start: at, end: end, next: next})
		at = next
	}
	return out
}

var (
	mdFenceRE    = regexp.MustCompile("^(```+|~~~+)")
	mdHeadingRE  = regexp.MustCompile(`^#{1,6}(?:[ \t]+|$)`)
	mdClosingRE  = regexp.MustCompile(`(?:^|[ \t]+)#+[ \t]*$`)
	mdBreakRE    = regexp.MustCompile(`^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|=+[ \t]*)$`)
	mdListRE     = regexp.MustCompile(`^(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]+(?:\[[ xX]\][ \t]+)?|$)`)
	mdDelimRE    = regexp.MustCompile(`^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$`)
	mdHTMLOpenRE = regexp.MustCompile(`^<(?:/?(?:address|article|aside|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|section|source|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul|script|pre|style|textarea)(?:[ \t/>]|$)|!--|\?|![A-Za-z]|!\[CDATA\[)`)
	mdHTMLTagRE  = regexp.MustCompile(`^(?:<[A-Za-z][A-Za-z0-9-]*(?:[ \t]+[A-Za-z_:][A-Za-z0-9_.:-]*(?:[ \t]*=[ \t]*(?:"[^"]*"|'[^']*'|[^ \t"'=<>` + "`" + `]+))?)*[ \t]*/?>|</[A-Za-z][A-Za-z0-9-]*[ \t]*>)[ \t]*$`)
	// mdRefDefRE is compiled on first use: {1,999} makes a large program.
	mdRefDefRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[[^\]]{1,999}\]:[ \t]*\S`) })
	mdAutoRE   = regexp.MustCompile(`^<(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>]+)>`)
	mdInlineRE = regexp.MustCompile(`^(?:</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--[\s\S]*?-->)`)
)

// container strips the container markers of a line body: up to three
// spaces of indentation and blockquote markers. It returns the length of
// the prefix and the quote depth.
func container(s string) (n, depth int) {
	for {
		i := n
		sp := 0
		for i < len(s) && s[i] == ' ' && sp < 3 {
			i++
			sp++
		}
		if i < len(s) && s[i] == '>' {
			i++
			if i < len(s) && (s[i] == ' ' || s[i] == '\t') {
				i++
			}
			n = i
			depth++
			continue
		}
		return n, depth
	}
}

// indentWidth is the indentation of s in columns (a tab counts 4).
func indentWidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			w++
		case '\t':
			w += 4
		default:
			return w
		}
	}
	return w
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// segmentMarkdown cuts Markdown into segments (see above).
func segmentMarkdown(content string, dnt []string) *document {
	d := &document{}
	b := &builder{md: mdBlock}
	lines := splitLines(content)
	lineText := func(l mdLine) string { return content[l.start:l.end] }
	i := 0
	// Front matter: a first line "---" up to the next "---" or "...".
	if len(lines) > 0 && strings.TrimRight(lineText(lines[0]), " \t") == "---" {
		for j := 1; j < len(lines); j++ {
			if t := strings.TrimRight(lineText(lines[j]), " \t"); t == "---" || t == "..." {
				d.lit(content[:lines[j].next])
				i = j + 1
				break
			}
		}
	}
	literalLine := func(l mdLine) { d.lit(content[l.start:l.next]) }
	for i < len(lines) {
		l := lines[i]
		text := lineText(l)
		pn, depth := container(text)
		body := text[pn:]
		switch {
		case isBlank(body):
			literalLine(l)
			i++
			continue
		case indentWidth(body) >= 4 && !mdListRE.MatchString(strings.TrimLeft(body, " \t")):
			// Indented code, up to a line indented less.
			for i < len(lines) {
				t := lineText(lines[i])
				cn, _ := container(t)
				if !isBlank(t[cn:]) && indentWidth(t[cn:]) < 4 {
					break
				}
				literalLine(lines[i])
				i++
			}
			continue
		}
		body = strings.TrimLeft(body, " \t")
		pn = len(text) - len(body)
		if m := mdFenceRE.FindString(body); m != "" {
			literalLine(l)
			i++
			for i < len(lines) {
				t := lineText(lines[i])
				cn, _ := container(t)
				inner := strings.TrimLeft(t[cn:], " \t")
				literalLine(lines[i])
				i++
				if strings.HasPrefix(inner, m) && strings.Trim(inner, m[:1]+" \t") == "" {
					break
				}
			}
			continue
		}
		if mdBreakRE.MatchString(body) {
			literalLine(l)
			i++
			continue
		}
		if mdRefDefRE().MatchString(body) {
			literalLine(l)
			i++
			continue
		}
		if mdHTMLOpenRE.MatchString(body) || mdHTMLTagRE.MatchString(body) {
			for i < len(lines) && !isBlank(lineText(lines[i])) {
				literalLine(lines[i])
				i++
			}
			continue
		}
		if m := mdHeadingRE.FindString(body); m != "" {
			inner := body[len(m):]
			closing := mdClosingRE.FindString(inner)
			if closing == inner {
				literalLine(l)
				i++
				continue
			}
			d.lit(text[:pn+len(m)])
			start := l.start + pn + len(m)
			scanInline(b, content, start, l.end-len(closing), nil, dnt)
			b.flush(d)
			d.lit(content[l.end-len(closing) : l.next])
			i++
			continue
		}
		if strings.Contains(body, "|") && i+1 < len(lines) {
			nt := lineText(lines[i+1])
			cn, _ := container(nt)
			if mdDelimRE.MatchString(nt[cn:]) && strings.Contains(nt[cn:], "-") {
				i = segmentTable(d, b, content, lines, i, dnt)
				continue
			}
		}
		// A paragraph or list item, with its continuation lines.
		if m := mdListRE.FindString(body); m != "" {
			pn += len(m)
		}
		d.lit(text[:pn])
		start := l.start + pn
		end := l.end
		var breaks [][2]int
		j := i + 1
		for ; j < len(lines); j++ {
			t := lineText(lines[j])
			cn, cdepth := container(t)
			inner := t[cn:]
			if isBlank(inner) || cdepth > depth {
				break
			}
			trimmed := strings.TrimLeft(inner, " \t")
			if mdFenceRE.MatchString(trimmed) || mdBreakRE.MatchString(trimmed) || mdHeadingRE.MatchString(trimmed) ||
				mdListRE.MatchString(trimmed) || mdHTMLOpenRE.MatchString(trimmed) {
				break
			}
			prefix := cn + len(inner) - len(trimmed)
			breaks = append(breaks, [2]int{end, lines[j].start + prefix})
			end = lines[j].end
		}
		scanInline(b, content, start, end, breaks, dnt)
		b.flush(d)
		d.lit(content[end:lines[j-1].next])
		i = j
	}
	return d.finish()
}

// segmentTable segments the table starting at lines[i] (its header row,
// followed by the delimiter row): every cell is a segment, pipes and the
// delimiter row are literal. It returns the index of the first line after
// the table.
func segmentTable(d *document, b *builder, content string, lines []mdLine, i int, dnt []string) int {
	b.md = mdCell
	defer func() { b.md = mdBlock }()
	row := func(l mdLine) {
		t := content[l.start:l.end]
		cn, _ := container(t)
		d.lit(t[:cn])
		at := l.start + cn
		for _, c := range splitCells(content, at, l.end) {
			d.lit(content[at:c[0]])
			scanInline(b, content, c[0], c[1], nil, dnt)
			b.flush(d)
			at = c[1]
		}
		d.lit(content[at:l.next])
	}
	row(lines[i])
	d.lit(content[lines[i+1].start:lines[i+1].next])
	j := i + 2
	for ; j < len(lines); j++ {
		t := content[lines[j].start:lines[j].end]
		cn, _ := container(t)
		if isBlank(t[cn:]) || !strings.Contains(t[cn:], "|") {
			break
		}
		row(lines[j])
	}
	return j
}

// splitCells returns the cell ranges of the table row s[start:end]: the
// text between unescaped pipes outside code spans.
func splitCells(s string, start, end int) [][2]int {
	var cells [][2]int
	at := start
	for k := start; k < end; k++ {
		switch s[k] {
		case '\\':
			k++
		case '`':
			n := runLen(s, k, end, '`')
			if close := findRun(s, k+n, end, n); close >= 0 {
				k = close + n - 1
			} else {
				k += n - 1
			}
		case '|':
			cells = append(cells, [2]int{at, k})
			at = k + 1
		}
	}
	cells = append(cells, [2]int{at, end})
	return cells
}

// runLen is the length of the run of c starting at s[i].
func runLen(s string, i, end int, c byte) int {
	n := 0
	for i+n < end && s[i+n] == c {
		n++
	}
	return n
}

// findRun finds the next run of exactly n backticks in s[from:end].
func findRun(s string, from, end, n int) int {
	for k := from; k < end; {
		if s[k] != '`' {
			k++
			continue
		}
		m := runLen(s, k, end, '`')
		if m == n {
			return k
		}
		k += m
	}
	return -1
}

// maxLinkScan bounds the search for a link's closing bracket, so that
// pathological input stays linear.
const maxLinkScan = 2000

// linkClose finds the end of a link or image whose text starts at s[i]
// (after "[" or "!["): the position of its "]" and the end of its
// destination "(…)" or reference "[…]". ok is false for anything else.
func linkClose(s string, i, end int) (bracket, after int, ok bool) {
	depth := 1
	limit := min(end, i+maxLinkScan)
	k := i
	for ; k < limit; k++ {
		switch s[k] {
		case '\\':
			k++
			continue
		case '`':
			n := runLen(s, k, limit, '`')
			if c := findRun(s, k+n, limit, n); c >= 0 {
				k = c + n - 1
			} else {
				k += n - 1
			}
			continue
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if depth != 0 || k >= limit || k+1 >= end {
		return 0, 0, false
	}
	bracket = k
	switch s[k+1] {
	case '(':
		pd := 0
		for m := k + 1; m < min(end, k+1+maxLinkScan); m++ {
			switch s[m] {
			case '\\':
				m++
			case '\n':
				return 0, 0, false
			case '(':
				pd++
			case ')':
				pd--
				if pd == 0 {
					return bracket, m + 1, true
				}
			}
		}
	case '[':
		for m := k + 2; m < min(end, k+2+maxLinkScan); m++ {
			switch s[m] {
			case '\n', '[':
				return 0, 0, false
			case ']':
				return bracket, m + 1, true
			}
		}
	}
	return 0, 0, false
}

// scanInline adds the inline content s[start:end] to b. breaks are the
// soft line breaks inside it: from the end of one line to the start of the
// next line's text (its container prefix skipped), each read as a space.
func scanInline(b *builder, s string, start, end int, breaks [][2]int, dnt []string) {
	type pending struct{ at, end int }
	var stack []pending
	textAt := start
	flushText := func(to int) {
		if to > textAt {
			addText(b, s[textAt:to], dnt, nil, false)
		}
	}
	limit := func() int {
		if len(stack) > 0 {
			return stack[len(stack)-1].at
		}
		return end
	}
	bi := 0
	for k := start; k < end; {
		if len(stack) > 0 && k == stack[len(stack)-1].at {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			flushText(k)
			b.close(s[p.at:p.end], "link")
			k, textAt = p.end, p.end
			continue
		}
		if bi < len(breaks) && k == breaks[bi][0] {
			flushText(k)
			br := breaks[bi]
			bi++
			b.text(s[br[0]:br[1]], " ")
			k, textAt = br[1], br[1]
			continue
		}
		lim := limit()
		if bi < len(breaks) {
			lim = min(lim, breaks[bi][0])
		}
		c := s[k]
		switch {
		case c == '\\' && k+1 < lim && isASCIIPunct(s[k+1]):
			k += 2
			continue
		case c == '`':
			n := runLen(s, k, lim, '`')
			if close := findRun(s, k+n, lim, n); close >= 0 {
				flushText(k)
				b.empty(s[k : close+n])
				k = close + n
				textAt = k
				continue
			}
			k += n
			continue
		case c == '[' || c == '!' && k+1 < lim && s[k+1] == '[':
			open := 1
			if c == '!' {
				open = 2
			}
			if br, after, ok := linkClose(s, k+open, limit()); ok && !crossesBreak(breaks[bi:], br, after) {
				flushText(k)
				b.open(s[k:k+open], "link")
				stack = append(stack, pending{at: br, end: after})
				k += open
				textAt = k
				continue
			}
		case c == '<':
			rest := s[k:lim]
			m := mdAutoRE.FindString(rest)
			if m == "" {
				m = mdInlineRE.FindString(rest)
			}
			if m != "" {
				flushText(k)
				b.empty(m)
				k += len(m)
				textAt = k
				continue
			}
		}
		k++
	}
	flushText(end)
}

// crossesBreak reports whether [from, to) contains the start of a break.
func crossesBreak(breaks [][2]int, from, to int) bool {
	for _, br := range breaks {
		if br[0] >= to {
			return false
		}
		if br[0] >= from {
			return true
		}
	}
	return false
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// mdLeadRE matches text that would open a block at the start of a line: a
// heading, a blockquote, a list item, a fence, a thematic break.
var mdLeadRE = regexp.MustCompile(`^(?:#{1,6}(?:[ \t]|$)|>|[-+*](?:[ \t]|$)|[0-9]{1,9}[.)](?:[ \t]|$)|` + "```|~~~" + `|(?:[-*_][ \t]*){3,}$)`)

// escapeMarkdown escapes a run of translated text for Markdown: < (HTML,
// autolinks), a ] before ( or [ or at the end of the run (a link's
// destination), | in a table cell, a backslash that would escape what
// follows the run, and at the start of a segment (lead) a block marker.
// Backslash escapes the text already holds are kept; line breaks become
// spaces (a segment's text is one line).
func escapeMarkdown(t string, cell, lead bool) string {
	t = foldLines(t)
	need := lead && mdLeadRE.MatchString(t)
	if !need {
		for i := 0; i < len(t); i++ {
			switch t[i] {
			case '<', ']', '\\':
				need = true
			case '|':
				need = need || cell
			}
		}
		if !need {
			return t
		}
	}
	var b strings.Builder
	b.Grow(len(t) + 8)
	i := 0
	if lead {
		if m := mdLeadRE.FindString(t); m != "" {
			if c := m[0]; c >= '0' && c <= '9' {
				k := strings.IndexAny(m, ".)")
				b.WriteString(m[:k])
				b.WriteByte('\\')
				b.WriteByte(m[k])
				i = k + 1
			} else {
				b.WriteByte('\\')
				b.WriteByte(c)
				i = 1
			}
		}
	}
	for ; i < len(t); i++ {
		c := t[i]
		switch c {
		case '\\':
			if i+1 < len(t) && isASCIIPunct(t[i+1]) {
				b.WriteByte(c)
				b.WriteByte(t[i+1])
				i++
				continue
			}
			if i+1 == len(t) {
				b.WriteString(`\\`)
				continue
			}
		case '<':
			b.WriteString(`\<`)
			continue
		case ']':
			if i+1 == len(t) || t[i+1] == '(' || t[i+1] == '[' {
				b.WriteString(`\]`)
				continue
			}
		case '|':
			if cell {
				b.WriteString(`\|`)
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
