package cache_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestStreamThenJSONReplay: a stream cached once finished is replayed as a
// stream or served as one JSON answer.
func TestStreamThenJSONReplay(t *testing.T) {
	t.Parallel()
	c := MustNew(t, newFakeClock(), nil)
	ctx := context.Background()
	r := req("generation.live", "hero for a bakery")
	deltas := []string{"Fresh ", "bread ", "every ", "morning."}
	final := json.RawMessage(`{"text":"Fresh bread every morning.","finish_reason":"stop"}`)
	var live []string
	calls := 0
	fn := func(context.Context) ([]byte, copydesk.Micros, error) {
		calls++
		var got []string
		for _, d := range deltas { // a provider streaming
			live = append(live, d)
			got = append(got, d)
		}
		b, err := cache.EncodeStream(cache.StreamRecord{Deltas: got, Final: final})
		return b, 900, err
	}
	if _, _, err := c.Do(ctx, r, fn); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(live, deltas) {
		t.Fatalf("got live deltas %q, want %q", live, deltas)
	}
	// Second client wants JSON.
	v, o, err := c.Do(ctx, r, nil)
	if err != nil || o.Source != cache.SourceL1 {
		t.Fatalf("got %+v, %v, want an L1 hit", o, err)
	}
	rec, err := cache.DecodeStream(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(rec.Final) != string(final) || rec.Text() != "Fresh bread every morning." {
		t.Errorf("JSON: got %s / %q, want the final answer", rec.Final, rec.Text())
	}
	// Third client wants the stream.
	var replayed []string
	if err := rec.Replay(ctx, func(d string) error { replayed = append(replayed, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(replayed, deltas) || calls != 1 {
		t.Errorf("got replay %q after %d calls, want %q after 1", replayed, calls, deltas)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	wantCode(t, rec.Replay(cctx, func(string) error { return nil }), copydesk.ECANCELLED)
}

func TestStreamRecordRejects(t *testing.T) {
	t.Parallel()
	bad := []cache.StreamRecord{
		{Deltas: []string{"a"}},
		{Deltas: []string{"a"}, Final: json.RawMessage(`{"half":`)},
		{Deltas: []string{"\xff"}, Final: json.RawMessage(`{}`)},
	}
	for i, r := range bad {
		if _, err := cache.EncodeStream(r); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("record %d: got %v, want EINVALID", i, err)
		}
	}
	for _, b := range []string{"", "{}", "cdstream1\n{", "cdstream1\n{\"deltas\":[]}", "cdstream1\n{\"deltas\":[],\"final\":1} {}"} {
		if _, err := cache.DecodeStream([]byte(b)); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("DecodeStream(%q): got %v, want EINVALID", b, err)
		}
	}
}

// FuzzDecodeStream checks that decoding never panics and that whatever
// decodes re-encodes to a record that decodes the same.
func FuzzDecodeStream(f *testing.F) {
	good, _ := cache.EncodeStream(cache.StreamRecord{Deltas: []string{"a", "b"}, Final: json.RawMessage(`{"x":1}`)})
	f.Add(good)
	f.Add([]byte("cdstream1\n{\"deltas\":null,\"final\":[]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := cache.DecodeStream(b)
		if err != nil {
			return
		}
		enc, err := cache.EncodeStream(r)
		if err != nil {
			return // e.g. a delta with invalid UTF-8 the JSON decoder replaced
		}
		r2, err := cache.DecodeStream(enc)
		if err != nil || !slices.Equal(r.Deltas, r2.Deltas) || r.Text() != r2.Text() {
			t.Fatalf("round trip: got %+v, %v, want %+v", r2, err, r)
		}
	})
}

// TestEncodeStreamAsEncoder compares EncodeStream with what encoding/json's
// Encoder writes for the record after the magic line: the same bytes
// (compaction of the final answer and HTML escaping included).
func TestEncodeStreamAsEncoder(t *testing.T) {
	for _, r := range []cache.StreamRecord{
		{Final: json.RawMessage(`{"text": "hi",  "usage": {"input_tokens": 3}}`)},
		{Deltas: []string{}, Final: json.RawMessage(`"x"`)},
		{Deltas: []string{"Hello", " <b>world</b> & \u2028", "", "quote\" back\\ \x01"}, Final: json.RawMessage(" [1, \"<&>\", null] ")},
	} {
		got, err := cache.EncodeStream(r)
		if err != nil {
			t.Fatal(err)
		}
		if r.Deltas == nil {
			r.Deltas = []string{}
		}
		var want bytes.Buffer
		want.WriteString("cdstream1\n") // the magic line
		if err := json.NewEncoder(&want).Encode(r); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("\ngot  %q\nwant %q", got, want.Bytes())
		}
		back, err := cache.DecodeStream(got)
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Deltas) != len(r.Deltas) {
			t.Errorf("decoded %d deltas, want %d", len(back.Deltas), len(r.Deltas))
		}
	}
	for _, final := range []string{"", "  ", `{"a":`, "nul"} {
		if _, err := cache.EncodeStream(cache.StreamRecord{Final: json.RawMessage(final)}); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("final %q: %v, want EINVALID", final, err)
		}
	}
}
