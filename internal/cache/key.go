package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// KeyParts is everything that can change a cached answer. Two requests whose
// parts are equal after normalization get the same key; any other difference
// gives a different key.
type KeyParts struct {
	// CustomerID is the tenant partition. Tenants never share entries unless
	// Shared is set.
	CustomerID string
	// Shared puts the entry in the one partition every tenant can read. Only an
	// operator decision ("this task is shareable") may set it; CustomerID is
	// then ignored.
	Shared bool
	// UserID makes the entry a user's own within the customer: the key
	// differs per user (another user's identical request is computed and
	// stored apart) and the entry records its owner (Cache.Owner), for
	// results that are read back by key. Ignored when Shared is set.
	UserID string
	// Kind is the task kind, e.g. "analysis" or "translation.draft".
	Kind string
	// Input is the content the work is about. It is normalized: Unicode NFC,
	// CRLF to LF, leading and trailing white space trimmed, and inner white
	// space runs folded to one space when FoldWhitespace is set.
	Input string
	// Params holds every output-affecting parameter (target language, tone,
	// keyphrase, temperature, schema name …). Order does not matter.
	Params map[string]string
	// ModelClass is the class of model that answers ("small", "large", or a
	// pinned model name): a different class is a different answer.
	ModelClass string
	// Version is the prompt-template or analyzer version. Bumping it
	// invalidates exactly the entries made with the old version.
	Version string
	// FoldWhitespace folds every run of white space inside Input to a single
	// space. Set it only where layout cannot change the answer (e.g. a
	// readability score of plain prose), not for Markdown or code.
	FoldWhitespace bool
}

// keyDomain separates Copydesk cache keys from any other SHA-256 use and
// versions the encoding itself.
const keyDomain = "copydesk/cache-key/v1\x00"

var keyBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// Key returns the cache key of p: the hex SHA-256 of a canonical encoding in
// which every field is length-prefixed and parameters are sorted by name, so
// no two different sets of parts encode to the same bytes.
func Key(p KeyParts) string {
	bp := keyBufPool.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, keyDomain...)
	switch {
	case p.Shared:
		b = append(b, 's')
	case p.UserID != "":
		b = append(b, 'u')
		b = appendField(b, p.CustomerID)
		b = appendField(b, p.UserID)
	default:
		b = append(b, 'c')
		b = appendField(b, p.CustomerID)
	}
	b = appendField(b, p.Kind)
	b = appendInput(b, p.Input, p.FoldWhitespace)

	var stack [16]string
	names := stack[:0]
	for k := range p.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = appendField(b, k)
		b = appendField(b, p.Params[k])
	}
	b = appendField(b, p.ModelClass)
	b = appendField(b, p.Version)

	sum := sha256.Sum256(b)
	if cap(b) <= 1<<20 { // do not keep huge buffers alive
		*bp = b
		keyBufPool.Put(bp)
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// appendField appends s with its length in front.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendInput appends the normalized input with a fixed-width length in front
// (the normalized length is only known afterwards).
func appendInput(b []byte, s string, fold bool) []byte {
	at := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	start := len(b)
	b = AppendNormalized(b, s, fold)
	binary.BigEndian.PutUint64(b[at:start], uint64(len(b)-start))
	return b
}

// NormalizeInput returns s as Key sees it: Unicode NFC, CRLF and lone CR turned
// into LF, leading and trailing white space trimmed, and, when fold is set,
// every inner run of white space replaced by one space.
func NormalizeInput(s string, fold bool) string {
	return string(AppendNormalized(nil, s, fold))
}

// AppendNormalized appends NormalizeInput(s, fold) to b and returns the
// extended buffer.
func AppendNormalized(b []byte, s string, fold bool) []byte {
	if !isASCII(s) && !norm.NFC.IsNormalString(s) { // ASCII is always NFC; the check allocates
		s = norm.NFC.String(s)
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	if !fold {
		for {
			i := strings.IndexByte(s, '\r')
			if i < 0 {
				return append(b, s...)
			}
			b = append(b, s[:i]...)
			b = append(b, '\n')
			s = s[i+1:]
			if len(s) > 0 && s[0] == '\n' {
				s = s[1:]
			}
		}
	}
	inSpace := false
	seg := 0
	for i := 0; i < len(s); {
		c := s[i]
		var size int
		var space bool
		if c < utf8.RuneSelf {
			size = 1
			space = asciiSpace[c]
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			size = n
			space = unicode.IsSpace(r)
		}
		switch {
		case space && !inSpace:
			b = append(b, s[seg:i]...)
			inSpace = true
		case !space && inSpace:
			b = append(b, ' ')
			seg = i
			inSpace = false
		}
		i += size
	}
	if !inSpace {
		b = append(b, s[seg:]...)
	}
	return b
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
