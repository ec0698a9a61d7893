package translation

import (
	"regexp"
	"strings"

	"github.com/copydesk/copydesk/internal/analyze"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// Markdown is segmented block by block, as goldmark parses it (with the
// extensions analysis uses: analyze.MarkdownParser): each heading,
// paragraph (in a list item or a blockquote too) and table cell is one
// segment. Front matter (YAML or TOML), fenced and indented code, HTML
// blocks, link reference definitions, thematic breaks, container markers
// and table pipes and delimiter rows stay literal; inside a segment, inline
// code, link and image destinations, autolinks and inline HTML become
// placeholders (a link's text and an image's alt text are translated). A
// soft line break inside a paragraph is a space to the model, so a
// translated paragraph comes back on one line.
//
// A translation is written back with what would be Markdown syntax of its
// own escaped (escapeMarkdown), so that neither a model nor an imported
// memory entry can add HTML, a link, a table cell or a block.

// segmentMarkdown cuts Markdown into segments (see above). The blocks
// come from goldmark's AST, parsed as analyze.MarkdownParser parses them
// for analysis: each paragraph, heading and table cell covers the source
// its Lines() name, and the source between them (container markers,
// indentation, fences, code, HTML blocks, link reference definitions,
// thematic breaks, pipes) is copied as a literal. Inline markup is read by
// scanInline. Returns EUNPROCESSABLE for Markdown that goldmark cannot
// parse in linear time (analyze.CheckMarkdown).
func segmentMarkdown(content string, dnt []string) (*document, error) {
	if err := analyze.CheckMarkdown(content); err != nil {
		return nil, err
	}
	d := &document{}
	fm := analyze.FrontMatterEnd(content)
	d.lit(content[:fm])
	body := content[fm:]
	root := analyze.MarkdownParser().Parse(text.NewReader([]byte(body)))
	b := &builder{md: mdBlock}
	at := 0 // body[:at] is in d
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
			b.md = mdBlock
		case *east.TableCell:
			b.md = mdCell
		default:
			return ast.WalkContinue, nil
		}
		start, end, breaks, ok := blockRange(body, n)
		// A safeguard: a block whose lines are out of order, or that
		// starts before the end of the previous one, stays literal, so
		// that the parts keep the order of the input.
		if !ok || start < at {
			return ast.WalkSkipChildren, nil
		}
		// A task list item's check box, "- [x] ", is not text.
		if _, heading := n.(*ast.Heading); !heading && n.Parent() != nil && n.Parent().Kind() == ast.KindListItem && n.Parent().FirstChild() == n {
			if m := mdTaskRE.FindString(body[start:end]); m != "" {
				start += len(m)
			}
		}
		d.lit(body[at:start])
		scanInline(b, body, start, end, breaks, dnt)
		b.flush(d)
		at = end
		return ast.WalkSkipChildren, nil
	})
	d.lit(body[at:])
	return d.finish(), nil
}

// mdTaskRE matches the check box that opens a task list item.
var mdTaskRE = regexp.MustCompile(`^\[[ xX]\][ \t]+`)

// blockRange returns the source range of the text of a paragraph, heading
// or table cell: from the start of its first line to the end of its last,
// and the soft line breaks between its lines (from the end of one line's
// text to the start of the next line's, container markers included). ok is
// false for a block without text or with lines out of order.
func blockRange(s string, n ast.Node) (start, end int, breaks [][2]int, ok bool) {
	lines := n.Lines()
	if lines.Len() == 0 {
		return 0, 0, nil, false
	}
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		from := seg.Start
		if from < end || from > len(s) || seg.Stop > len(s) {
			return 0, 0, nil, false
		}
		// A line's text runs to its line ending; goldmark's segment of
		// the last line ends where the block does (before a closing
		// sequence, a pipe, trailing space).
		to := lineEnd(s, from)
		if i == lines.Len()-1 {
			to = min(to, max(seg.Stop, from))
		}
		if i == 0 {
			start = from
		} else {
			breaks = append(breaks, [2]int{end, from})
		}
		end = to
	}
	return start, end, breaks, true
}

// lineEnd returns the end of the line of s holding s[i], before its line
// ending ("\n" or "\r\n").
func lineEnd(s string, i int) int {
	k := strings.IndexByte(s[i:], '\n')
	if k < 0 {
		return len(s)
	}
	k += i
	if k > i && s[k-1] == '\r' {
		k--
	}
	return k
}

// mdAutoRE matches an autolink, mdInlineRE a raw HTML tag or comment.
var (
	mdAutoRE   = regexp.MustCompile(`^<(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>]+)>`)
	mdInlineRE = regexp.MustCompile(`^(?:</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--[\s\S]*?-->)`)
)

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
// heading, a blockquote, a list item, a fence, a thematic break (with the
// literal before the segment too: "* " and "**" make "* **").
var mdLeadRE = regexp.MustCompile(`^(?:#{1,6}(?:[ \t]|$)|>|[-+*](?:[ \t]|$)|[0-9]{1,9}[.)](?:[ \t]|$)|` + "```|~~~" + `|[-*_][-*_ \t]*$)`)

// escapeMarkdown escapes a run of translated text for Markdown: < (HTML,
// autolinks), a ] before ( or [ or at the end of the run (a link's
// destination) or before : (a link reference definition), | in a table
// cell, a backslash that would escape what follows the run, and at the
// start of a segment (lead) a block marker, after dropping the run's
// leading space. Backslash escapes the text already holds are kept; line
// breaks become spaces (a segment's text is one line).
func escapeMarkdown(t string, cell, lead bool) string {
	t = foldLines(t)
	if lead {
		// The segment's own indentation is literal; more would open a
		// block (" # x" is a heading, "    x" code).
		t = strings.TrimLeft(t, " \t")
	}
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
			if i+1 == len(t) || t[i+1] == '(' || t[i+1] == '[' || t[i+1] == ':' {
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
