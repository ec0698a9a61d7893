package analyze

// BlockKind is the role of a block of text in the document.
type BlockKind string

// Block kinds.
const (
	BlockParagraph BlockKind = "paragraph"
	BlockHeading   BlockKind = "heading"
	BlockListItem  BlockKind = "list_item"
	BlockQuote     BlockKind = "quote"
	BlockTableCell BlockKind = "table_cell"
	BlockCode      BlockKind = "code" // not analyzed for language
)

// Word is one word token. Start and End are byte offsets in the original
// input; Text is the word as written, Lower its lower-cased form.
type Word struct {
	Text  string
	Lower string
	Start int
	End   int
}

// Sentence is one sentence of a block. Start and End are byte offsets in the
// original input; Text is the extracted (markup-free) text.
type Sentence struct {
	Text  string
	Start int
	End   int
	Words []Word
}

// Block is a heading, paragraph, list item, quote or table cell with its
// markup-free text. Offsets maps each byte i of Text to its byte offset in
// the original input (len(Offsets) == len(Text)), so any span of Text can be
// turned into a span of the input with Span().
type Block struct {
	Kind      BlockKind
	Level     int // heading level 1-6, list nesting depth, else 0
	Text      string
	Offsets   []int
	Start     int // offset in the original input of the block's first text byte
	End       int // offset just past its last text byte
	Sentences []Sentence
}

// Link is a hyperlink found in the content.
type Link struct {
	Href     string
	Rel      string
	Text     string
	Internal bool // relative, or the same host as the canonical URL
	Span     Span
}

// Image is an image found in the content.
type Image struct {
	Src  string
	Alt  string
	Span Span
}

// Doc is parsed content: what every analyzer reads. Parse builds it.
type Doc struct {
	Source          string // the original input, unchanged
	Format          Format
	Language        string // resolved ISO 639-1 code
	Locale          string // the language of messages (ResolveLocale of Input.Locale)
	loc             locale
	Title           string // from Input.Title or <title>
	MetaDescription string // from Input.MetaDescription or <meta name=description>
	Canonical       string
	Slug            string
	Keyphrase       string
	Synonyms        []string
	Blocks          []Block // in document order; headings included
	Links           []Link
	Images          []Image
	H1Count         int
}
