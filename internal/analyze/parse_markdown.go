package analyze

import (
	"slices"
	"strings"
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// markdownParser is built on first use; it is read-only after construction
// and safe for concurrent use: goldmark's parser keeps per-parse state in
// its context.
var markdownParser = sync.OnceValue(func() parser.Parser {
	return goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify)).Parser()
})

// MarkdownParser returns the goldmark parser every reader of Markdown in
// Copydesk uses (analysis here, segmentation in translation), so that they
// agree on block boundaries: CommonMark with GFM tables, strikethrough and
// bare URLs. It is shared and safe for concurrent use. Check content with
// CheckMarkdown before parsing it.
func MarkdownParser() parser.Parser { return markdownParser() }

// CheckMarkdown returns EUNPROCESSABLE for Markdown on which goldmark's
// time grows quadratically: lists or quotes nested more than 32 levels on
// one line, or more than 64 "[" or "(" unclosed in one paragraph.
func CheckMarkdown(content string) error {
	if depth := markdownNesting(content); depth > maxMarkdownNesting {
		return copydesk.Errorf(copydesk.EUNPROCESSABLE, "markdown nests lists or quotes %d levels deep; at most %d are supported", depth, maxMarkdownNesting)
	}
	if open := markdownBrackets(content); open > maxMarkdownBrackets {
		return copydesk.Errorf(copydesk.EUNPROCESSABLE, "markdown has %d unclosed \"[\" or \"(\" in one paragraph; at most %d are supported", open, maxMarkdownBrackets)
	}
	if refs := markdownRefLines(content); refs > maxMarkdownRefLines {
		return copydesk.Errorf(copydesk.EUNPROCESSABLE, "markdown has %d lines starting with \"[\" in one paragraph; at most %d are supported: put a blank line between link reference definitions", refs, maxMarkdownRefLines)
	}
	return nil
}

// parseMarkdown parses CommonMark (with GFM tables, strikethrough and bare
// URLs) with goldmark and builds blocks from the AST, taking the offsets of
// every text node from its segment in the source. HTML blocks at the top
// level are parsed as HTML; inline <a>, <img> and <br> tags are read.
func parseMarkdown(b *builder) {
	d := b.d
	src := []byte(d.Source)
	// Front matter is not Markdown: goldmark would read a YAML block as a
	// thematic break and a setext heading. It is read as blank lines, so
	// that every offset still points into d.Source.
	for i := range FrontMatterEnd(d.Source) {
		if src[i] != '\n' && src[i] != '\r' {
			src[i] = ' '
		}
	}
	root := markdownParser().Parse(text.NewReader(src))
	lists, quotes := 0, 0
	inImage := 0
	inCode := 0
	type openLink struct {
		link   Link
		textAt int
	}
	var links []openLink
	var htmlLinks []openLink // inline <a> tags

	blockKind := func() (BlockKind, int) {
		if lists > 0 {
			return BlockListItem, lists
		}
		if quotes > 0 {
			return BlockQuote, 0
		}
		return BlockParagraph, 0
	}

	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.List:
			if entering {
				lists++
			} else {
				lists--
			}
		case *ast.Blockquote:
			if entering {
				quotes++
			} else {
				quotes--
			}
		case *ast.Heading:
			if entering {
				b.begin(BlockHeading, n.Level)
			} else {
				b.end()
			}
		case *ast.Paragraph, *ast.TextBlock:
			if entering {
				k, l := blockKind()
				b.begin(k, l)
			} else {
				b.end()
			}
		case *east.TableCell:
			if entering {
				b.begin(BlockTableCell, 0)
			} else {
				b.end()
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			if entering {
				b.begin(BlockCode, 0)
				lines := n.Lines()
				for i := 0; i < lines.Len(); i++ {
					seg := lines.At(i)
					b.literal(seg.Start, seg.Stop)
				}
				b.end()
			}
			return ast.WalkSkipChildren, nil
		case *ast.HTMLBlock:
			b.end()
			// An HTML block at the top level is contiguous in the source:
			// parse it as HTML. Inside lists and quotes its lines carry
			// markers, so it is skipped.
			if lines := n.Lines(); entering && lines.Len() > 0 && lists == 0 && quotes == 0 {
				to := lines.At(lines.Len() - 1).Stop
				if n.HasClosure() {
					to = n.ClosureLine.Stop
				}
				parseHTMLRange(b, lines.At(0).Start, min(to, len(src)))
			}
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			if !entering {
				break
			}
			seg := n.Segment
			if inImage > 0 {
				break
			}
			if !b.open {
				k, l := blockKind()
				b.begin(k, l)
			}
			if inCode > 0 {
				b.literal(seg.Start, seg.Stop)
			} else {
				b.withEntities(seg.Start, seg.Stop, true)
			}
			if (n.SoftLineBreak() || n.HardLineBreak()) && seg.Stop < len(src) {
				b.space(seg.Stop)
			}
		case *ast.CodeSpan:
			if entering {
				inCode++
			} else {
				inCode--
			}
		case *ast.RawHTML:
			segs := n.Segments
			if !entering || segs.Len() == 0 {
				return ast.WalkSkipChildren, nil
			}
			from, to := segs.At(0).Start, segs.At(segs.Len()-1).Stop
			tag, attrs, end := inlineTag(d.Source[from:to])
			switch {
			case tag == "br" && b.open:
				b.space(from)
			case tag == "img" && !end:
				d.Images = append(d.Images, Image{Src: strings.TrimSpace(attrs.src), Alt: strings.TrimSpace(attrs.alt), Span: Span{from, to}})
				b.skipped()
			case tag == "a" && !end && attrs.hasHref && isNavigable(attrs.href):
				htmlLinks = append(htmlLinks, openLink{Link{Href: strings.TrimSpace(attrs.href), Rel: strings.ToLower(strings.TrimSpace(attrs.rel)), Span: Span{from, to}}, len(b.text)})
			case tag == "a" && end && len(htmlLinks) > 0:
				ol := htmlLinks[len(htmlLinks)-1]
				htmlLinks = htmlLinks[:len(htmlLinks)-1]
				ol.link.Text = b.textFrom(ol.textAt)
				ol.link.Span.End = to
				d.Links = append(d.Links, ol.link)
			}
			return ast.WalkSkipChildren, nil
		case *ast.Link:
			if entering {
				links = append(links, openLink{Link{Href: string(n.Destination), Span: Span{max(n.Pos(), 0), max(n.Pos(), 0)}}, len(b.text)})
			} else if len(links) > 0 {
				ol := links[len(links)-1]
				links = links[:len(links)-1]
				ol.link.Text = b.textFrom(ol.textAt)
				ol.link.Span.End = markdownInlineEnd(d.Source, n, ol.link.Span.Start)
				if isNavigable(ol.link.Href) {
					d.Links = append(d.Links, ol.link)
				}
			}
		case *ast.AutoLink:
			if !entering {
				break
			}
			label := string(n.Label(src))
			url := string(n.URL(src))
			if n.AutoLinkType == ast.AutoLinkEmail {
				url = "mailto:" + url
			}
			start := max(n.Pos(), 0)
			if i := strings.Index(d.Source[start:], label); i >= 0 && label != "" {
				start += i
				if !b.open {
					k, l := blockKind()
					b.begin(k, l)
				}
				b.literal(start, start+len(label))
				if isNavigable(url) {
					d.Links = append(d.Links, Link{Href: url, Text: label, Span: Span{start, start + len(label)}})
				}
			}
			return ast.WalkSkipChildren, nil
		case *ast.Image:
			if entering {
				inImage++
				alt := imageAlt(n, src)
				pos := max(n.Pos(), 0)
				d.Images = append(d.Images, Image{Src: string(n.Destination), Alt: alt, Span: Span{pos, markdownInlineEnd(d.Source, n, pos)}})
			} else {
				inImage--
				b.skipped()
			}
		}
		return ast.WalkContinue, nil
	})
	b.end()
	classifyLinks(d)
}

// maxMarkdownNesting bounds how deeply lists and block quotes may nest on
// one line. goldmark's time grows quadratically with the nesting depth
// (20,000 levels take seconds); real documents stay far below 32.
const maxMarkdownNesting = 32

// markdownNesting returns the largest number of container markers ("> ",
// "- ", "* ", "+ ", "1. ", "1) ") that open one line of s.
func markdownNesting(s string) int {
	deepest := 0
	for len(s) > 0 {
		line := s
		if nl := strings.IndexByte(s, '\n'); nl >= 0 {
			line, s = s[:nl], s[nl+1:]
		} else {
			s = ""
		}
		depth := 0
		for i := 0; i < len(line); {
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i >= len(line) {
				break
			}
			c := line[i]
			if c == '>' {
				depth++
				i++
				continue
			}
			if (c == '-' || c == '*' || c == '+') && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t') {
				depth++
				i += 2
				continue
			}
			j := i
			for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j > i && j+1 < len(line) && (line[j] == '.' || line[j] == ')') && (line[j+1] == ' ' || line[j+1] == '\t') {
				depth++
				i = j + 2
				continue
			}
			break
		}
		deepest = max(deepest, depth)
	}
	return deepest
}

// maxMarkdownBrackets bounds the unclosed "[" or "(" in one paragraph.
// goldmark's link parsing is quadratic in them (10,000 "[a](" in one
// paragraph take about a second); prose stays far below 64.
const maxMarkdownBrackets = 64

// markdownBrackets returns the largest number of "[" or "(" open at once
// within one paragraph (text between blank lines) of s; backslash-escaped
// ones do not count.
func markdownBrackets(s string) int {
	deepest, brackets, parens := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			brackets++
			deepest = max(deepest, brackets)
		case ']':
			brackets = max(brackets-1, 0)
		case '(':
			parens++
			deepest = max(deepest, parens)
		case ')':
			parens = max(parens-1, 0)
		case '\n':
			// A blank line ends the paragraph.
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
				j++
			}
			if j >= len(s) || s[j] == '\n' {
				brackets, parens = 0, 0
			}
		}
	}
	return deepest
}

// maxMarkdownRefLines bounds the lines that start with "[" in one
// paragraph. goldmark removes each link reference definition from its
// paragraph by copying the lines after it, which is quadratic in the
// definitions of one paragraph (75,000 in a row take seconds; 4,000 take
// 20 ms).
const maxMarkdownRefLines = 2000

// markdownRefLines returns the largest number of lines of one paragraph
// (text between blank lines) of s whose text, after indentation and
// blockquote markers, starts with "[": every link reference definition
// does.
func markdownRefLines(s string) int {
	most, n := 0, 0
	for len(s) > 0 {
		line := s
		if nl := strings.IndexByte(s, '\n'); nl >= 0 {
			line, s = s[:nl], s[nl+1:]
		} else {
			s = ""
		}
		line = strings.TrimLeft(line, " \t>")
		switch {
		case strings.TrimSpace(line) == "":
			n = 0
		case line[0] == '[':
			n++
			most = max(most, n)
		}
	}
	return most
}

// imageAlt returns the plain text of an image's description.
func imageAlt(n ast.Node, src []byte) string {
	var sb strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			sb.Write(t.Segment.Value(src))
			if t.SoftLineBreak() {
				sb.WriteByte(' ')
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(sb.String())
}

// markdownInlineEnd finds where a link or image that starts at start ends:
// past the last text of its label, the closing bracket and, for an inline
// destination, the closing parenthesis on the same line.
func markdownInlineEnd(src string, n ast.Node, start int) int {
	end := start
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering && t.Segment.Stop > end {
			end = t.Segment.Stop
		}
		return ast.WalkContinue, nil
	})
	if end < start {
		end = start
	}
	// Skip to the closing bracket of the label, then an inline destination.
	if i := strings.IndexByte(src[end:], ']'); i >= 0 && !strings.Contains(src[end:end+i], "\n\n") {
		end += i + 1
		if end < len(src) && src[end] == '(' {
			line := src[end:]
			if nl := strings.IndexByte(line, '\n'); nl >= 0 {
				line = line[:nl]
			}
			depth := 0
			for j := 0; j < len(line); j++ {
				if line[j] == '(' {
					depth++
				} else if line[j] == ')' {
					if depth--; depth == 0 {
						end += j + 1
						break
					}
				}
			}
		}
	}
	if end > len(src) {
		end = len(src)
	}
	return end
}

// FrontMatterEnd returns the length of the front matter that opens s: YAML
// from a first line "---" to the next line "---" or "...", or TOML from
// "+++" to "+++", with the closing line's ending; 0 if s has none. Front
// matter is not Markdown: translation keeps it as it is, and analysis
// reads it as blank lines.
func FrontMatterEnd(s string) int {
	first, _, _ := strings.Cut(s, "\n")
	var closers []string
	switch strings.TrimRight(first, " \t\r") {
	case "---":
		closers = []string{"---", "..."}
	case "+++":
		closers = []string{"+++"}
	default:
		return 0
	}
	for at := len(first) + 1; at < len(s); {
		line, _, more := strings.Cut(s[at:], "\n")
		next := at + len(line) + 1 // past the line's "\n"
		if slices.Contains(closers, strings.TrimRight(line, " \t\r")) {
			return min(next, len(s))
		}
		if !more {
			return 0
		}
		at = next
	}
	return 0
}
