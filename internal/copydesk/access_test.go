package copydesk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func TestParseRole(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want copydesk.Role
		code string
	}{
		{"ADMIN", copydesk.RoleAdmin, ""}, {"client", copydesk.RoleClient, ""}, {"User", copydesk.RoleUser, ""}, {"aDmIn", copydesk.RoleAdmin, ""},
		{"root", "", copydesk.EINVALID}, {"", "", copydesk.EINVALID},
	} {
		got, err := copydesk.ParseRole(tt.in)
		if got != tt.want || copydesk.ErrorCode(err) != tt.code {
			t.Errorf("ParseRole(%q): got %q, %v, want %q, %q", tt.in, got, err, tt.want, tt.code)
		}
	}
}

func TestPrincipalVisibility(t *testing.T) {
	t.Parallel()
	admin := copydesk.Principal{UserID: "a", CustomerID: "op", Role: copydesk.RoleAdmin}
	client := copydesk.Principal{UserID: "c", CustomerID: "acme", Role: copydesk.RoleClient}
	user := copydesk.Principal{UserID: "u", CustomerID: "acme", Role: copydesk.RoleUser}
	tests := []struct {
		name             string
		p                copydesk.Principal
		customer, userID string
		want             bool
	}{
		{"AdminOther", admin, "bolt", "x", true},
		{"ClientOwnCustomerOtherUser", client, "acme", "u", true},
		{"ClientOtherCustomer", client, "bolt", "x", false},
		{"UserOwn", user, "acme", "u", true},
		{"UserSameCustomerOtherUser", user, "acme", "c", false},
		{"UserOtherCustomer", user, "bolt", "u", false},
		{"EmptyCustomer", copydesk.Principal{Role: copydesk.RoleClient}, "", "", false},
	}
	for _, tt := range tests {
		if got := tt.p.CanSeeUser(tt.customer, tt.userID); got != tt.want {
			t.Errorf("%s: CanSeeUser got %v, want %v", tt.name, got, tt.want)
		}
	}
	if !client.CanSeeCustomer("acme") || client.CanSeeCustomer("bolt") || !admin.CanSeeCustomer("bolt") {
		t.Errorf("CanSeeCustomer: want own customer only, all for ADMIN")
	}
}

func TestBudgetLevels(t *testing.T) {
	t.Parallel()
	b := &copydesk.Budget{Limit: 1000, AlertPercent: 80, WarningPercent: 90}
	for _, tt := range []struct {
		spent copydesk.Micros
		want  int
	}{{0, 0}, {799, 0}, {800, 1}, {899, 1}, {900, 2}, {999, 2}, {1000, 3}, {5000, 3}} {
		if got := b.LevelOf(tt.spent); got != tt.want {
			t.Errorf("LevelOf(%d): got %d, want %d", tt.spent, got, tt.want)
		}
	}
	now := time.Date(2026, time.March, 10, 0, 0, 0, 0, time.UTC)
	b.Period, b.Spent, b.Reserved = "2026-03", 500, 300
	if got := b.Left(now); got != 0.2 {
		t.Errorf("Left: got %v, want 0.2", got)
	}
	if got := b.Left(now.AddDate(0, 1, 0)); got != 0.7 {
		t.Errorf("Left next month: got %v, want 0.7 (spent resets, reservations stay)", got)
	}
	huge := &copydesk.Budget{Limit: 1 << 60, AlertPercent: 80, WarningPercent: 90}
	if got := huge.LevelOf(1 << 59); got != 0 {
		t.Errorf("LevelOf half of 2^60: got %d, want 0 (no overflow)", got)
	}
}

func TestPrepareValidation(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, time.March, 10, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"CustomerLongName", (&copydesk.Customer{Name: strings.Repeat("x", copydesk.MaxNameLen+1)}).Prepare(now)},
		{"CustomerBadUTF8", (&copydesk.Customer{Name: "\xff"}).Prepare(now)},
		{"UserNoAt", (&copydesk.User{CustomerID: "c", Email: "ann", Role: copydesk.RoleUser}).Prepare(now)},
		{"UserAtEnd", (&copydesk.User{CustomerID: "c", Email: "ann@", Role: copydesk.RoleUser}).Prepare(now)},
		{"UserNoCustomer", (&copydesk.User{Email: "a@b", Role: copydesk.RoleUser}).Prepare(now)},
		{"KeyScopeWithSpace", (&copydesk.APIKey{CustomerID: "c", UserID: "u", Prefix: "p", Hash: make([]byte, 32), Scopes: []string{"a b"}}).Prepare(now)},
		{"KeyTooManyScopes", (&copydesk.APIKey{CustomerID: "c", UserID: "u", Prefix: "p", Hash: make([]byte, 32), Scopes: make([]string, copydesk.MaxScopes+1)}).Prepare(now)},
		{"SessionNoExpiry", (&copydesk.Session{UserID: "u", CustomerID: "c", Hash: make([]byte, 32)}).Prepare(now)},
		{"UsageTooLong", copydesk.UsageFilter{From: now, To: now.Add(copydesk.MaxUsageRange + time.Hour)}.Validate()},
		{"UsageNoFrom", copydesk.UsageFilter{To: now}.Validate()},
	} {
		if copydesk.ErrorCode(tt.err) != copydesk.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", tt.name, tt.err)
		}
	}
	id := copydesk.NewID(copydesk.CustomerIDPrefix, now)
	if !strings.HasPrefix(id, "cus_") || len(id) != len("cus_")+26 {
		t.Errorf("NewID: got %q, want cus_ and 26 characters", id)
	}
}
