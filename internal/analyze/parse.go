package analyze

import (
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Version is the analyzer version. It goes into cache keys: bump it whenever
// the output for some input changes.
const Version = "analyze-2"

// SupportedLanguages lists the languages the engine analyzes, as ISO 639-1
// codes, in order of preference when language detection ties.
var SupportedLanguages = []string{"nl", "en", "de", "fr", "es", "it", "pt"}

// Parse validates in and builds the document every analyzer reads.
//
// An empty Format means plain text. Returns EINVALID for an unknown format,
// analysis type or language, and EUNPROCESSABLE if the content is not valid
// UTF-8. A Language of "" or "auto" is detected from the text.
func Parse(in Input) (*Doc, error) {
	format := in.Format
	if format == "" {
		format = FormatText
	}
	switch format {
	case FormatText, FormatMarkdown, FormatHTML:
	default:
		return nil, copydesk.Errorf(copydesk.EINVALID, "unknown format %q: use text, markdown or html", truncate(string(format), 40))
	}
	for _, t := range in.Types {
		if !knownType(t) {
			return nil, copydesk.Errorf(copydesk.EINVALID, "unknown analysis type %q: use readability, seo, structure, grammar, tone or sentiment", truncate(string(t), 40))
		}
	}
	lang, detect, err := normalizeLanguage(in.Language)
	if err != nil {
		return nil, err
	}
	if !utf8.ValidString(in.Content) {
		return nil, copydesk.Errorf(copydesk.EUNPROCESSABLE, "content is not valid UTF-8 at byte %d: send UTF-8 text", invalidUTF8At(in.Content))
	}
	if format == FormatMarkdown {
		if err := CheckMarkdown(in.Content); err != nil {
			return nil, err
		}
	}
	for _, s := range []string{in.Keyphrase, in.Title, in.MetaDescription, in.Slug} {
		if !utf8.ValidString(s) {
			return nil, copydesk.Errorf(copydesk.EUNPROCESSABLE, "keyphrase, title, meta description or slug is not valid UTF-8")
		}
	}
	for _, s := range in.Synonyms {
		if !utf8.ValidString(s) {
			return nil, copydesk.Errorf(copydesk.EUNPROCESSABLE, "a synonym is not valid UTF-8")
		}
	}

	d := &Doc{
		Source:    in.Content,
		Format:    format,
		Keyphrase: strings.TrimSpace(in.Keyphrase),
		Slug:      strings.TrimSpace(in.Slug),
		loc:       localeOf(in.Locale),
	}
	d.Locale = localeCodes[d.loc]
	for _, s := range in.Synonyms {
		if s = strings.TrimSpace(s); s != "" {
			d.Synonyms = append(d.Synonyms, s)
		}
	}
	b := newBuilder(d)
	switch format {
	case FormatText:
		parseText(b)
	case FormatMarkdown:
		parseMarkdown(b)
	case FormatHTML:
		parseHTML(b)
	}
	b.finish()
	tokenizeDoc(d)

	if t := strings.TrimSpace(in.Title); t != "" {
		d.Title = t
	}
	if m := strings.TrimSpace(in.MetaDescription); m != "" {
		d.MetaDescription = m
	}
	if detect {
		d.Language = detectLanguage(d)
	} else {
		d.Language = lang
	}
	return d, nil
}

func knownType(t Type) bool {
	for _, k := range AllTypes {
		if t == k {
			return true
		}
	}
	return false
}

// normalizeLanguage turns "NL", "nl-BE" or "nl_NL" into "nl" and reports
// whether detection was asked for.
func normalizeLanguage(s string) (lang string, detect bool, err error) {
	if AutoLanguage(s) {
		return "", true, nil
	}
	s = strings.TrimSpace(s)
	base := s
	if i := strings.IndexAny(base, "-_"); i >= 0 {
		base = base[:i]
	}
	base = strings.ToLower(base)
	for _, l := range SupportedLanguages {
		if base == l {
			return l, false, nil
		}
	}
	return "", false, copydesk.Errorf(copydesk.EINVALID, "unsupported language %q: use one of %s, or \"auto\" to detect", truncate(s, 20), strings.Join(SupportedLanguages, ", "))
}

// AutoLanguage reports whether the language is to be detected.
func AutoLanguage(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || strings.EqualFold(s, "auto")
}

func invalidUTF8At(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(s)
}

// truncate shortens user input quoted in error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// Span returns the span of the original input that bytes [i, j) of b.Text
// come from. The span starts at the first byte's origin and ends just past
// the last byte's origin, including the whole of an HTML entity or a
// multi-byte character, so it always slices d.Source on rune boundaries.
func (d *Doc) Span(b *Block, i, j int) Span {
	if len(b.Offsets) == 0 {
		return Span{b.Start, b.Start}
	}
	if i < 0 {
		i = 0
	}
	if j > len(b.Offsets) {
		j = len(b.Offsets)
	}
	if i >= j {
		if i >= len(b.Offsets) {
			return Span{b.End, b.End}
		}
		o := b.Offsets[i]
		return Span{o, o}
	}
	last := b.Offsets[j-1]
	if end := last + 1; d.Source[last] != '&' && (end == len(d.Source) || utf8.RuneStart(d.Source[end])) {
		return Span{b.Offsets[i], end} // the common case, without endOf
	}
	return Span{b.Offsets[i], d.endOf(last)}
}

// endOf returns the end of the source character (or entity) starting at o.
func (d *Doc) endOf(o int) int {
	src := d.Source
	end := o + 1
	if d.Format != FormatText && src[o] == '&' {
		if n := entityLen(src[o:]); n > 0 {
			end = o + n
		}
	}
	for end < len(src) && !utf8.RuneStart(src[end]) {
		end++
	}
	return end
}

// entityLen returns the length of the character reference ("&amp;",
// "&#233;", "&#x1F600;") at the start of s, or 0 if there is none.
func entityLen(s string) int {
	if len(s) < 3 || s[0] != '&' {
		return 0
	}
	i := 1
	for i < len(s) && i < 40 {
		c := s[i]
		if c == ';' {
			if i == 1 {
				return 0
			}
			if html.UnescapeString(s[:i+1]) == s[:i+1] {
				return 0
			}
			return i + 1
		}
		if !(c == '#' && i == 1) && !isASCIIAlnum(c) {
			return 0
		}
		i++
	}
	return 0
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// builder collects the markup-free text of blocks with the origin of every
// byte. All blocks share one text buffer and one offsets buffer; finish turns
// them into Block.Text and Block.Offsets without a copy per block.
type builder struct {
	d       *Doc
	text    []byte
	offs    []int
	spans   []blockSpan
	open    bool // a block is being built
	kind    BlockKind
	level   int
	start   int // index in text where the open block starts
	pending int // offset of a pending collapsed space, or -1
	// afterSkip is set when an inline element without text (an image) was
	// skipped, so a space before following punctuation can be dropped.
	afterSkip bool
}

// skipped records that an inline element without text was left out.
func (b *builder) skipped() { b.afterSkip = true }

func isClosingPunct(c byte) bool {
	switch c {
	case '.', ',', ';', ':', '!', '?', ')':
		return true
	}
	return false
}

type blockSpan struct {
	kind  BlockKind
	level int
	a, b  int
}

func newBuilder(d *Doc) *builder {
	n := len(d.Source)
	return &builder{d: d, text: make([]byte, 0, n), offs: make([]int, 0, n), pending: -1}
}

// begin starts a block of the given kind, ending any open one.
func (b *builder) begin(kind BlockKind, level int) {
	b.end()
	b.open = true
	b.kind = kind
	b.level = level
	b.start = len(b.text)
	b.pending = -1
}

// end closes the open block; an empty block is dropped.
func (b *builder) end() {
	if !b.open {
		return
	}
	b.open = false
	b.pending = -1
	if len(b.text) > b.start {
		b.spans = append(b.spans, blockSpan{b.kind, b.level, b.start, len(b.text)})
	}
}

// space records whitespace at source offset off, collapsed with any
// neighbouring whitespace and dropped at the start and end of a block.
func (b *builder) space(off int) {
	if len(b.text) > b.start && b.pending < 0 {
		b.pending = off
	}
}

// byteAt appends one non-space byte that comes from source offset off.
func (b *builder) byteAt(c byte, off int) {
	if b.pending >= 0 && b.afterSkip && isClosingPunct(c) {
		// "see the image ![x](y)." must not read "see the image ."
		b.pending = -1
	}
	b.afterSkip = false
	if b.pending >= 0 {
		b.text = append(b.text, ' ')
		b.offs = append(b.offs, b.pending)
		b.pending = -1
	}
	b.text = append(b.text, c)
	b.offs = append(b.offs, off)
}

// literal appends source[from:to] unchanged except that whitespace is
// collapsed. In code blocks whitespace is kept as is.
func (b *builder) literal(from, to int) {
	src := b.d.Source
	keep := b.kind == BlockCode
	for i := from; i < to; {
		c := src[i]
		if c < utf8.RuneSelf {
			if !keep && asciiSpace(c) {
				b.space(i)
				i++
				continue
			}
			// A run of visible ASCII: the first byte through byteAt (which
			// places a pending space), the rest in bulk.
			b.byteAt(c, i)
			j := i + 1
			for j < to && src[j] < utf8.RuneSelf && (keep || !asciiSpace(src[j])) {
				j++
			}
			if j > i+1 {
				b.text = append(b.text, src[i+1:j]...)
				n := len(b.offs)
				b.offs = slices.Grow(b.offs, j-i-1)[:n+j-i-1]
				for k := range j - i - 1 {
					b.offs[n+k] = i + 1 + k
				}
			}
			i = j
			continue
		}
		r, n := utf8.DecodeRuneInString(src[i:])
		if !keep && unicode.IsSpace(r) {
			b.space(i)
		} else {
			b.byteAt(src[i], i)
			for k := 1; k < n; k++ {
				b.text = append(b.text, src[i+k])
				b.offs = append(b.offs, i+k)
			}
		}
		i += n
	}
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// decoded appends s, the decoded form of the source text starting at off
// (an entity), mapping every byte of it to off.
func (b *builder) decoded(s string, off int) {
	for _, r := range s {
		if unicode.IsSpace(r) {
			b.space(off)
			continue
		}
		if r == 0 || r == utf8.RuneError {
			r = '\uFFFD'
		}
		var buf [4]byte
		n := utf8.EncodeRune(buf[:], r)
		b.byteAt(buf[0], off)
		for k := 1; k < n; k++ {
			b.text = append(b.text, buf[k])
			b.offs = append(b.offs, off)
		}
	}
}

// withEntities appends source[from:to], decoding character references and,
// for Markdown, backslash escapes.
func (b *builder) withEntities(from, to int, backslash bool) {
	src := b.d.Source
	run := from
	for i := from; i < to; i++ {
		// Jump to the next byte that may start an entity or escape.
		var k int
		if backslash {
			k = strings.IndexAny(src[i:to], "&\\")
		} else {
			k = strings.IndexByte(src[i:to], '&')
		}
		if k < 0 {
			break
		}
		i += k
		c := src[i]
		if c == '&' {
			n := entityLen(src[i:to])
			if n == 0 {
				continue
			}
			b.literal(run, i)
			b.decoded(html.UnescapeString(src[i:i+n]), i)
			i += n - 1
			run = i + 1
		} else if backslash && c == '\\' && i+1 < to && isASCIIPunct(src[i+1]) {
			b.literal(run, i)
			b.byteAt(src[i+1], i+1)
			i++
			run = i + 1
		}
	}
	b.literal(run, to)
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// finish closes the open block and builds Doc.Blocks.
func (b *builder) finish() {
	b.end()
	all := string(b.text)
	blocks := make([]Block, len(b.spans))
	for i, s := range b.spans {
		blk := &blocks[i]
		blk.Kind = s.kind
		blk.Level = s.level
		blk.Text = all[s.a:s.b]
		blk.Offsets = b.offs[s.a:s.b:s.b]
		blk.Start = blk.Offsets[0]
		blk.End = b.d.endOf(blk.Offsets[len(blk.Offsets)-1])
		if s.kind == BlockHeading && s.level == 1 {
			b.d.H1Count++
		}
	}
	b.d.Blocks = blocks
}

// textFrom returns the collected text from index a of the text buffer on,
// trimmed; used for link texts.
func (b *builder) textFrom(a int) string {
	if a > len(b.text) {
		return ""
	}
	return strings.TrimSpace(string(b.text[a:]))
}
