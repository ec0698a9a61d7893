package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// StatsStore is a cache store that counts the statements and transactions
// it runs.
type StatsStore interface {
	copydesk.CacheStore
	StoreStats() copydesk.StoreStats
}

// TestStoreStats checks that a read counts a statement and a write counts a
// statement and a transaction, through the store's prepared statements and
// its group commit alike, and that the counts only grow. remote says the
// database is a server, whose round trips are counted too.
func TestStoreStats(t *testing.T, remote bool, newStore func(t *testing.T, clock copydesk.Clock) StatsStore) {
	t.Parallel()
	clock := NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := newStore(t, clock)
	ctx := context.Background()
	opened := s.StoreStats()
	if opened.Statements == 0 || opened.Transactions == 0 {
		t.Errorf("after opening (migrations ran): %+v, want statements and transactions counted", opened)
	}
	key := Key("store stats")
	if _, ok, err := s.GetCache(ctx, key); err != nil || ok {
		t.Fatalf("GetCache of a missing key: ok %v, err %v", ok, err)
	}
	read := s.StoreStats()
	if read.Statements <= opened.Statements {
		t.Errorf("a cache read counted no statement: %+v after %+v", read, opened)
	}
	now := clock.Now().Truncate(time.Second)
	if err := s.SetCache(ctx, &copydesk.CacheEntry{Key: key, Kind: "analysis", Tier: copydesk.TierStable,
		Value: []byte(`{"ok":true}`), ExpiresAt: now.Add(time.Hour), CreatedAt: now, CostMicros: 1}); err != nil {
		t.Fatal(err)
	}
	wrote := s.StoreStats()
	if wrote.Statements <= read.Statements || wrote.Transactions <= read.Transactions {
		t.Errorf("a cache write counted no statement or no transaction: %+v after %+v", wrote, read)
	}
	if wrote.Transactions > wrote.Statements {
		t.Errorf("%+v: more transactions than statements", wrote)
	}
	if remote && (read.RoundTrips <= opened.RoundTrips || wrote.RoundTrips <= read.RoundTrips) {
		t.Errorf("a read and a write on a database server: round trips %d, %d, %d; want them counted", opened.RoundTrips, read.RoundTrips, wrote.RoundTrips)
	}
	if !remote && wrote.RoundTrips != 0 {
		t.Errorf("an embedded database counted %d round trips", wrote.RoundTrips)
	}
}
