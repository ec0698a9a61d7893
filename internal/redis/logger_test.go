package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

// TestClientLoggerJSON: a line go-redis prints becomes one JSON warning.
func TestClientLoggerJSON(t *testing.T) {
	var b bytes.Buffer
	clientLogger{slog.New(slog.NewJSONHandler(&b, nil))}.Printf(context.Background(), "redis: %s:%d: connection pool: failed to dial after %d attempts: %v", "pool.go", 512, 5, "dial tcp 127.0.0.1:1: connect: connection refused")
	var line map[string]any
	if err := json.Unmarshal(b.Bytes(), &line); err != nil {
		t.Fatalf("got %q, want one JSON line: %v", b.String(), err)
	}
	if line["level"] != "WARN" || line["msg"] != "redis client" || line["detail"] != "pool.go:512: connection pool: failed to dial after 5 attempts: dial tcp 127.0.0.1:1: connect: connection refused" {
		t.Errorf("got %v, want a warning \"redis client\" with the client's text as detail", line)
	}
}
