package analyze

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// htmlBlockTags end the current block when they open or close.
var htmlBlockTags = map[string]BlockKind{
	"p": BlockParagraph, "div": BlockParagraph, "section": BlockParagraph, "article": BlockParagraph,
	"main": BlockParagraph, "header": BlockParagraph, "footer": BlockParagraph, "aside": BlockParagraph,
	"nav": BlockParagraph, "figure": BlockParagraph, "figcaption": BlockParagraph, "address": BlockParagraph,
	"details": BlockParagraph, "summary": BlockParagraph, "dialog": BlockParagraph, "fieldset": BlockParagraph,
	"form": BlockParagraph, "dl": BlockParagraph, "dt": BlockParagraph, "dd": BlockParagraph,
	"body": BlockParagraph, "html": BlockParagraph, "head": BlockParagraph, "hr": BlockParagraph,
	"table": BlockParagraph, "tr": BlockParagraph, "thead": BlockParagraph, "tbody": BlockParagraph,
	"tfoot": BlockParagraph, "caption": BlockParagraph, "hgroup": BlockParagraph, "legend": BlockParagraph,
	"h1": BlockHeading, "h2": BlockHeading, "h3": BlockHeading, "h4": BlockHeading, "h5": BlockHeading, "h6": BlockHeading,
	"li": BlockListItem, "ul": BlockParagraph, "ol": BlockParagraph, "menu": BlockParagraph,
	"blockquote": BlockQuote, "td": BlockTableCell, "th": BlockTableCell, "pre": BlockCode,
}

// htmlSkipTags hold no readable content, or page chrome (navigation,
// footer, sidebar) rather than the content being analyzed; their text and
// links are ignored.
var htmlSkipTags = map[string]bool{
	"nav": true, "footer": true, "aside": true,
	"script": true, "style": true, "noscript": true, "template": true, "svg": true, "math": true,
	"textarea": true, "select": true, "iframe": true, "object": true, "canvas": true,
	"noembed": true, "noframes": true, "xmp": true, "plaintext": true,
	// Inline code is not prose: Yoast leaves it out of every count too.
	"code": true,
}

// htmlOpen is an open block-level element.
type htmlOpen struct {
	tag  string
	kind BlockKind
}

// parseHTML tokenizes the input with golang.org/x/net/html, tracking the
// byte offset of every token, and builds blocks, links, images, the title,
// the meta description and the canonical URL.
func parseHTML(b *builder) {
	parseHTMLRange(b, 0, len(b.d.Source))
	classifyLinks(b.d)
}

// parseHTMLRange parses the HTML in Source[from:to]: the whole input, or
// an HTML block inside Markdown.
func parseHTMLRange(b *builder, from, to int) {
	d := b.d
	src := d.Source
	z := html.NewTokenizer(strings.NewReader(src[from:to]))
	z.SetMaxBuf(0)
	off := from
	var stack []htmlOpen // open block elements
	skip := 0            // depth inside skipped elements
	rawTag := ""         // the element whose raw text follows
	inTitle := false
	titleSet := false
	var title strings.Builder
	// the open <a>, if any
	var link *Link
	linkTextAt := 0
	anchorsOpen := false

	current := func() (BlockKind, int) {
		lists := 0
		for _, o := range stack {
			if o.tag == "ul" || o.tag == "ol" || o.tag == "menu" {
				lists++
			}
		}
		for i := len(stack) - 1; i >= 0; i-- {
			o := stack[i]
			switch o.kind {
			case BlockHeading:
				return BlockHeading, int(o.tag[1] - '0')
			case BlockListItem:
				return BlockListItem, max(lists, 1)
			case BlockQuote, BlockTableCell, BlockCode:
				return o.kind, 0
			}
		}
		return BlockParagraph, 0
	}

	for {
		tt := z.Next()
		raw := z.Raw()
		start := off
		off += len(raw)
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if rawTag != "" {
				if inTitle && !titleSet {
					title.WriteString(html.UnescapeString(src[start:off]))
				}
				continue
			}
			if skip > 0 {
				continue
			}
			if !b.open {
				k, l := current()
				b.begin(k, l)
			}
			b.withEntities(start, off, false)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tag := tagOf(raw)
			if tag == "" {
				continue // an inline element the parser does not act on
			}
			if tt != html.EndTagToken {
				switch tag {
				case "script", "style", "noscript", "textarea", "title", "iframe", "noembed", "noframes", "xmp", "plaintext":
					rawTag = tag
					inTitle = tag == "title"
				}
			} else if tag == rawTag {
				if inTitle && !titleSet {
					d.Title = strings.Join(strings.Fields(title.String()), " ")
					titleSet = true
				}
				rawTag, inTitle = "", false
			}
			if htmlSkipTags[tag] && rawTag != tag {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				if tt != html.SelfClosingTagToken && tag != "code" { // inline code leaves the sentence whole
					b.end()
				}
				continue
			}
			if rawTag == tag {
				b.end()
				continue
			}
			if skip > 0 {
				continue
			}
			var attrs htmlAttrs
			if tt != html.EndTagToken && (tag == "a" || tag == "img" || tag == "meta" || tag == "link") {
				attrs.read(z)
			}
			if kind, ok := htmlBlockTags[tag]; ok {
				b.end()
				if tt == html.StartTagToken && tag != "hr" {
					// Elements that close an open one of their kind implicitly.
					if n := len(stack); n > 0 && implicitClose(stack[n-1].tag, tag) {
						stack = stack[:n-1]
					}
					if len(stack) < maxHTMLDepth {
						stack = append(stack, htmlOpen{tag, kind})
					}
				} else if tt == html.EndTagToken {
					for i := len(stack) - 1; i >= 0; i-- {
						if stack[i].tag == tag {
							stack = stack[:i]
							break
						}
					}
				}
				continue
			}
			switch tag {
			case "br", "wbr":
				if b.open {
					b.space(start)
				}
			case "a":
				if tt == html.EndTagToken {
					if link != nil && anchorsOpen {
						link.Text = b.textFrom(linkTextAt)
						link.Span.End = off
						d.Links = append(d.Links, *link)
						link = nil
					}
					anchorsOpen = false
					continue
				}
				href := attrs.href
				if !attrs.hasHref || !isNavigable(href) {
					continue
				}
				link = &Link{Href: strings.TrimSpace(href), Rel: strings.ToLower(strings.TrimSpace(attrs.rel)), Span: Span{start, off}}
				linkTextAt = len(b.text)
				anchorsOpen = true
				if tt == html.SelfClosingTagToken {
					d.Links = append(d.Links, *link)
					link, anchorsOpen = nil, false
				}
			case "img":
				if tt != html.EndTagToken {
					b.skipped()
					d.Images = append(d.Images, Image{Src: strings.TrimSpace(attrs.src), Alt: strings.TrimSpace(attrs.alt), Span: Span{start, off}})
				}
			case "meta":
				if strings.EqualFold(attrs.name, "description") && d.MetaDescription == "" {
					d.MetaDescription = strings.Join(strings.Fields(attrs.content), " ")
				}
			case "link":
				if hasToken(attrs.rel, "canonical") && d.Canonical == "" {
					d.Canonical = strings.TrimSpace(attrs.href)
				}
			}
		}
	}
	if link != nil && anchorsOpen {
		link.Text = b.textFrom(linkTextAt)
		link.Span.End = to
		d.Links = append(d.Links, *link)
	}
	if inTitle && !titleSet {
		d.Title = strings.Join(strings.Fields(title.String()), " ")
	}
	b.end()
}

// inlineTag reads one tag of inline HTML in Markdown ("<a href=…>",
// "</a>", "<img …>", "<br>"): its name if the parser acts on it, its
// attributes, and whether it is an end tag.
func inlineTag(raw string) (tag string, attrs htmlAttrs, end bool) {
	z := html.NewTokenizer(strings.NewReader(raw))
	switch z.Next() {
	case html.StartTagToken, html.SelfClosingTagToken:
		tag = tagOf(z.Raw())
		if tag == "a" || tag == "img" {
			attrs.read(z)
		}
	case html.EndTagToken:
		tag, end = tagOf(z.Raw()), true
	}
	return tag, attrs, end
}

// knownTags are the tag names the parser acts on. internTag returns them
// without allocating; other names become "".
var knownTags = func() map[string]string {
	m := map[string]string{}
	for t := range htmlBlockTags {
		m[t] = t
	}
	for t := range htmlSkipTags {
		m[t] = t
	}
	for _, t := range []string{"a", "img", "meta", "link", "br", "wbr", "title", "script", "style", "noscript", "textarea", "iframe", "noembed", "noframes", "xmp", "plaintext"} {
		m[t] = t
	}
	return m
}()

// tagOf returns the lower-cased name of the tag whose raw text is raw
// ("<P class=x>", "</li>") if the parser acts on it, else "". Reading the
// name from the raw bytes avoids the copy Tokenizer.TagName makes.
func tagOf(raw []byte) string {
	i := 1
	if i < len(raw) && raw[i] == '/' {
		i++
	}
	var buf [16]byte
	n := 0
	for ; i < len(raw); i++ {
		c := raw[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>' {
			break
		}
		if n == len(buf) {
			return ""
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return knownTags[string(buf[:n])] // the conversion does not allocate in a map index
}

// htmlAttrs are the attributes the parser reads from a, img, meta and link.
type htmlAttrs struct {
	href, rel, src, alt, name, content string
	hasHref                            bool
}

// read reads the current tag's attributes; the first of each name wins.
func (a *htmlAttrs) read(z *html.Tokenizer) {
	var seen [6]bool
	for {
		k, v, more := z.TagAttr()
		if k == nil {
			return
		}
		i := -1
		switch string(k) {
		case "href":
			i = 0
		case "rel":
			i = 1
		case "src":
			i = 2
		case "alt":
			i = 3
		case "name":
			i = 4
		case "content":
			i = 5
		}
		if i >= 0 && !seen[i] {
			seen[i] = true
			val := string(v)
			switch i {
			case 0:
				a.href, a.hasHref = val, true
			case 1:
				a.rel = val
			case 2:
				a.src = val
			case 3:
				a.alt = val
			case 4:
				a.name = val
			case 5:
				a.content = val
			}
		}
		if !more {
			return
		}
	}
}

// maxHTMLDepth bounds the stack of open block elements, so hostile input
// cannot make parsing quadratic.
const maxHTMLDepth = 256

// implicitClose reports whether a start tag next closes the open element top.
func implicitClose(top, next string) bool {
	switch next {
	case "li", "dt", "dd", "td", "th", "tr":
		return top == next || (next == "dt" || next == "dd") && (top == "dt" || top == "dd") || (next == "td" || next == "th") && (top == "td" || top == "th")
	case "h1", "h2", "h3", "h4", "h5", "h6":
		return len(top) == 2 && top[0] == 'h' && top[1] >= '1' && top[1] <= '6'
	}
	return top == "p"
}

// hasToken reports whether the space-separated list s contains tok.
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// isNavigable reports whether href leads to a page: not empty, not a
// fragment-only, mailto:, tel: or javascript: link.
func isNavigable(href string) bool {
	h := strings.TrimSpace(href)
	if h == "" || h[0] == '#' {
		return false
	}
	lower := strings.ToLower(h)
	for _, p := range []string{"mailto:", "tel:", "javascript:", "data:", "sms:"} {
		if strings.HasPrefix(lower, p) {
			return false
		}
	}
	return true
}

// classifyLinks marks links internal when they are relative or point to the
// host of the canonical URL.
func classifyLinks(d *Doc) {
	host := ""
	if d.Canonical != "" {
		if u, err := url.Parse(d.Canonical); err == nil {
			host = strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		}
	}
	for i := range d.Links {
		l := &d.Links[i]
		u, err := url.Parse(l.Href)
		if err != nil {
			continue
		}
		if u.Host == "" && u.Scheme == "" {
			l.Internal = true
			continue
		}
		if host != "" && strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.") == host {
			l.Internal = true
		}
	}
}
