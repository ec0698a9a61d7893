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

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TMX import limits.
const (
	// MaxTMXBytes caps an imported TMX document.
	MaxTMXBytes = 32 << 20
	// MaxTMXEntries caps the entries (source–target pairs) of one import.
	MaxTMXEntries = 100_000
	// maxTMText caps an entry's source and target, as the stores do.
	maxTMText = 64 << 10
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
// for the source and one per target language. Returns EINVALID without a
// customer.
func (s *Service) ExportTMX(ctx context.Context, f copydesk.TMFilter, w io.Writer) error {
	if s.Store == nil {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "no translation memory is configured")
	}
	if strings.TrimSpace(f.CustomerID) == "" {
		return copydesk.Errorf(copydesk.EINVALID, "a customer is required to export a translation memory")
	}
	entries, err := s.Store.ListTM(ctx, f)
	if err != nil {
		return err
	}
	return writeTMX(w, entries)
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

// ImportResult reports a TMX import.
type ImportResult struct {
	// Entries is the number of source–target pairs stored.
	Entries int `json:"entries"`
	// Skipped counts the pairs left out: empty, in an unusable language,
	// or with inline codes that do not pair up.
	Skipped int `json:"skipped"`
	// Languages are the languages of the stored entries, sorted.
	Languages []string `json:"languages"`
}

// ImportTMX reads a TMX document (from Copydesk or another tool) into the
// customer's translation memory, origin import, context "" (they match any
// context). Language codes are normalized (en-US is en). Returns EINVALID
// for a document that is not well-formed TMX (naming the line), ETOOLARGE
// beyond MaxTMXBytes or MaxTMXEntries; nothing is stored then.
func (s *Service) ImportTMX(ctx context.Context, customerID string, r io.Reader) (*ImportResult, error) {
	if s.Store == nil {
		return nil, copydesk.Errorf(copydesk.EUNAVAILABLE, "no translation memory is configured")
	}
	if strings.TrimSpace(customerID) == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "a customer is required to import a translation memory")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxTMXBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxTMXBytes {
		return nil, copydesk.Errorf(copydesk.ETOOLARGE, "the TMX document is larger than %d MiB", MaxTMXBytes>>20)
	}
	entries, skipped, err := readTMX(data)
	if err != nil {
		return nil, err
	}
	langs := map[string]bool{}
	for i := range entries {
		entries[i].CustomerID = customerID
		langs[entries[i].SourceLang], langs[entries[i].TargetLang] = true, true
	}
	for start := 0; start < len(entries); start += tmChunk {
		if err := s.Store.PutTM(ctx, entries[start:min(len(entries), start+tmChunk)]); err != nil {
			return nil, err
		}
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

// readTMX parses a TMX document into entries (without customer) and the
// number of pairs skipped.
func readTMX(data []byte) ([]copydesk.TMEntry, int, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	fail := func(err error) error {
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
		tok, err := d.Token()
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
			if err := d.Skip(); err != nil {
				return nil, 0, fail(err)
			}
		case "body":
		case "tu":
			tuvs, err := readTU(d)
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
			if err := d.Skip(); err != nil {
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
func readTU(d *xml.Decoder) ([]tmxTUV, error) {
	var tuvs []tmxTUV
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return tuvs, nil
		case xml.StartElement:
			if t.Name.Local != "tuv" {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			tuv := tmxTUV{lang: attrValue(t, "lang")}
			if err := readTUV(d, &tuv); err != nil {
				return nil, err
			}
			tuvs = append(tuvs, tuv)
		}
	}
}

// readTUV reads the <seg> of a <tuv> whose start tag was just read.
func readTUV(d *xml.Decoder, tuv *tmxTUV) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != "seg" {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			if err := readSeg(d, &tuv.items); err != nil {
				return err
			}
		}
	}
}

// readSeg reads mixed content up to the end of the current element.
func readSeg(d *xml.Decoder, items *[]tmxItem) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
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
				if err := d.Skip(); err != nil { // the native code is not kept
					return err
				}
			default: // hi and anything else: its text belongs to the segment
				if err := readSeg(d, items); err != nil {
					return err
				}
			}
		}
	}
}

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
	s := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(b.String())
	return strings.TrimSpace(s)
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
		if target == "" || checkPlaceholders(source, target) != "" || len(source) > maxTMText || len(target) > maxTMText {
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
