package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flusher and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBufferedLog(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	b := newBufferedLog(&out)
	for i := range 3 {
		if _, err := b.Write([]byte(strings.Repeat("x", i) + "line\n")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "line\n") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("lines not written by the flusher: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := b.Write([]byte("last\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !strings.HasSuffix(out.String(), "last\n") {
		t.Errorf("Close did not write what waited: %q", out.String())
	}
}
