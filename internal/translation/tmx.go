package translation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TMX import limits.
const (
	// MaxTMXBytes caps an imported TMX document.
	MaxTMXBytes = 32 << 20
	// MaxTMXEntries caps the entries (source–target pairs) of one import.
	MaxTMXEntries = 100_000
)

// TMX 1.4b is written and read with encoding/xml. Segments keep
// Copydesk's placeholders as TMX inline elements: <x1> is
// <bpt i="1" x="1">&lt;x1&gt;</bpt>, </x1> is <ept i="1">&lt;/x1&gt;</ept>
// and <x2/> is <ph x="2">&lt;x2/&gt;</ph>; the native code each element
// holds is the placeholder itself, since the markup it stands for differs
// from page to page. On import, the inline elements of other tools become
// placeholders again, numbered in the order they appear in the source
// segment (bpt/ept paired by i, ph/it by x or by their order); <hi> keeps
// its text. An entry's context is exported as <prop type="x-copydesk-context">
// and dropped on import (imported entries match any context).

const tmxContextProp = "x-copydesk-context"

// ExportTMX writes the translation memory entries selected by f as a TMX
// 1.4b document: one <tu> per source segment (and context), with a <tuv>
// for the source and one per target language. An export is never cut
// short silently: f.Limit, when between 1 and copydesk.MaxTMList, takes
// the oldest f.Limit entries as asked; otherwise a selection of
// copydesk.MaxTMList entries or more (which one ListTM cannot return
// whole) is refused with ETOOLARGE, nothing written, and the caller is told
// to export per language pair. Returns EINVALID without a customer.
func (s *Service) ExportTMX(ctx context.Context, f copydesk.TMFilter, w io.Writer) error {
	if s.Store == nil {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "no translation memory is configured")
	}
	if strings.TrimSpace(f.CustomerID) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "a customer is required to export a translation memory")
	}
	asked := f.Limit > 0 && f.Limit < copydesk.MaxTMList
	if !asked {
		f.Limit = copydesk.MaxTMList
	}
	entries, err := s.Store.ListTM(ctx, f)
	if err != nil {
		return err
	}
	if !asked && len(entries) >= copydesk.MaxTMList {
		return exportTooLarge(f)
	}
	return writeTMX(w, entries)
}

// exportTooLarge is the error of an export that ListTM could not return
// whole.
func exportTooLarge(f copydesk.TMFilter) error {
	if f.SourceLang == "" || f.TargetLang == "" {
		return copydesk.Errorf(copydesk.ETOOLARGE, "the translation memory holds %d entries or more, more than one TMX export can hold; export it one language pair at a time with source_language and target_language", copydesk.MaxTMList)
	}
	return copydesk.Errorf(copydesk.ETOOLARGE, "the translation memory holds %d entries or more from %s to %s, more than one TMX export can hold; delete the entries of that language pair you no longer need, then export again", copydesk.MaxTMList, f.SourceLang, f.TargetLang)
}

// writeTMX writes entries as TMX.
func writeTMX(w io.Writer, entries []copydesk.TMEntry) error {
	type unit struct {
		sourceLang, source, context string
		entries                     []copydesk.TMEntry
	}
	var units []*unit
	byKey := make(map[[3]string]*unit)
	srclang := ""
	for i, e := range entries {
		k := [3]string{e.SourceLang, e.Source, e.Context}
		u, ok := byKey[k]
		if !ok {
			u = &unit{sourceLang: e.SourceLang, source: e.Source, context: e.Context}
			byKey[k] = u
			units = append(units, u)
		}
		u.entries = append(u.entries, e)
		if i == 0 {
			srclang = e.SourceLang
		} else if srclang != e.SourceLang {
			srclang = "*all*"
		}
	}
	if srclang == "" {
		srclang = "*all*"
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	bw.WriteString(`<tmx version="1.4">` + "\n")
	fmt.Fprintf(bw, `<header creationtool="copydesk" creationtoolversion="1" datatype="plaintext" segtype="paragraph" adminlang="en" srclang="%s" o-tmf="copydesk"/>`+"\n", attrEscape(srclang))
	bw.WriteString("<body>\n")
	for _, u := range units {
		created := u.entries[0].CreatedAt
		fmt.Fprintf(bw, `<tu srclang="%s"`, attrEscape(u.sourceLang))
		if !created.IsZero() {
			fmt.Fprintf(bw, ` creationdate="%s"`, created.UTC().Format("20060102T150405Z"))
		}
		bw.WriteString(">\n")
		if u.context != "" {
			fmt.Fprintf(bw, `  <prop type="%s">`, tmxContextProp)
			xml.EscapeText(bw, []byte(u.context))
			bw.WriteString("</prop>\n")
		}
		writeTUV(bw, u.sourceLang, u.source)
		for _, e := range u.entries {
			writeTUV(bw, e.TargetLang, e.Target)
		}
		bw.WriteString("</tu>\n")
	}
	bw.WriteString("</body>\n</tmx>\n")
	return bw.Flush()
}

func attrEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeTUV(w *bufio.Writer, lang, text string) {
	fmt.Fprintf(w, `  <tuv xml:lang="%s"><seg>`, attrEscape(lang))
	for _, t := range splitPlaceholders(text) {
		if !t.code {
			_ = xml.EscapeText(w, []byte(t.text))
			continue
		}
		n := strings.Trim(t.text, "</x>")
		switch {
		case strings.HasSuffix(t.text, "/>"):
			fmt.Fprintf(w, `<ph x="%s">&lt;x%s/&gt;</ph>`, n, n)
		case strings.HasPrefix(t.text, "</"):
			fmt.Fprintf(w, `<ept i="%s">&lt;/x%s&gt;</ept>`, n, n)
		default:
			fmt.Fprintf(w, `<bpt i="%s" x="%s">&lt;x%s&gt;</bpt>`, n, n, n)
		}
	}
	w.WriteString("</seg></tuv>\n")
}

// ImportResult reports a TMX import (copydesk.TMXImportResult).
type ImportResult = copydesk.TMXImportResult

// tmxChunk caps the entries of one PutTM of an import.
const tmxChunk = copydesk.MaxTMBatch

// ImportTMX reads a TMX document (from Copydesk or another tool) into the
// customer's translation memory, origin import, context "" (they match any
// context). Language codes are normalized (en-US is en); pairs the store
// would refuse are counted as skipped. Returns EINVALID for a document
// that is not well-formed TMX (naming the line) or nests elements deeper
// than 32 levels, ETOOLARGE beyond MaxTMXBytes or MaxTMXEntries; nothing
// is stored then. A failure to read r is EINVALID and wraps the reader's
// error, so that a caller can still find it with errors.As (the HTTP layer
// answers 413 for an *http.MaxBytesError).
//
// The entries are stored in chunks of copydesk.MaxTMBatch, each in its own
// store call, so an import that fails at the store midway (the database
// goes away, ctx is cancelled) may have stored its first chunks; the error
// then says how many. Entries are upserts: importing the same document
// again completes it without doubling anything.
func (s *Service) ImportTMX(ctx context.Context, customerID string, r io.Reader) (*ImportResult, error) {
	if s.Store == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "no translation memory is configured")
	}
	if strings.TrimSpace(customerID) == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "a customer is required to import a translation memory")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxTMXBytes+1))
	if err != nil {
		return nil, tmxReadError(len(data), err)
	}
	if len(data) > MaxTMXBytes {
		return nil, copydesk.Errorf(copydesk.ETOOLARGE, "the TMX document is larger than %d MiB", MaxTMXBytes>>20)
	}
	read, skipped, err := readTMX(data)
	if err != nil {
		return nil, err
	}
	// Leave out what the store would refuse, so that a bad pair is skipped
	// instead of failing the import after some chunks are stored.
	entries := read[:0]
	langs := map[string]bool{}
	for _, e := range read {
		e.CustomerID = customerID
		if c := e; c.Prepare(time.Time{}) != nil {
			skipped++
			continue
		}
		entries = append(entries, e)
		langs[e.SourceLang], langs[e.TargetLang] = true, true
	}
	stored := 0
	for stored < len(entries) {
		chunk := entries[stored:min(len(entries), stored+tmxChunk)]
		if err := s.Store.PutTM(ctx, chunk); err != nil {
			if stored > 0 {
				// What was stored must not be shadowed by older cached
				// segments; the store error is the one to report.
				_ = s.forget(context.WithoutCancel(ctx), customerID)
			}
			return nil, partialImportError(stored, len(entries), err)
		}
		stored += len(chunk)
	}
	// Segments cached before the import would shadow what it brought.
	if err := s.forget(ctx, customerID); err != nil {
		return nil, err
	}
	res := &ImportResult{Entries: len(entries), Skipped: skipped, Languages: []string{}}
	for l := range langs {
		res.Languages = append(res.Languages, l)
	}
	slices.Sort(res.Languages)
	return res, nil
}

// tmxReadError is the error of an upload that could not be read: EINVALID,
// wrapping the reader's error for callers that know its type.
func tmxReadError(n int, err error) error {
	return fmt.Errorf("%w: %w", copydesk.Errorf(copydesk.EINVALID, "the TMX document could not be read (the upload stopped after %d bytes)", n), err)
}

// partialImportError is the error of an import whose store call failed
// after stored of total entries: a domain error keeps its code and gains
// how far the import got; any other error is wrapped as it is.
func partialImportError(stored, total int, err error) error {
	if stored == 0 {
		return err
	}
	var ce *copydesk.Error
	if errors.As(err, &ce) {
		return &copydesk.Error{Code: ce.Code, RetryAfter: ce.RetryAfter, Message: fmt.Sprintf("the import stopped after %d of %d entries (import the same file again to complete it; stored entries are replaced, not doubled): %s", stored, total, ce.Message)}
	}
	return fmt.Errorf("the import stopped after %d of %d entries: %w", stored, total, err)
}

// tmxItem is one piece of a TMX segment: text, or an inline code.
type tmxItem struct {
	kind string // "text", "bpt", "ept", "ph"
	text string
	i, x string
}

type tmxTUV struct {
	lang  string
	items []tmxItem
}

// maxTMXDepth caps the nesting of elements in an imported TMX document,
// counting <tmx> as 1: <tmx><body><tu><tuv><seg> is 5 deep, which leaves
// 27 levels of inline elements (<hi> in <hi> …) inside a segment. Real
// TMX files stay far below it; a deeper document is refused before the
// decoder holds more than this many open elements.
const maxTMXDepth = 32

// tmxReader reads the tokens of a TMX document and keeps count of the
// element depth, refusing a document nested deeper than maxTMXDepth.
// Every read of the document goes through it, skipped elements
// included, and nothing recurses per element.
type tmxReader struct {
	d     *xml.Decoder
	depth int
}

// token returns the next token, failing with EINVALID beyond maxTMXDepth.
func (r *tmxReader) token() (xml.Token, error) {
	tok, err := r.d.Token()
	if err != nil {
		return nil, err
	}
	switch tok.(type) {
	case xml.StartElement:
		r.depth++
		if r.depth > maxTMXDepth {
			line, _ := r.d.InputPos()
			return nil, copydesk.Errorf(copydesk.EINVALID, "the TMX document nests elements more than %d levels deep at line %d", maxTMXDepth, line)
		}
	case xml.EndElement:
		r.depth--
	}
	return tok, nil
}

// skip reads up to the end of the element whose start tag was just read.
func (r *tmxReader) skip() error {
	for depth := 0; ; {
		tok, err := r.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}

// readTMX parses a TMX document into entries (without customer) and the
// number of pairs skipped. Returns EINVALID for a document that is not
// well-formed TMX or nests elements deeper than maxTMXDepth, ETOOLARGE for
// more than MaxTMXEntries entries.
func readTMX(data []byte) ([]copydesk.TMEntry, int, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	r := &tmxReader{d: d}
	fail := func(err error) error {
		var ce *copydesk.Error
		if errors.As(err, &ce) {
			return ce
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return copydesk.Errorf(copydesk.EINVALID, "the TMX document is not well-formed XML at line %d: %s", se.Line, se.Msg)
		}
		line, _ := d.InputPos()
		return copydesk.Errorf(copydesk.EINVALID, "the TMX document cannot be read at line %d: %s", line, err.Error())
	}
	var entries []copydesk.TMEntry
	skipped := 0
	headerLang := ""
	sawRoot := false
	for {
		tok, err := r.token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fail(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if !sawRoot {
			if se.Name.Local != "tmx" {
				return nil, 0, copydesk.Errorf(copydesk.EINVALID, "not a TMX document: the root element is <%s>, not <tmx>", truncate(se.Name.Local, 40))
			}
			sawRoot = true
			continue
		}
		switch se.Name.Local {
		case "header":
			headerLang = attrValue(se, "srclang")
			if err := r.skip(); err != nil {
				return nil, 0, fail(err)
			}
		case "body":
		case "tu":
			tuvs, err := r.readTU()
			if err != nil {
				return nil, 0, fail(err)
			}
			src := attrValue(se, "srclang")
			if src == "" || src == "*all*" {
				src = headerLang
			}
			es, skip := tuEntries(src, tuvs)
			skipped += skip
			entries = append(entries, es...)
			if len(entries) > MaxTMXEntries {
				return nil, 0, copydesk.Errorf(copydesk.ETOOLARGE, "the TMX document holds more than %d entries; split it", MaxTMXEntries)
			}
		default:
			if err := r.skip(); err != nil {
				return nil, 0, fail(err)
			}
		}
	}
	if !sawRoot {
		return nil, 0, copydesk.Errorf(copydesk.EINVALID, "not a TMX document: no <tmx> element")
	}
	return entries, skipped, nil
}

// attrValue returns the attribute local (any namespace), or "".
func attrValue(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// readTU reads the tuvs of a <tu> whose start tag was just read.
func (r *tmxReader) readTU() ([]tmxTUV, error) {
	var tuvs []tmxTUV
	for {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return tuvs, nil
		case xml.StartElement:
			if t.Name.Local != "tuv" {
				if err := r.skip(); err != nil {
					return nil, err
				}
				continue
			}
			tuv := tmxTUV{lang: attrValue(t, "lang")}
			if err := r.readTUV(&tuv); err != nil {
				return nil, err
			}
			tuvs = append(tuvs, tuv)
		}
	}
}

// readTUV reads the <seg> of a <tuv> whose start tag was just read.
func (r *tmxReader) readTUV(tuv *tmxTUV) error {
	for {
		tok, err := r.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != "seg" {
				if err := r.skip(); err != nil {
					return err
				}
				continue
			}
			if err := r.readSeg(&tuv.items); err != nil {
				return err
			}
		}
	}
}

// readSeg reads the mixed content of the element whose start tag was just
// read, up to its end. The text inside <hi> and other unknown elements
// belongs to the segment, at any depth; the inline codes (bpt, ept, ph,
// it, ut) become items and their native code is skipped.
func (r *tmxReader) readSeg(items *[]tmxItem) error {
	for depth := 0; ; {
		tok, err := r.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if depth == 0 {
				return nil
			}
			depth--
		case xml.CharData:
			*items = append(*items, tmxItem{kind: "text", text: string(t)})
		case xml.StartElement:
			switch t.Name.Local {
			case "bpt", "ept", "ph", "it", "ut":
				kind := t.Name.Local
				if kind == "it" || kind == "ut" {
					kind = "ph"
				}
				*items = append(*items, tmxItem{kind: kind, i: attrValue(t, "i"), x: attrValue(t, "x")})
				if err := r.skip(); err != nil { // the native code is not kept
					return err
				}
			default: // hi and anything else: its text belongs to the segment
				depth++
			}
		}
	}
}

// tmxLineBreaks folds the line breaks of a TMX segment into spaces.
var tmxLineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// numbering maps a tu's inline codes to placeholder numbers.
type numbering struct {
	n     int
	byI   map[string]int
	byX   map[string]int
	phSeq int
}

// text renders items with placeholders; source fixes the numbers, a
// target reuses them (an unknown code gets a new number, which fails the
// placeholder check).
func (nb *numbering) text(items []tmxItem) string {
	var b strings.Builder
	nb.phSeq = 0
	for _, it := range items {
		switch it.kind {
		case "text":
			b.WriteString(it.text)
		case "bpt":
			n, ok := nb.byI["b"+it.i]
			if !ok {
				nb.n++
				n = nb.n
				nb.byI["b"+it.i] = n
			}
			b.WriteString("<x" + strconv.Itoa(n) + ">")
		case "ept":
			if n, ok := nb.byI["b"+it.i]; ok {
				b.WriteString("</x" + strconv.Itoa(n) + ">")
				continue
			}
			nb.n++
			b.WriteString("<x" + strconv.Itoa(nb.n) + "/>")
		case "ph":
			key := "x" + it.x
			if it.x == "" {
				nb.phSeq++
				key = "#" + strconv.Itoa(nb.phSeq)
			}
			n, ok := nb.byX[key]
			if !ok {
				nb.n++
				n = nb.n
				nb.byX[key] = n
			}
			b.WriteString("<x" + strconv.Itoa(n) + "/>")
		}
	}
	return strings.TrimSpace(tmxLineBreaks.Replace(b.String()))
}

// plainItems reports whether no text item looks like a placeholder.
func plainItems(items []tmxItem) bool {
	for _, it := range items {
		if it.kind == "text" && placeholderRE.MatchString(it.text) {
			return false
		}
	}
	return true
}

// tuEntries turns one tu into entries: its source tuv (in src, else the
// first) paired with each other tuv.
func tuEntries(src string, tuvs []tmxTUV) ([]copydesk.TMEntry, int) {
	if len(tuvs) < 2 {
		return nil, max(0, len(tuvs)-1)
	}
	si := 0
	if src != "" {
		si = -1
		want, ok := normalizeLang(src)
		for i, t := range tuvs {
			if l, lok := normalizeLang(t.lang); ok && lok && l == want {
				si = i
				break
			}
		}
		if si < 0 {
			return nil, len(tuvs) - 1
		}
	}
	srcLang, ok := normalizeLang(tuvs[si].lang)
	if !ok || !plainItems(tuvs[si].items) {
		return nil, len(tuvs) - 1
	}
	nb := &numbering{byI: map[string]int{}, byX: map[string]int{}}
	source := nb.text(tuvs[si].items)
	if source == "" || checkPlaceholders(source, source) != "" {
		return nil, len(tuvs) - 1
	}
	var out []copydesk.TMEntry
	skipped := 0
	for i, t := range tuvs {
		if i == si {
			continue
		}
		lang, ok := normalizeLang(t.lang)
		target := ""
		if ok && lang != srcLang && plainItems(t.items) {
			target = nb.text(t.items)
		}
		if target == "" || checkPlaceholders(source, target) != "" || len(source) > copydesk.MaxTMText || len(target) > copydesk.MaxTMText {
			skipped++
			continue
		}
		out = append(out, copydesk.TMEntry{SourceLang: srcLang, TargetLang: lang, Source: source, Target: target, Origin: copydesk.TMOriginImport})
	}
	return out, skipped
}

// DeleteMemory deletes the customer's translation memory entries matching
// f (all of them when f names no language) and the customer's cached
// segments, so that nothing deleted is served again; it returns how many
// memory entries went. Returns EINVALID without a customer.
func (s *Service) DeleteMemory(ctx context.Context, f copydesk.TMFilter) (int, error) {
	if s.Store == nil {
		return 0, copydesk.Errorf(copydesk.EUNAVAILABLE, "no translation memory is configured")
	}
	n, err := s.Store.DeleteTM(ctx, f)
	if err != nil {
		return 0, err
	}
	return n, s.forget(ctx, f.CustomerID)
}

// forget purges the customer's cached translation segments (both tiers).
func (s *Service) forget(ctx context.Context, customerID string) error {
	if s.Cache == nil {
		return nil
	}
	for _, kind := range []string{KindPublished, KindDraft} {
		if _, err := s.Cache.Purge(ctx, copydesk.CacheFilter{CustomerID: customerID, Kind: kind}); err != nil {
			return err
		}
	}
	return nil
}
