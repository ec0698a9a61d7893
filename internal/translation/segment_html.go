package translation

import (
	"strings"

	"golang.org/x/net/html"
)

// HTML is segmented with the x/net/html tokenizer, whose tokens keep their
// raw bytes. The text between two block-level tags (p, h1–h6, li, td, th,
// dd, dt, figcaption, blockquote, title, button, label, option, div, …) is
// one segment; inline markup inside it (a, strong, em, span, br, img, …)
// becomes numbered placeholders, so tags, attributes and URLs come back as
// they were. script, style, pre, textarea, template, svg, math, the raw
// text elements xmp, plaintext, noembed and noframes, and code (also inline
// code, kbd, samp and var) are never translated, and neither
// are attribute values, except these, each its own segment, on tags that
// are not inside a text segment: alt, title, placeholder and aria-label
// (quoted values), and the content of <meta name="description"> (and the
// og:/twitter: title and description). Entities are decoded and white
// space folded for the model; a translation is written back with &, < (and
// in attributes the quote) escaped.

// inlineTags are the elements that stay inside a segment as placeholders.
var inlineTags = setOf("a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "data", "dfn", "del", "em", "font",
	"i", "img", "input", "ins", "mark", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "wbr")

// voidTags have no end tag.
var voidTags = setOf("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr")

// opaqueInline are inline elements kept whole as one placeholder.
var opaqueInline = setOf("code", "kbd", "samp", "var")

// skipTags are elements whose content is never translated.
var skipTags = setOf("script", "style", "pre", "textarea", "template", "svg", "math", "noscript", "iframe", "object", "canvas",
	"xmp", "plaintext", "noembed", "noframes")

// textAttrs are the attributes translated as their own segments.
var textAttrs = setOf("alt", "title", "placeholder", "aria-label")

// metaText are the <meta name|property> values whose content is translated.
var metaText = setOf("description", "og:title", "og:description", "twitter:title", "twitter:description")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func escapeHTMLText(s string) string {
	if !strings.ContainsAny(s, "&<") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(s)
}

func escapeAttr(quote byte) func(string) string {
	q, ent := `"`, "&quot;"
	if quote == '\'' {
		q, ent = "'", "&#39;"
	}
	r := strings.NewReplacer("&", "&amp;", q, ent)
	return func(s string) string {
		if !strings.ContainsAny(s, "&"+q) {
			return s
		}
		return r.Replace(s)
	}
}

func decodeHTML(s string) string { return foldSpace(html.UnescapeString(s)) }

// segmentHTML cuts HTML into segments (see above).
func segmentHTML(content string, dnt []string) *document {
	d := &document{}
	b := &builder{escape: escapeHTMLText, dnt: dnt}
	z := html.NewTokenizer(strings.NewReader(content))
	consumed := 0
	next := func() (html.TokenType, string) {
		tt := z.Next()
		if tt == html.ErrorToken {
			return tt, ""
		}
		raw := string(z.Raw())
		consumed += len(raw)
		return tt, raw
	}
	// element returns the raw bytes from the current start tag of name to
	// its matching end tag (or the end of the input).
	element := func(first, name string) string {
		var sb strings.Builder
		sb.WriteString(first)
		depth := 1
		for depth > 0 {
			tt, raw := next()
			if tt == html.ErrorToken {
				break
			}
			sb.WriteString(raw)
			if tt == html.StartTagToken || tt == html.EndTagToken {
				n, _ := z.TagName()
				if string(n) == name {
					if tt == html.StartTagToken {
						depth++
					} else {
						depth--
					}
				}
			}
		}
		return sb.String()
	}
	for {
		tt, raw := next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			addText(b, raw, dnt, decodeHTML, false)
		case html.StartTagToken, html.SelfClosingTagToken:
			n, _ := z.TagName()
			name := string(n)
			switch {
			case opaqueInline[name] && tt == html.StartTagToken:
				b.empty(element(raw, name))
			case inlineTags[name]:
				if tt == html.SelfClosingTagToken || voidTags[name] {
					b.emptyTag(raw)
				} else {
					b.open(raw, name)
				}
			case skipTags[name] && tt == html.StartTagToken:
				b.flush(d)
				d.lit(element(raw, name))
			default:
				b.flush(d)
				tagAttrs(d, raw, name, dnt)
			}
		case html.EndTagToken:
			n, _ := z.TagName()
			if inlineTags[string(n)] {
				b.close(raw, string(n))
			} else {
				b.flush(d)
				d.lit(raw)
			}
		case html.CommentToken:
			b.empty(raw)
		default: // doctype
			b.flush(d)
			d.lit(raw)
		}
	}
	b.flush(d)
	d.lit(content[min(consumed, len(content)):])
	return d.finish()
}

// emptyTag adds an inline tag whose translatable attributes, if it ends up
// outside any segment, are segments of their own.
func (b *builder) emptyTag(raw string) {
	b.empty(raw)
	b.toks[len(b.toks)-1].attrs = true
}

// attr is one attribute of a raw tag: its lower-case name and the byte
// range of its value (quote 0: unquoted or no value).
type attr struct {
	name       string
	start, end int
	quote      byte
}

// scanAttrs reads the attributes of a raw start tag.
func scanAttrs(raw string) []attr {
	var out []attr
	i := 1
	for i < len(raw) && !isTagSpace(raw[i]) && raw[i] != '/' && raw[i] != '>' {
		i++
	}
	for i < len(raw) {
		for i < len(raw) && (isTagSpace(raw[i]) || raw[i] == '/') {
			i++
		}
		if i >= len(raw) || raw[i] == '>' {
			break
		}
		ns := i
		for i < len(raw) && !isTagSpace(raw[i]) && raw[i] != '=' && raw[i] != '>' && (raw[i] != '/' || i == ns) {
			i++
		}
		a := attr{name: strings.ToLower(raw[ns:i]), start: i, end: i}
		j := i
		for j < len(raw) && isTagSpace(raw[j]) {
			j++
		}
		if j < len(raw) && raw[j] == '=' {
			j++
			for j < len(raw) && isTagSpace(raw[j]) {
				j++
			}
			if j < len(raw) && (raw[j] == '"' || raw[j] == '\'') {
				q := raw[j]
				k := strings.IndexByte(raw[j+1:], q)
				if k < 0 {
					return out // unterminated: leave the tag alone
				}
				a.start, a.end, a.quote = j+1, j+1+k, q
				i = j + 1 + k + 1
			} else {
				k := j
				for k < len(raw) && !isTagSpace(raw[k]) && raw[k] != '>' {
					k++
				}
				a.start, a.end = j, k
				i = k
			}
		}
		out = append(out, a)
	}
	return out
}

func isTagSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// tagAttrs appends a tag to d, with the values of its translatable
// attributes as segments.
func tagAttrs(d *document, raw, name string, dnt []string) {
	attrs := scanAttrs(raw)
	translatable := func(a attr) bool {
		if a.quote == 0 || a.end <= a.start {
			return false
		}
		if textAttrs[a.name] {
			return true
		}
		if name == "meta" && a.name == "content" {
			for _, o := range attrs {
				if (o.name == "name" || o.name == "property") && metaText[strings.ToLower(raw[o.start:o.end])] {
					return true
				}
			}
		}
		return false
	}
	at := 0
	for _, a := range attrs {
		if !translatable(a) {
			continue
		}
		d.lit(raw[at:a.start])
		ab := &builder{escape: escapeAttr(a.quote)}
		addText(ab, raw[a.start:a.end], dnt, decodeHTML, false)
		ab.flush(d)
		at = a.end
	}
	d.lit(raw[at:])
}
