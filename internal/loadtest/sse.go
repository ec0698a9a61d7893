package loadtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Event is one server-sent event.
type Event struct {
	// ID is the event's id; HasID tells whether it had one.
	ID    int64
	HasID bool
	// Type is the event's type ("message" when it named none).
	Type string
	// Data is the event's data, lines joined by "\n". It is valid only
	// during the callback that receives it.
	Data []byte
}

// ReadEvents reads server-sent events from r and calls fn with each, until
// fn returns false (ReadEvents then returns nil) or the stream ends (io.EOF)
// or fails. Comments, retry fields and events without data and type are
// skipped; an id that is not a number is an error.
func ReadEvents(r io.Reader, fn func(*Event) bool) error {
	br := bufio.NewReaderSize(r, 16<<10)
	var (
		ev      Event
		data    []byte
		hasData bool
		long    []byte
	)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return err
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if len(line) == 0 {
			if hasData || ev.Type != "" {
				if ev.Type == "" {
					ev.Type = "message"
				}
				ev.Data = data
				if !fn(&ev) {
					return nil
				}
			}
			ev, data, hasData = Event{}, data[:0], false
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "id":
			id, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return fmt.Errorf("sse: id %q is not a number", value)
			}
			ev.ID, ev.HasID = id, true
		case "event":
			ev.Type = string(value)
		case "data":
			if hasData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			hasData = true
		}
	}
}

// StatusError is a wrong answer: a status other than the expected one, or
// an expected status whose body or headers are not the expected answer.
type StatusError struct {
	// Target names what was called, e.g. "POST /v1/analyses".
	Target string
	Status int
	Want   int
	// Reason says what was wrong when the status was right.
	Reason string
	// Body is the start of the answer.
	Body string
}

func (e *StatusError) Error() string {
	var b bytes.Buffer
	b.WriteString(e.Target)
	if e.Status != e.Want {
		fmt.Fprintf(&b, ": status %d, want %d", e.Status, e.Want)
	} else {
		fmt.Fprintf(&b, ": status %d but %s", e.Status, e.Reason)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %s", e.Body)
	}
	return b.String()
}

// Snippet returns the start of b as text for an error message.
func Snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(bytes.TrimSpace(b[:n])) + "…"
	}
	return string(bytes.TrimSpace(b))
}
