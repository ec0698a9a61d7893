package jsonappend

import "github.com/copydesk/copydesk/internal/copydesk"

// Compact appends src, one JSON value, as encoding/json writes a
// json.RawMessage: copydesk.CompactJSON, which the domain's own checks of
// JSON fields share (one scanner for both).
func Compact(dst, src []byte) ([]byte, error) { return copydesk.CompactJSON(dst, src) }

// Valid reports whether src is one valid JSON value, as json.Valid:
// copydesk.ValidJSON.
func Valid(src []byte) bool { return copydesk.ValidJSON(src) }
