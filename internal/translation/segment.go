package translation

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// A document is its input cut into literal runs, which are copied to every
// translation unchanged, and segments, which are translated. Concatenating
// the parts of a document with each segment rendered from its own source
// gives back the input byte for byte.
type document struct {
	parts []part
	segs  []*segment
	// run collects the literal run being built; finish (or the next
	// segment) turns it into a part, so that appending stays linear.
	run []byte
}

// part is a literal run (seg < 0) or the segment segs[seg].
type part struct {
	lit string
	seg int
}

// segment is one unit of translation: a paragraph, heading, list item, table
// cell or attribute value.
type segment struct {
	// Source is the text a model and the translation memory see: the
	// segment's text with every piece of markup, variable, URL and
	// do-not-translate term replaced by a numbered placeholder ("<x1>",
	// "</x1>", "<x2/>"). It holds no line break.
	Source string
	// raw is the input bytes the segment covers.
	raw string
	// codes maps each placeholder of Source to the input bytes it stands
	// for.
	codes map[string]string
	// escape encodes translated text for the format (HTML: &, <; nil:
	// unchanged).
	escape func(string) string
	// exact is set when render(Source) without the shortcut gives raw: no
	// text of the segment was decoded or folded.
	exact bool
	// protected are the do-not-translate terms the segment holds.
	protected []string
	// md is set for a Markdown segment (mdBlock, mdCell), whose translated
	// text is escaped by escapeMarkdown.
	md mdKind
}

// mdKind says where a Markdown segment stands.
type mdKind int

const (
	mdNone  mdKind = iota
	mdBlock        // a heading, paragraph or list item
	mdCell         // a table cell: a pipe in the text would split it
)

// render returns the segment's markup for a translation t of Source. An
// identity translation gives back the input bytes.
func (s *segment) render(t string) string {
	if t == s.Source {
		return s.raw
	}
	return s.rebuild(t)
}

// rebuild substitutes the placeholders of t with the bytes they stand for
// and escapes the text between them. Unknown placeholder-like text is
// treated as text (it cannot occur in a validated translation).
func (s *segment) rebuild(t string) string {
	var b strings.Builder
	b.Grow(len(t) + len(s.raw))
	for k, tk := range splitPlaceholders(t) {
		if tk.code {
			if orig, ok := s.codes[tk.text]; ok {
				b.WriteString(orig)
				continue
			}
		}
		switch {
		case s.escape != nil:
			b.WriteString(s.escape(tk.text))
		case s.md != mdNone:
			b.WriteString(escapeMarkdown(tk.text, s.md == mdCell, k == 0))
		default:
			b.WriteString(tk.text)
		}
	}
	return b.String()
}

// render concatenates the document with the given translation of each
// segment (nil: every segment's own source, which gives back the input).
func (d *document) render(texts []string) string {
	var b strings.Builder
	for _, p := range d.parts {
		if p.seg < 0 {
			b.WriteString(p.lit)
			continue
		}
		s := d.segs[p.seg]
		if texts == nil {
			b.WriteString(s.raw)
		} else {
			b.WriteString(s.render(texts[p.seg]))
		}
	}
	return b.String()
}

// placeholderRE matches the placeholders of a segment's source.
var placeholderRE = regexp.MustCompile(`</?x[0-9]+/?>`)

// ptoken is a run of text or one placeholder.
type ptoken struct {
	text string
	code bool
}

// placeholderAt returns the length of the placeholder (placeholderRE)
// starting at s[i], or 0.
func placeholderAt(s string, i int) int {
	if s[i] != '<' {
		return 0
	}
	j := i + 1
	if j < len(s) && s[j] == '/' {
		j++
	}
	if j >= len(s) || s[j] != 'x' {
		return 0
	}
	j++
	d := j
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == d {
		return 0
	}
	if j < len(s) && s[j] == '/' {
		j++
	}
	if j >= len(s) || s[j] != '>' {
		return 0
	}
	return j + 1 - i
}

// eachPlaceholder calls fn with the start and end of each placeholder of
// s, in order.
func eachPlaceholder(s string, fn func(start, end int)) {
	for at := 0; ; {
		k := strings.IndexByte(s[at:], '<')
		if k < 0 {
			return
		}
		at += k
		if n := placeholderAt(s, at); n > 0 {
			fn(at, at+n)
			at += n
			continue
		}
		at++
	}
}

// splitPlaceholders cuts s into text runs and placeholders.
func splitPlaceholders(s string) []ptoken {
	var out []ptoken
	at := 0
	eachPlaceholder(s, func(start, end int) {
		if start > at {
			out = append(out, ptoken{text: s[at:start]})
		}
		out = append(out, ptoken{text: s[start:end], code: true})
		at = end
	})
	if at < len(s) {
		out = append(out, ptoken{text: s[at:]})
	}
	return out
}

// placeholders returns the placeholders of s in order.
func placeholders(s string) []string {
	var out []string
	eachPlaceholder(s, func(start, end int) { out = append(out, s[start:end]) })
	return out
}

// tokKind is the kind of one piece of a segment under construction.
type tokKind int

const (
	tokText  tokKind = iota // translatable text
	tokOpen                 // an opening inline tag: <xN>
	tokClose                // its closing tag: </xN>
	tokEmpty                // markup or protected text: <xN/>
)

// tok is one piece of a segment under construction: raw is its input bytes,
// src what the model sees (text only).
type tok struct {
	kind tokKind
	raw  string
	src  string
	name string // tag name of an open or close token, for pairing
	pair int    // index of the matching token, -1 if none
	// attrs marks an HTML tag whose translatable attributes become
	// segments when the tag ends up outside any segment.
	attrs bool
}

// builder collects the pieces of one segment candidate and turns them into
// literal runs and at most one segment.
type builder struct {
	toks      []tok
	escape    func(string) string
	md        mdKind // the kind of Markdown segments built (mdNone: not Markdown)
	protected []string
	dnt       []string // do-not-translate terms, for attribute segments
	// opens are the indexes of the open tokens not yet closed, innermost
	// last: a close pairs with the top one or with none.
	opens []int
}

func (b *builder) text(raw, src string) {
	if raw == "" {
		return
	}
	if strings.ContainsAny(src, "\r\n") { // a segment's source holds no line break
		src = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(src)
	}
	b.toks = append(b.toks, tok{kind: tokText, raw: raw, src: src, pair: -1})
}

// open adds an opening inline tag; close pairs with the latest unpaired
// open of the same name, or becomes an empty placeholder.
func (b *builder) open(raw, name string) {
	b.opens = append(b.opens, len(b.toks))
	b.toks = append(b.toks, tok{kind: tokOpen, raw: raw, name: name, pair: -1})
}

func (b *builder) close(raw, name string) {
	if n := len(b.opens); n > 0 {
		i := b.opens[n-1]
		// A close of another name than the innermost open is a crossing
		// tag: it stays opaque markup.
		if t := &b.toks[i]; t.name == name {
			b.opens = b.opens[:n-1]
			t.pair = len(b.toks)
			b.toks = append(b.toks, tok{kind: tokClose, raw: raw, name: name, pair: i})
			return
		}
	}
	b.empty(raw)
}

func (b *builder) empty(raw string) {
	if raw == "" {
		return
	}
	b.toks = append(b.toks, tok{kind: tokEmpty, raw: raw, pair: -1})
}

func (b *builder) reset() {
	b.toks = b.toks[:0]
	b.opens = b.opens[:0]
	b.protected = nil
}

// flush appends the collected pieces to d: leading and trailing white
// space stays literal, the rest becomes one segment if its text holds a
// letter (numbers, symbols and markup alone are not translated).
func (b *builder) flush(d *document) {
	defer b.reset()
	toks := b.toks
	if len(toks) == 0 {
		return
	}
	// An open without its close is markup like any other.
	for i := range toks {
		if toks[i].kind == tokOpen && toks[i].pair < 0 {
			toks[i].kind = tokEmpty
		}
	}
	hasLetter := false
	for _, t := range toks {
		if t.kind == tokText && strings.IndexFunc(t.src, unicode.IsLetter) >= 0 {
			hasLetter = true
			break
		}
	}
	if !hasLetter {
		for _, t := range toks {
			if t.attrs {
				tagAttrs(d, t.raw, "", b.dnt)
			} else {
				d.lit(t.raw)
			}
		}
		return
	}
	// Leading and trailing white space stays literal, and so do leading and
	// trailing tags whose attributes are segments of their own (an image
	// before a caption); other markup and protected text stay in the
	// segment, where the model can place them.
	lo, hi := 0, len(toks)
	for lo < hi {
		t := &toks[lo]
		if t.kind == tokEmpty && t.attrs {
			tagAttrs(d, t.raw, "", b.dnt)
			lo++
			continue
		}
		if t.kind == tokText {
			trimmed := strings.TrimLeftFunc(t.raw, unicode.IsSpace)
			d.lit(t.raw[:len(t.raw)-len(trimmed)])
			if trimmed == "" {
				lo++
				continue
			}
			t.raw = trimmed
			t.src = strings.TrimLeftFunc(t.src, unicode.IsSpace)
		}
		break
	}
	var trail []tok // in reverse order
	for hi > lo {
		t := &toks[hi-1]
		if t.kind == tokEmpty && t.attrs {
			trail = append(trail, *t)
			hi--
			continue
		}
		if t.kind == tokText {
			trimmed := strings.TrimRightFunc(t.raw, unicode.IsSpace)
			if ws := t.raw[len(trimmed):]; ws != "" {
				trail = append(trail, tok{kind: tokText, raw: ws})
			}
			if trimmed == "" {
				hi--
				continue
			}
			t.raw = trimmed
			t.src = strings.TrimRightFunc(t.src, unicode.IsSpace)
		}
		break
	}

	s := &segment{codes: map[string]string{}, escape: b.escape, md: b.md, exact: true, protected: b.protected}
	var src, raw strings.Builder
	n := 0
	num := make(map[int]int) // index of an open token → its number
	for i := lo; i < hi; i++ {
		t := toks[i]
		raw.WriteString(t.raw)
		var code string
		switch t.kind {
		case tokText:
			src.WriteString(t.src)
			if t.src != t.raw || b.escape != nil && b.escape(t.src) != t.raw || b.md != mdNone && escapeMarkdown(t.src, b.md == mdCell, i == lo) != t.raw {
				s.exact = false
			}
			continue
		case tokOpen:
			n++
			num[i] = n
			code = "<x" + strconv.Itoa(n) + ">"
		case tokClose:
			code = "</x" + strconv.Itoa(num[t.pair]) + ">"
		case tokEmpty:
			n++
			code = "<x" + strconv.Itoa(n) + "/>"
		}
		s.codes[code] = t.raw
		src.WriteString(code)
	}
	s.Source = src.String()
	s.raw = raw.String()
	d.endRun()
	d.segs = append(d.segs, s)
	d.parts = append(d.parts, part{seg: len(d.segs) - 1})
	for k := len(trail) - 1; k >= 0; k-- {
		if trail[k].attrs {
			tagAttrs(d, trail[k].raw, "", b.dnt)
		} else {
			d.lit(trail[k].raw)
		}
	}
}

// lit appends s to the current literal run.
func (d *document) lit(s string) {
	d.run = append(d.run, s...)
}

// endRun ends the current literal run, if any, before a segment.
func (d *document) endRun() {
	if len(d.run) > 0 {
		d.parts = append(d.parts, part{lit: string(d.run), seg: -1})
		d.run = d.run[:0]
	}
}

// finish ends the document's last literal run; every segmenter calls it
// before returning the document.
func (d *document) finish() *document {
	d.endRun()
	d.run = nil
	return d
}
