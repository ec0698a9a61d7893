package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// decodeJSON reads a JSON request body into v, strictly: the content type
// must be JSON, the body at most limit bytes of valid UTF-8, one object (not
// null, an array or a scalar) with no unknown fields. Each failure is its
// own error.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeBody(w, r, limit, v, true)
}

// decodeJSONLenient is decodeJSON accepting unknown fields, for the
// OpenAI-compatible endpoint whose SDKs send fields Copydesk ignores.
func decodeJSONLenient(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeBody(w, r, limit, v, false)
}

func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any, strict bool) error {
	ct := r.Header.Get("Content-Type")
	if ct != "application/json" { // what SDKs send needs no parsing
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return copydesk.Errorf(copydesk.EUNSUPPORTED, "send the body as JSON with Content-Type: application/json (got %q)", ct)
		}
	}
	bp := bodyBufs.Get().(*[]byte)
	body, err := readAll((*bp)[:0], http.MaxBytesReader(w, r.Body, limit))
	defer func() {
		if cap(body) <= maxPooledBody { // do not keep huge buffers alive
			*bp = body[:0]
			bodyBufs.Put(bp)
		}
	}()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return copydesk.Errorf(copydesk.ETOOLARGE, "the request body is larger than the limit of %d bytes", limit)
		}
		return copydesk.Errorf(copydesk.EINVALID, "the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return copydesk.Errorf(copydesk.EINVALID, "the request body is empty; send a JSON object")
	}
	if !utf8.Valid(body) {
		return copydesk.Errorf(copydesk.EUNPROCESSABLE, "the request body is not valid UTF-8")
	}
	// Every body is an object: null (which would decode into a zero value
	// without an error: an empty glossary, a key with no options), arrays
	// and scalars are refused here, once for every route.
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); trimmed[0] != '{' {
		return copydesk.Errorf(copydesk.EINVALID, "the request body must be a JSON object, not %s", jsonValueKind(trimmed))
	}
	if !strict {
		if fd, ok := v.(fastDecoder); ok && fd.decodeFast(body) {
			return nil
		}
		// Unmarshal decodes from the buffer itself (a Decoder copies it
		// into its own); encoding/json copies what it keeps, so the buffer
		// goes back to the pool.
		if err := json.Unmarshal(body, v); err != nil {
			return jsonError(err)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errTrailingData()
	}
	return nil
}

func errTrailingData() error {
	return copydesk.Errorf(copydesk.EINVALID, "the request body has data after the JSON object")
}

func errBodyEndsEarly() error {
	return copydesk.Errorf(copydesk.EINVALID, "malformed JSON: the body ends too early")
}

// Request bodies are read into pooled buffers: one allocation less per
// request, and none growing it for a body over 512 bytes.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooledBody = 1 << 20

// readAll is io.ReadAll into b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				return b, nil
			}
			return b, err
		}
	}
}

// jsonError turns a decoding error into a message that names the problem.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && strings.HasSuffix(se.Error(), "after top-level value"):
		return errTrailingData() // json.Unmarshal's word for it
	case errors.As(err, &se) && se.Error() == "unexpected end of JSON input":
		return errBodyEndsEarly() // json.Unmarshal's word for it
	case errors.As(err, &se):
		return copydesk.Errorf(copydesk.EINVALID, "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return copydesk.Errorf(copydesk.EINVALID, "the body must be a JSON object")
		}
		return copydesk.Errorf(copydesk.EINVALID, "field %q must be %s, not %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return copydesk.Errorf(copydesk.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBodyEndsEarly()
	}
	return copydesk.Errorf(copydesk.EINVALID, "malformed JSON: %v", err)
}

// jsonValueKind names the JSON value body starts with, for an error
// message that does not echo the body.
func jsonValueKind(body []byte) string {
	switch {
	case bytes.HasPrefix(body, []byte("null")):
		return "null"
	case body[0] == '[':
		return "an array"
	case body[0] == '"':
		return "a string"
	case bytes.HasPrefix(body, []byte("true")), bytes.HasPrefix(body, []byte("false")):
		return "a boolean"
	case body[0] == '-' || '0' <= body[0] && body[0] <= '9':
		return "a number"
	}
	return "malformed JSON"
}

func jsonKind(k string) string {
	switch k {
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a number"
}
