package auth_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

func TestBootstrap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := MustStore(t, clock)
	dir := filepath.Join(t.TempDir(), "data")
	var logs strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logs, nil))

	created, err := auth.Bootstrap(ctx, db, clock.Now(), dir, "admin@example.com", logger)
	if err != nil || !created {
		t.Fatalf("Bootstrap: got %v, %v, want true, nil", created, err)
	}
	path := filepath.Join(dir, auth.AdminKeyFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: got %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	key := strings.TrimSpace(string(b))
	if !strings.Contains(logs.String(), path) || strings.Contains(logs.String(), key) {
		t.Errorf("log: want the file's path and never the key; got %s", logs.String())
	}
	a := &auth.Authenticator{Store: db, Clock: clock}
	p, err := authenticate(a, request("GET", "Bearer "+key))
	if err != nil || p.Role != copydesk.RoleAdmin {
		t.Fatalf("the bootstrap key: got %+v, %v, want an ADMIN", p, err)
	}
	// A second start does nothing.
	if created, err := auth.Bootstrap(ctx, db, clock.Now(), dir, "admin@example.com", logger); created || err != nil {
		t.Errorf("second Bootstrap: got %v, %v, want false, nil", created, err)
	}
	// A key file left over next to an empty store is never overwritten.
	empty := MustStore(t, clock)
	if _, err := auth.Bootstrap(ctx, empty, clock.Now(), dir, "admin@example.com", logger); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
		t.Errorf("Bootstrap with an existing key file: got %v, want ECONFLICT", err)
	}
	if n, _ := empty.CountUsers(ctx); n != 0 {
		t.Errorf("users after a refused bootstrap: got %d, want 0", n)
	}
}

// staleCount reads no users, as an instance does that counted before
// another instance's bootstrap committed.
type staleCount struct{ copydesk.AccessStore }

func (staleCount) CountUsers(context.Context) (int, error) { return 0, nil }

// TestBootstrapRace: two instances bootstrapping one empty store at once
// both start; the first ADMIN stands and the second writes no key file.
func TestBootstrapRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := MustStore(t, clock)
	first, second := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if created, err := auth.Bootstrap(ctx, db, clock.Now(), first, "admin@example.com", nil); err != nil || !created {
		t.Fatalf("first Bootstrap: got %v, %v, want true, nil", created, err)
	}
	if created, err := auth.Bootstrap(ctx, staleCount{db}, clock.Now(), second, "admin@example.com", nil); err != nil || created {
		t.Fatalf("racing Bootstrap: got %v, %v, want false, nil (the other instance's ADMIN stands)", created, err)
	}
	if _, err := os.Stat(filepath.Join(second, auth.AdminKeyFile)); !os.IsNotExist(err) {
		t.Errorf("the racing instance left a key file: %v", err)
	}
	if n, _ := db.CountUsers(ctx); n != 1 {
		t.Errorf("users: got %d, want the one ADMIN", n)
	}
}
