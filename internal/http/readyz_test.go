package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestReadyz: the store or the queue down is 503; a degradable dependency
// (Redis) down is 200 "degraded" naming it; a hung one does not hold the
// answer past the check's deadline.
func TestReadyz(t *testing.T) {
	t.Parallel()
	down := func(context.Context) error {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "redis: connection refused")
	}
	up := func(context.Context) error { return nil }
	hung := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	for _, tc := range []struct {
		name       string
		ready      func(context.Context) error
		deps       []Dependency
		wantStatus int
		wantBody   string
	}{
		{"all up", up, []Dependency{{"redis", up}}, 200, `{"status":"ready"}`},
		{"no dependencies", nil, nil, 200, `{"status":"ready"}`},
		{"redis down", up, []Dependency{{"redis", down}}, 200, `{"status":"degraded","degraded":["redis"]}`},
		{"redis hung", up, []Dependency{{"redis", hung}}, 200, `{"status":"degraded","degraded":["redis"]}`},
		{"store down", func(context.Context) error { return errors.New("dial tcp: refused") }, []Dependency{{"redis", up}}, 503, `"code":"unavailable"`},
		{"store and redis down", func(context.Context) error { return errors.New("dial tcp: refused") }, []Dependency{{"redis", down}}, 503, `"code":"unavailable"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &Server{Logger: slog.New(slog.DiscardHandler), Ready: tc.ready, Degradable: tc.deps}
			w := httptest.NewRecorder()
			s.handleReadyz(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if w.Code != tc.wantStatus {
				t.Errorf("status: got %d, want %d", w.Code, tc.wantStatus)
			}
			if body := strings.TrimSpace(w.Body.String()); !strings.Contains(body, tc.wantBody) {
				t.Errorf("body: got %s, want it to contain %s", body, tc.wantBody)
			}
			if strings.Contains(w.Body.String(), "refused") {
				t.Errorf("body %s tells an unauthenticated caller the dependency's error", w.Body.String())
			}
		})
	}
}
