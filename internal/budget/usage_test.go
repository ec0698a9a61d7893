package budget_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestWriteUsageCSV(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db, clock, c := MustService(t, 0)
	for i, e := range []*copydesk.LedgerEntry{
		{CustomerID: c.ID, UserID: "usr_1", Kind: "analysis", Model: "gpt", InputTokens: 10, OutputTokens: 5, Cost: 1500},
		{CustomerID: c.ID, UserID: "usr_1", KeyID: "key_1", Kind: "analysis", Model: "gpt", InputTokens: 20, Cost: 2500},
		{CustomerID: c.ID, UserID: "=HYPERLINK(\"x\")", Kind: "translation", Model: "claude", Saved: 900, CacheHit: true},
	} {
		e.At = clock.Now().Add(time.Duration(i) * time.Hour)
		if err := db.AppendLedger(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := db.UsageReport(ctx, copydesk.UsageFilter{CustomerID: c.ID, From: clock.Now().Add(-time.Hour), To: clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := budget.WriteUsageCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	if got, want := len(lines), 1+len(rep.Rows)+1; got != want {
		t.Fatalf("lines: got %d, want %d (header, rows, total)", got, want)
	}
	if lines[0][10] != "cost_micros" || lines[0][12] != "key_id" {
		t.Errorf("header: got %v, want cost_micros in column 11 and key_id in column 13", lines[0])
	}
	keys := 0
	for _, l := range lines[1 : len(lines)-1] {
		if l[12] == "key_1" {
			keys++
			if l[10] != "2500" {
				t.Errorf("key_1's row: got cost %s, want 2500", l[10])
			}
		}
	}
	if keys != 1 {
		t.Errorf("rows of key_1: got %d, want 1 (a key's calls are a row of their own)", keys)
	}
	var sum int64
	for _, l := range lines[1 : len(lines)-1] {
		n, err := strconv.ParseInt(l[10], 10, 64)
		if err != nil {
			t.Fatalf("cost %q: %v", l[10], err)
		}
		sum += n
		if l[2] != "" && l[2][0] == '=' {
			t.Errorf("formula cell not neutralized: %q", l[2])
		}
	}
	total := lines[len(lines)-1]
	if total[0] != "total" || total[10] != "4000" || total[11] != "900" || strconv.FormatInt(sum, 10) != total[10] {
		t.Errorf("total line: got %v, want total cost 4000 (= sum of rows %d) and saved 900", total, sum)
	}
}
