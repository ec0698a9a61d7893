package http

import (
	"cmp"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// statusByCode maps every domain error code to its HTTP status.
var statusByCode = map[string]int{
	copydesk.EINVALID:        http.StatusBadRequest,
	copydesk.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	copydesk.EUNSUPPORTED:    http.StatusUnsupportedMediaType,
	copydesk.EUNPROCESSABLE:  http.StatusUnprocessableEntity,
	copydesk.ENOTFOUND:       http.StatusNotFound,
	copydesk.ENOMODEL:        http.StatusNotFound,
	copydesk.EMETHOD:         http.StatusMethodNotAllowed,
	copydesk.ECONFLICT:       http.StatusConflict,
	copydesk.EUNAUTHORIZED:   http.StatusUnauthorized,
	copydesk.EFORBIDDEN:      http.StatusForbidden,
	copydesk.ERATELIMITED:    http.StatusTooManyRequests,
	copydesk.EBUDGETEXCEEDED: http.StatusPaymentRequired,
	copydesk.ENOPROVIDER:     http.StatusServiceUnavailable,
	copydesk.EUNAVAILABLE:    http.StatusServiceUnavailable,
	copydesk.ECANCELLED:      http.StatusConflict,
	copydesk.EINTERNAL:       http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status for a domain error code.
func ErrorStatus(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every error answer: OpenAI's error shape
// (code, message, type, param), with the request id.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string  `json:"code"`
	Message   string  `json:"message"`
	Type      string  `json:"type"`
	Param     *string `json:"param"`
	RequestID string  `json:"request_id,omitempty"`
}

// errorTypes are OpenAI's error types by code; the rest are
// invalid_request_error.
var errorTypes = map[string]string{
	copydesk.EUNAUTHORIZED:   "authentication_error",
	copydesk.EFORBIDDEN:      "permission_error",
	copydesk.ERATELIMITED:    "rate_limit_error",
	copydesk.EBUDGETEXCEEDED: "insufficient_quota",
	copydesk.ENOPROVIDER:     "server_error",
	copydesk.EUNAVAILABLE:    "server_error",
	copydesk.EINTERNAL:       "server_error",
}

func errorDetailOf(err error, requestID string) errorDetail {
	code := copydesk.ErrorCode(err)
	d := errorDetail{Code: code, Message: copydesk.ErrorMessage(err), Type: cmp.Or(errorTypes[code], "invalid_request_error"), RequestID: requestID}
	if code == copydesk.ENOMODEL {
		param := "model"
		d.Param = &param
	}
	return d
}

// writeError answers with err's status and JSON body. Internal errors are
// logged with their detail and shown as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := copydesk.ErrorCode(err)
	if code == copydesk.EINTERNAL {
		s.logger(r).Error("internal error", "err", err)
	}
	if e, ok := err.(*copydesk.Error); ok && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	if isAnthropicPath(r.URL.Path) {
		writeAnthropicError(w, r, err)
		return
	}
	writeJSON(w, ErrorStatus(code), errorBody{Error: errorDetailOf(err, requestID(r.Context()))})
}

// writeJSON writes v as JSON with the given status.
// jsonBufs hold the answers encoded by hand while they are written.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeAppended writes the answer appendJSON appends (the JSON and its
// final newline, as writeJSON writes them), with writeJSON's headers. If
// appendJSON fails, nothing is written and its error is returned.
func writeAppended(w http.ResponseWriter, status int, appendJSON func([]byte) ([]byte, error)) error {
	buf := jsonBufs.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 64<<10 { // do not keep huge buffers alive
			jsonBufs.Put(buf)
		}
	}()
	b, err := appendJSON((*buf)[:0])
	*buf = b
	if err != nil {
		return err
	}
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true) // hostile content stays inert if a browser renders the JSON
	if err := enc.Encode(v); err != nil {
		slog.Default().Debug("write response", "err", err)
	}
}
