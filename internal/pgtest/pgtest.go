// Package pgtest gives tests of the PostgreSQL mode a server and a fresh
// schema. The server is named by COPYDESK_TEST_POSTGRES: when it is not set
// the test is skipped with a message saying how to run it; when it is set and
// the server is unreachable the test fails — it never skips silently.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DSNEnv names the environment variable with the test server's URL.
const DSNEnv = "COPYDESK_TEST_POSTGRES"

// MustDSN returns the test server's URL after checking it answers.
func MustDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		tb.Skip(DSNEnv + " not set: set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("%s is set but PostgreSQL is unreachable: %v", DSNEnv, err)
	}
	_ = conn.Close(ctx)
	return dsn
}

// MustSchema returns the server's URL and a new random schema name; the
// schema is dropped with everything in it when tb ends.
func MustSchema(tb testing.TB) (dsn, schema string) {
	tb.Helper()
	dsn = MustDSN(tb)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema = "copydesk_test_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return dsn, schema
}
