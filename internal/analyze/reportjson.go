package analyze

import (
	"bytes"
	"strconv"
	"sync"

	"github.com/copydesk/copydesk/internal/jsonappend"
)

// AppendJSON appends the report's JSON to dst: byte for byte what
// encoding/json's Marshal writes for it (TestReportJSON, FuzzReportJSON),
// without its reflection. encoding/json also validated and compacted again
// what the figures' MarshalJSON wrote, a scan of every figure; a report is
// encoded once per analysis and again for a job's result, and this was a
// few percent of a deep analysis job's CPU. A figure that JSON cannot hold
// (NaN, an infinity) is an error, as with encoding/json.
func (r *Report) AppendJSON(dst []byte) ([]byte, error) {
	b := append(dst, `{"language":`...)
	b = jsonappend.String(b, r.Language)
	b = append(b, `,"language_detected":`...)
	b = strconv.AppendBool(b, r.LanguageDetected)
	b = append(b, `,"words":`...)
	b = strconv.AppendInt(b, int64(r.Words), 10)
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(r.Score), 10)
	b = append(b, `,"label":`...)
	b = jsonappend.String(b, r.Label)
	b = append(b, `,"label_text":`...)
	b = jsonappend.String(b, r.LabelText)
	b = append(b, `,"locale":`...)
	b = jsonappend.String(b, r.Locale)
	b = append(b, `,"results":`...)
	if r.Results == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Results {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = r.Results[i].appendJSON(b); err != nil {
				return dst, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"analyzer_version":`...)
	b = jsonappend.String(b, r.Version)
	return append(b, '}'), nil
}

// MarshalJSON returns the report's JSON (AppendJSON) in a slice of its
// own length: a cached report keeps no spare capacity.
func (r *Report) MarshalJSON() ([]byte, error) {
	buf := reportBufs.Get().(*[]byte)
	defer reportBufs.Put(buf)
	b, err := r.AppendJSON((*buf)[:0])
	if err != nil {
		return nil, err
	}
	if cap(b) <= 64<<10 {
		*buf = b
	}
	return bytes.Clone(b), nil
}

var reportBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func (res *Result) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsonappend.String(b, string(res.Type))
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(res.Score), 10)
	b = append(b, `,"label":`...)
	b = jsonappend.String(b, res.Label)
	b = append(b, `,"label_text":`...)
	b = jsonappend.String(b, res.LabelText)
	b = append(b, `,"figures":`...)
	b, err := res.Figures.appendJSON(b)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"findings":`...)
	if res.Findings == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range res.Findings {
			if i > 0 {
				b = append(b, ',')
			}
			b = res.Findings[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func (f *Finding) appendJSON(b []byte) []byte {
	b = append(b, `{"rule":`...)
	b = jsonappend.String(b, f.Rule)
	b = append(b, `,"severity":`...)
	b = jsonappend.String(b, string(f.Severity))
	b = append(b, `,"message":`...)
	b = jsonappend.String(b, f.Message)
	if len(f.Spans) > 0 {
		b = append(b, `,"spans":[`...)
		for i, s := range f.Spans {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"start":`...)
			b = strconv.AppendInt(b, int64(s.Start), 10)
			b = append(b, `,"end":`...)
			b = strconv.AppendInt(b, int64(s.End), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"source":`...)
	b = jsonappend.String(b, f.Source)
	return append(b, '}')
}
