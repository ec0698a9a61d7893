package copydesk

import (
	"cmp"
	"context"
	"math/bits"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do. The set is closed.
type Role string

// The three roles of the plan.
const (
	// RoleAdmin is the operator: everything, for all customers.
	RoleAdmin Role = "ADMIN"
	// RoleClient is a customer's owner: its users, keys, budgets and usage.
	RoleClient Role = "CLIENT"
	// RoleUser runs analyses, generation and translation, and sees only its
	// own jobs and results.
	RoleUser Role = "USER"
)

// ParseRole parses a role name, case-insensitively. Returns EINVALID for
// anything but admin, client or user.
func ParseRole(s string) (Role, error) {
	if r := Role(strings.ToUpper(s)); r.Valid() {
		return r, nil
	}
	return "", Errorf(EINVALID, "role %q is not one of ADMIN, CLIENT, USER", s)
}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleClient || r == RoleUser }

// Customer is a paying tenant (the plan's "klant"). Every user, key, job,
// cached result, budget and ledger row belongs to one customer; ADMIN users
// belong to the operator's own customer.
type Customer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person or service account of a customer.
type User struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Email      string `json:"email"` // unique over all customers, lower case
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	// PasswordHash is the encoded slow hash of the password (see the auth
	// package), or "" for a user that cannot log in with a password.
	PasswordHash string    `json:"-"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// APIKey is a stored API key. The secret is shown once at creation and never
// stored: only its hash is. Prefix identifies the key in lists and logs.
type APIKey struct {
	ID         string   `json:"id"`
	CustomerID string   `json:"customer_id"`
	UserID     string   `json:"user_id"` // the key acts as this user, with its role
	Name       string   `json:"name"`
	Prefix     string   `json:"prefix"` // unique, public: e.g. "cdk_3fa9c2d1e0b4"
	Hash       []byte   `json:"-"`      // SHA-256 of the full key
	Scopes     []string `json:"scopes,omitempty"`
	// Models, when set, are the only models the key may use: model names,
	// routing classes, aliases or provider/model names (see
	// Principal.AllowsModel). Empty: every model.
	Models []string `json:"models,omitempty"`
	// RateLimit, when set, is the key's own rate limit, checked besides
	// its user's and its customer's (a "virtual key").
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// RateLimit is a token bucket: PerMinute requests a minute, continuously,
// up to Burst at once.
type RateLimit struct {
	PerMinute int `json:"per_minute"`
	Burst     int `json:"burst,omitempty"` // 0: PerMinute
}

// MaxRatePerMinute bounds a RateLimit's PerMinute and Burst.
const MaxRatePerMinute = 1_000_000

// Validate returns EINVALID unless 0 < PerMinute <= MaxRatePerMinute and
// 0 <= Burst <= MaxRatePerMinute.
func (r RateLimit) Validate() error {
	if r.PerMinute < 1 || r.PerMinute > MaxRatePerMinute {
		return Errorf(EINVALID, "rate_limit.per_minute must be between 1 and %d (got %d)", MaxRatePerMinute, r.PerMinute)
	}
	if r.Burst < 0 || r.Burst > MaxRatePerMinute {
		return Errorf(EINVALID, "rate_limit.burst must be between 0 (per_minute) and %d (got %d)", MaxRatePerMinute, r.Burst)
	}
	return nil
}

// Session is a browser login. The token lives only in the cookie; the store
// keeps its hash.
type Session struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	CustomerID string    `json:"customer_id"`
	Hash       []byte    `json:"-"` // SHA-256 of the session token
	CSRFToken  string    `json:"-"` // synchronizer token for unsafe methods
	ExpiresAt  time.Time `json:"expires_at"`
	CreatedAt  time.Time `json:"created_at"`
}

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID     string   `json:"user_id"`
	CustomerID string   `json:"customer_id"`
	Role       Role     `json:"role"`
	Method     string   `json:"method"`           // "key", "session" or "jwt"
	KeyID      string   `json:"key_id,omitempty"` // set for Method "key", and "jwt" exchanged for a key
	Scopes     []string `json:"scopes,omitempty"` // empty: all the role allows
	Models     []string `json:"models,omitempty"` // empty: every model; see AllowsModel
	// KeyRateLimit is the rate limit of the API key the caller used (a key
	// or a JWT exchanged for one), nil for none.
	KeyRateLimit *RateLimit `json:"key_rate_limit,omitempty"`
	SessionID    string     `json:"session_id,omitempty"` // set for Method "session", and "jwt" exchanged for a session
}

// CanSeeCustomer reports whether p may read data of customerID: an ADMIN
// sees every customer, anyone else only their own.
func (p Principal) CanSeeCustomer(customerID string) bool {
	return p.Role == RoleAdmin || (p.CustomerID != "" && p.CustomerID == customerID)
}

// CanSeeUser reports whether p may read data owned by userID of customerID:
// an ADMIN everything, a CLIENT everything of its customer, a USER only its
// own.
func (p Principal) CanSeeUser(customerID, userID string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleClient:
		return p.CustomerID != "" && p.CustomerID == customerID
	case RoleUser:
		return p.CustomerID != "" && p.CustomerID == customerID && p.UserID == userID
	}
	return false
}

// UserFilter selects users. Empty fields do not filter.
type UserFilter struct {
	CustomerID string
	Role       Role
}

// APIKeyFilter selects API keys. Empty fields do not filter.
type APIKeyFilter struct {
	CustomerID string
	UserID     string
}

// AccessStore persists customers, users, API keys and sessions.
type AccessStore interface {
	// CreateCustomer stores a new customer; ID (when empty) and CreatedAt are
	// set on c. Returns EINVALID for an empty name and ECONFLICT for a taken ID.
	CreateCustomer(ctx context.Context, c *Customer) error
	// FindCustomerByID returns the customer. Returns ENOTFOUND if it does not exist.
	FindCustomerByID(ctx context.Context, id string) (*Customer, error)
	// FindCustomers returns all customers, oldest first.
	FindCustomers(ctx context.Context) ([]*Customer, error)

	// CreateUser stores a new user; ID (when empty) and CreatedAt are set on
	// u. Returns EINVALID for a missing email or an unknown role, ENOTFOUND
	// if the customer does not exist and ECONFLICT if the email is taken.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByID returns the user. Returns ENOTFOUND if it does not exist.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByEmail returns the user with the email (compared in lower
	// case). Returns ENOTFOUND if there is none.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUsers returns the users matching filter, oldest first.
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, error)
	// SetUserPassword replaces a user's password hash and, in the same
	// transaction, deletes the user's sessions: a password change ends
	// every browser session. Returns ENOTFOUND if the user does not exist.
	SetUserPassword(ctx context.Context, userID, passwordHash string) error
	// SetUserDisabled disables or enables a user; disabling deletes the
	// user's sessions in the same transaction. Returns ENOTFOUND if the
	// user does not exist.
	SetUserDisabled(ctx context.Context, userID string, disabled bool) error
	// SetUserRole changes a user's role and, in the same transaction,
	// deletes the user's sessions, so that no session keeps the old role.
	// The user's API keys act with the new role. Returns EINVALID for an
	// unknown role and ENOTFOUND if the user does not exist.
	SetUserRole(ctx context.Context, userID string, role Role) error
	// CountUsers returns the number of users (0 on a fresh store: bootstrap).
	CountUsers(ctx context.Context) (int, error)

	// CreateAPIKey stores a new key; ID (when empty) and CreatedAt are set on
	// k. Returns EINVALID for a missing prefix or hash, ENOTFOUND if the user
	// does not exist in k.CustomerID and ECONFLICT for a taken prefix.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// FindAPIKeyByPrefix returns the key with the prefix, revoked and
	// expired ones included. Returns ENOTFOUND if there is none.
	FindAPIKeyByPrefix(ctx context.Context, prefix string) (*APIKey, error)
	// FindAPIKeyByID returns the key with the ID, revoked and expired ones
	// included. Returns ENOTFOUND if there is none.
	FindAPIKeyByID(ctx context.Context, id string) (*APIKey, error)
	// FindAPIKeys returns the keys matching filter, oldest first.
	FindAPIKeys(ctx context.Context, filter APIKeyFilter) ([]*APIKey, error)
	// SetAPIKeyRateLimit sets (nil: removes) the key's own rate limit and
	// returns the key. Returns EINVALID for a bad rate and ENOTFOUND if the
	// key does not exist.
	SetAPIKeyRateLimit(ctx context.Context, id string, rate *RateLimit) (*APIKey, error)
	// RevokeAPIKey marks the key revoked now. Revoking a revoked key keeps
	// its first revocation time. Returns ENOTFOUND if the key does not exist.
	RevokeAPIKey(ctx context.Context, id string) (*APIKey, error)

	// CreateSession stores a new session; ID (when empty) and CreatedAt are
	// set on s. Returns ENOTFOUND if the user does not exist.
	CreateSession(ctx context.Context, s *Session) error
	// FindSessionByHash returns the session whose token hashes to hash,
	// expired ones included. Returns ENOTFOUND if there is none.
	FindSessionByHash(ctx context.Context, hash []byte) (*Session, error)
	// FindSessionByID returns the session with the ID, expired ones
	// included. Returns ENOTFOUND if there is none.
	FindSessionByID(ctx context.Context, id string) (*Session, error)
	// DeleteSession deletes a session (logout). Deleting an absent session
	// is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteExpiredSessions deletes sessions expired by the store's clock
	// and returns how many.
	DeleteExpiredSessions(ctx context.Context) (int, error)
}

// Budget thresholds, in the order they are crossed.
const (
	ThresholdNone    = 0 // below the alert threshold
	ThresholdAlert   = 1 // at or above AlertPercent of the limit
	ThresholdWarning = 2 // at or above WarningPercent of the limit
	ThresholdHard    = 3 // the hard limit is reached, or a call was refused by it
)

// Default budget thresholds, in percent of the monthly limit.
const (
	AlertPercentDefault   = 80
	WarningPercentDefault = 90
)

// ThresholdBit returns the bit of a threshold in Budget.Raised.
func ThresholdBit(level int) int { return 1 << level }

// ThresholdName returns "alert", "warning", "hard" or "none".
func ThresholdName(level int) string {
	switch level {
	case ThresholdAlert:
		return "alert"
	case ThresholdWarning:
		return "warning"
	case ThresholdHard:
		return "hard"
	}
	return "none"
}

// BudgetPeriod returns the calendar month t falls in, in UTC, as "2006-01":
// budgets reset when it changes.
func BudgetPeriod(t time.Time) string { return t.UTC().Format("2006-01") }

// Budget is a monthly spending limit of a customer (UserID and KeyID ""),
// of one of its users (UserID) or of one of its API keys (KeyID: a
// "virtual key" with a budget of its own). Spent and Reserved are of the
// current Period; the first reservation or settlement in a new calendar
// month resets Spent and Raised. Stores keep a budget under its customer
// and its Scope.
type Budget struct {
	CustomerID     string    `json:"customer_id"`
	UserID         string    `json:"user_id,omitempty"` // "" for the customer's own budget
	KeyID          string    `json:"key_id,omitempty"`  // set for an API key's budget (UserID is then "")
	Limit          Micros    `json:"limit"`             // the hard limit per month, in the configured currency
	AlertPercent   int       `json:"alert_percent"`     // default AlertPercentDefault
	WarningPercent int       `json:"warning_percent"`   // default WarningPercentDefault
	Period         string    `json:"period"`            // BudgetPeriod of Spent
	Spent          Micros    `json:"spent"`             // settled cost in Period
	Reserved       Micros    `json:"reserved"`          // open reservations
	Raised         int       `json:"raised"`            // thresholds raised in Period, a bit set of ThresholdBit
	UpdatedAt      time.Time `json:"updated_at"`
}

// Scope returns the budget's scope within its customer: "" for the
// customer's own budget, else the user's or the API key's ID. IDs carry
// their kind's prefix (UserIDPrefix, APIKeyIDPrefix), so a scope says which
// it is. The BudgetStore methods that take a scope (FindBudget,
// DeleteBudget, MarkThresholds) take any of the three.
func (b *Budget) Scope() string { return cmp.Or(b.KeyID, b.UserID) }

// SetScope sets UserID or KeyID from a scope (see Scope).
func (b *Budget) SetScope(scope string) {
	b.UserID, b.KeyID = "", ""
	if strings.HasPrefix(scope, APIKeyIDPrefix) {
		b.KeyID = scope
	} else {
		b.UserID = scope
	}
}

// Scopes returns the scopes of the budgets a reservation is charged to:
// the customer's, then the key's and the user's when set. This is their
// sorted order ("" < "key_…" < "usr_…"), the order stores lock budget rows
// in, so that concurrent transactions cannot deadlock.
func (r *Reservation) Scopes() []string {
	return ChargeScopes(r.UserID, r.KeyID)
}

// ChargeScopes returns the scopes of the budgets a call of userID made with
// keyID ("" for none) counts on, in the order of Reservation.Scopes.
func ChargeScopes(userID, keyID string) []string {
	s := make([]string, 1, 3)
	if keyID != "" {
		s = append(s, keyID)
	}
	if userID != "" {
		s = append(s, userID)
	}
	return s
}

// Left returns the fraction (0-1) of the limit neither spent nor reserved.
func (b *Budget) Left(now time.Time) float64 {
	if b.Limit <= 0 {
		return 0
	}
	spent := b.Spent
	if b.Period != BudgetPeriod(now) {
		spent = 0
	}
	left := b.Limit - spent - b.Reserved
	if left <= 0 {
		return 0
	}
	return float64(left) / float64(b.Limit)
}

// LevelOf returns the threshold that spent has reached.
func (b *Budget) LevelOf(spent Micros) int {
	switch {
	case b.Limit <= 0:
		return ThresholdNone
	case spent >= b.Limit:
		return ThresholdHard
	case spent <= 0:
		return ThresholdNone
	case atLeastPercent(spent, b.Limit, b.WarningPercent):
		return ThresholdWarning
	case atLeastPercent(spent, b.Limit, b.AlertPercent):
		return ThresholdAlert
	}
	return ThresholdNone
}

// atLeastPercent reports whether spent*100 >= limit*percent, in 128 bits so
// that no amount overflows. spent and limit are positive.
func atLeastPercent(spent, limit Micros, percent int) bool {
	sh, sl := bits.Mul64(uint64(spent), 100)
	lh, ll := bits.Mul64(uint64(limit), uint64(max(percent, 0)))
	return sh > lh || sh == lh && sl >= ll
}

// Reservation is money set aside for one provider call before it is made:
// the call's maximum cost. It is settled with the actual cost or released.
type Reservation struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	UserID     string    `json:"user_id,omitempty"`
	KeyID      string    `json:"key_id,omitempty"` // the API key the call was made with, if its budget counts
	Amount     Micros    `json:"amount"`
	CreatedAt  time.Time `json:"created_at"`
}

// LedgerEntry is the immutable record of one provider call (or cache hit
// that saved one).
type LedgerEntry struct {
	ID           string `json:"id"`
	CustomerID   string `json:"customer_id"`
	UserID       string `json:"user_id,omitempty"`
	KeyID        string `json:"key_id,omitempty"` // the API key the call was made with; "" for a session or internal call
	Kind         string `json:"kind"`             // task kind
	JobID        string `json:"job_id,omitempty"`
	Provider     string `json:"provider"`
	Model        string `json:"model"`
	InputTokens  int    `json:"input_tokens"`
	OutputTokens int    `json:"output_tokens"`
	CachedTokens int    `json:"cached_tokens"`
	Cost         Micros `json:"cost"`
	Saved        Micros `json:"saved"` // cost a cache hit saved; 0 for a provider call
	CacheHit     bool   `json:"cache_hit"`
	// Count is how many calls the row stands for: 1 for a provider call;
	// a row of cache hits summed per minute holds their number. Prepare
	// makes 0 into 1.
	Count         int           `json:"count"`
	Latency       time.Duration `json:"latency"`
	ReservationID string        `json:"reservation_id,omitempty"`
	At            time.Time     `json:"at"`
	// Tier is the service tier the call was made at: TierLive or
	// TierBatch. Prepare makes "" into TierLive.
	Tier string `json:"tier"`
}

// BudgetStore persists budgets, reservations and, in the same transactions,
// the ledger rows of settled calls.
type BudgetStore interface {
	// SetBudget creates or changes the limit and thresholds of a budget,
	// keeping its spent, reserved and raised thresholds. Zero percentages become the
	// defaults. Returns EINVALID for a negative limit or percentages out of
	// order (0 < alert <= warning < 100), and ENOTFOUND for an unknown
	// customer, or a user or API key not of the customer.
	SetBudget(ctx context.Context, b *Budget) error
	// FindBudget returns the budget of scope within a customer: "" for the
	// customer's, a user's or an API key's ID (see Budget.Scope). Returns
	// ENOTFOUND if none is set.
	FindBudget(ctx context.Context, customerID, scope string) (*Budget, error)
	// DeleteBudget removes a budget (its scope becomes unlimited). Returns
	// ENOTFOUND if none is set.
	DeleteBudget(ctx context.Context, customerID, scope string) error

	// Reserve atomically checks and reserves r.Amount on the customer's
	// budget and, for those that have one, the user's and the API key's
	// (r.Scopes()): the reservation is stored only
	// if spent+reserved+amount stays within every limit, so that concurrent
	// calls can never overspend. A customer, user or key without a budget
	// is not limited. ID (when empty) and CreatedAt are set on r. Returns the
	// customer's budget after (nil without one). Returns EINVALID for a
	// negative amount or missing customer and EBUDGETEXCEEDED if a limit
	// would be crossed.
	Reserve(ctx context.Context, r *Reservation) (*Budget, error)
	// Settle, in one transaction, deletes the reservation, releases the
	// amount it still holds, adds actual to spent and appends entry to the
	// ledger (with entry.Cost = actual, entry.ReservationID set, and the
	// customer and user filled from the reservation when empty). An expired
	// reservation (see ExpireReservation) is still settled: the call did
	// happen. Returns the customer's budget after (nil without one).
	// Returns ENOTFOUND if the reservation was settled, released or
	// forgotten, and EINVALID for a negative cost.
	Settle(ctx context.Context, reservationID string, actual Micros, entry *LedgerEntry) (*Budget, error)
	// Release deletes the reservation and releases the amount it holds.
	// Returns ENOTFOUND if it was settled, released or forgotten.
	Release(ctx context.Context, reservationID string) error
	// FindReservations returns the open, unexpired reservations created
	// before before, oldest first (all of them for a zero time).
	FindReservations(ctx context.Context, before time.Time) ([]*Reservation, error)
	// ExpireReservation releases the amount of an open reservation whose
	// call is presumed crashed, but keeps its record, so that a call that
	// was only slow is still charged when it settles. Returns ENOTFOUND if
	// the reservation is not open or already expired.
	ExpireReservation(ctx context.Context, reservationID string) error
	// DeleteExpiredReservations forgets the reservations expired before
	// before and returns how many.
	DeleteExpiredReservations(ctx context.Context, before time.Time) (int, error)
	// MarkThresholds records the thresholds in mask (a bit set of
	// ThresholdBit) as raised in period, rolling the budget over to period
	// if it is older, and returns the bit set raised before: the caller
	// raises events for mask &^ previous, so that each fires once per
	// period however many calls race. For a period older than the budget's
	// it changes nothing and returns mask. Returns ENOTFOUND if the budget
	// does not exist.
	MarkThresholds(ctx context.Context, customerID, scope, period string, mask int) (previous int, err error)
}

// Charge is the settled cost of a call whose reservation was held in a
// process's memory (budget.Memory): Amount is added to the spent amount of
// the customer's budget and, when UserID and KeyID are set, the user's and
// the API key's (those that exist), each rolled over to Period first, and
// Entry is appended to the ledger with Cost = Amount.
type Charge struct {
	CustomerID string
	UserID     string
	KeyID      string
	Period     string // BudgetPeriod of the settlement
	Amount     Micros
	Entry      *LedgerEntry
}

// BudgetJournal makes the charges of budgets held in memory durable.
type BudgetJournal interface {
	// ChargeBudgets applies the charges in one transaction: all of them or
	// none. A budget that no longer exists is skipped (its row is still
	// appended). Returns EINVALID (and changes nothing) if a charge or its
	// entry is invalid.
	ChargeBudgets(ctx context.Context, charges []*Charge) error
}

// Prepare validates c and prepares its entry (see LedgerEntry.Prepare),
// filling the entry's customer, user and cost from c.
func (c *Charge) Prepare(now time.Time) error {
	if c == nil || c.Entry == nil {
		return Errorf(EINVALID, "a charge needs a ledger entry")
	}
	if c.Amount < 0 || c.Amount > MaxBudgetMicros {
		return Errorf(EINVALID, "an actual cost must be between 0 and %d micro-units (got %d)", MaxBudgetMicros, c.Amount)
	}
	if c.Period == "" {
		c.Period = BudgetPeriod(now)
	}
	if c.Entry.CustomerID == "" {
		c.Entry.CustomerID, c.Entry.UserID = c.CustomerID, c.UserID
	}
	if c.Entry.KeyID == "" {
		c.Entry.KeyID = c.KeyID
	}
	if c.Entry.CustomerID != c.CustomerID {
		return Errorf(EINVALID, "ledger entry customer %q differs from the charge's %q", c.Entry.CustomerID, c.CustomerID)
	}
	c.Entry.Cost = c.Amount
	return c.Entry.Prepare(now)
}

// BudgetEvent is a budget threshold crossed (alert, warning, hard): raised
// once per budget, level and calendar month, for the caller to publish
// (webhook, metrics, UI).
type BudgetEvent struct {
	CustomerID string    `json:"customer_id"`
	UserID     string    `json:"user_id,omitempty"` // "" for the customer's budget
	KeyID      string    `json:"key_id,omitempty"`  // set for an API key's budget
	Level      int       `json:"level"`             // ThresholdAlert, ThresholdWarning or ThresholdHard
	Name       string    `json:"name"`              // ThresholdName(Level)
	Period     string    `json:"period"`            // BudgetPeriod, "2006-01"
	Spent      Micros    `json:"spent"`
	Limit      Micros    `json:"limit"`
	At         time.Time `json:"at"`
}

// BudgetService guards every provider call: reserve its maximum cost first,
// settle the actual cost (writing the ledger row) or release afterwards.
type BudgetService interface {
	// Reserve reserves estimate on the customer's (and the user's) budget.
	// Returns EINVALID for a missing customer or a negative estimate and
	// EBUDGETEXCEEDED if a hard limit would be crossed, with the hard
	// threshold's event the first time in a period.
	Reserve(ctx context.Context, customerID, userID string, estimate Micros) (Reservation, []BudgetEvent, error)
	// Settle records the actual cost and the ledger row and releases the
	// rest, in one transaction, and returns the thresholds crossed. Returns
	// ENOTFOUND if the reservation is no longer open.
	Settle(ctx context.Context, r Reservation, actual Micros, entry *LedgerEntry) ([]BudgetEvent, error)
	// Release gives a reservation back. Returns ENOTFOUND if it is no
	// longer open.
	Release(ctx context.Context, r Reservation) error
	// BudgetLeft returns the fraction (0-1) of the customer's monthly budget
	// left, or -1 if it has none.
	BudgetLeft(ctx context.Context, customerID string) (float64, error)
}

// UsageFilter selects ledger rows for a report: From inclusive, To
// exclusive. Empty IDs do not filter.
type UsageFilter struct {
	CustomerID string
	UserID     string
	From       time.Time
	To         time.Time
}

// UsageRow is the sum of the ledger rows of one group: day, customer, user,
// API key, model and task kind.
type UsageRow struct {
	Day          string `json:"day"` // "2006-01-02" in UTC
	CustomerID   string `json:"customer_id"`
	UserID       string `json:"user_id"`
	KeyID        string `json:"key_id"` // "" for calls made without an API key
	Model        string `json:"model"`
	Kind         string `json:"kind"`
	Calls        int64  `json:"calls"`
	CacheHits    int64  `json:"cache_hits"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	CachedTokens int64  `json:"cached_tokens"`
	Cost         Micros `json:"cost"`
	Saved        Micros `json:"saved"`
}

// UsageReport is the usage in a date range: one row per group, ordered by
// day, customer, user, key, model and kind, and the totals over all rows.
type UsageReport struct {
	From   time.Time  `json:"from"`
	To     time.Time  `json:"to"`
	Rows   []UsageRow `json:"rows"`
	Totals UsageRow   `json:"totals"` // Day and the IDs empty
}

// LedgerStore reads the cost ledger. Rows are only ever appended (by
// BudgetStore.Settle or AppendLedger) and never changed or deleted.
type LedgerStore interface {
	// AppendLedger appends a row that has no reservation (e.g. a cache hit
	// or a call of a customer without budget); ID (when empty) and At (when
	// zero) are set on e. Returns EINVALID for a missing customer or a
	// negative cost or token count.
	AppendLedger(ctx context.Context, e *LedgerEntry) error
	// AppendLedgers appends rows without reservations in one transaction:
	// all of them or none. IDs and times are set as by AppendLedger.
	// Returns EINVALID (and appends nothing) if a row is invalid.
	AppendLedgers(ctx context.Context, entries []*LedgerEntry) error
	// FindLedger returns the rows matching filter in time order.
	FindLedger(ctx context.Context, filter UsageFilter) ([]*LedgerEntry, error)
	// UsageReport sums the rows matching filter by day, customer, user,
	// API key, model and kind. Returns EINVALID if To is not after From.
	UsageReport(ctx context.Context, filter UsageFilter) (*UsageReport, error)
}

// ID prefixes of access entities.
const (
	CustomerIDPrefix    = "cus_"
	UserIDPrefix        = "usr_"
	APIKeyIDPrefix      = "key_"
	SessionIDPrefix     = "ses_"
	ReservationIDPrefix = "res_"
	LedgerIDPrefix      = "led_"
)

// NewID returns a new ID with prefix and the layout of NewJobID: time-ordered,
// 80 random bits. Pass the injected clock's time.
func NewID(prefix string, now time.Time) string {
	return prefix + NewJobID(now)[len(JobIDPrefix):]
}

// MaxBudgetMicros bounds budget limits and reservations (2^53 micro-units,
// about 9 billion currency units) so that sums of them never overflow.
const MaxBudgetMicros Micros = 1 << 53

// Field limits of access entities.
const (
	MaxNameLen   = 200
	MaxEmailLen  = 254
	MaxIDLen     = 128
	MaxScopes    = 32
	MaxScopeLen  = 64
	MaxPrefixLen = 64
)

func checkLen(field, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return Errorf(EINVALID, "%s is required", field)
	}
	if len(s) > max {
		return Errorf(EINVALID, "%s is longer than %d bytes", field, max)
	}
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8", field)
	}
	return nil
}

// Prepare validates c and sets its ID (when empty) and CreatedAt from now.
// Returns EINVALID naming the bad field.
func (c *Customer) Prepare(now time.Time) error {
	if c == nil {
		return Errorf(EINVALID, "customer is missing")
	}
	if err := checkLen("customer id", c.ID, MaxIDLen, false); err != nil {
		return err
	}
	if err := checkLen("customer name", c.Name, MaxNameLen, true); err != nil {
		return err
	}
	if c.ID == "" {
		c.ID = NewID(CustomerIDPrefix, now)
	}
	c.CreatedAt = now.UTC()
	return nil
}

// Prepare validates u, lower-cases its email and sets its ID (when empty)
// and CreatedAt from now. Returns EINVALID naming the bad field.
func (u *User) Prepare(now time.Time) error {
	if u == nil {
		return Errorf(EINVALID, "user is missing")
	}
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if err := checkLen("user id", u.ID, MaxIDLen, false); err != nil {
		return err
	}
	if err := checkLen("customer id", u.CustomerID, MaxIDLen, true); err != nil {
		return err
	}
	if err := checkLen("email", u.Email, MaxEmailLen, true); err != nil {
		return err
	}
	if at := strings.IndexByte(u.Email, '@'); at < 1 || at == len(u.Email)-1 || strings.ContainsAny(u.Email, " \t\r\n<>") {
		return Errorf(EINVALID, "email %q is not an address like name@example.com", u.Email)
	}
	if err := checkLen("user name", u.Name, MaxNameLen, false); err != nil {
		return err
	}
	if !u.Role.Valid() {
		return Errorf(EINVALID, "role %q is not one of ADMIN, CLIENT, USER", u.Role)
	}
	if u.ID == "" {
		u.ID = NewID(UserIDPrefix, now)
	}
	u.CreatedAt = now.UTC()
	return nil
}

// Prepare validates k and sets its ID (when empty) and CreatedAt from now.
// Returns EINVALID naming the bad field.
func (k *APIKey) Prepare(now time.Time) error {
	if k == nil {
		return Errorf(EINVALID, "api key is missing")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"customer id", k.CustomerID, MaxIDLen}, {"user id", k.UserID, MaxIDLen}, {"key prefix", k.Prefix, MaxPrefixLen}} {
		if err := checkLen(f.name, f.v, f.max, true); err != nil {
			return err
		}
	}
	if err := checkLen("key name", k.Name, MaxNameLen, false); err != nil {
		return err
	}
	if len(k.Hash) != 32 {
		return Errorf(EINVALID, "key hash must be 32 bytes (SHA-256), got %d", len(k.Hash))
	}
	if len(k.Scopes) > MaxScopes {
		return Errorf(EINVALID, "a key has at most %d scopes, got %d", MaxScopes, len(k.Scopes))
	}
	if err := ValidateModelList(k.Models); err != nil {
		return err
	}
	if k.RateLimit != nil {
		if err := k.RateLimit.Validate(); err != nil {
			return err
		}
	}
	for _, s := range k.Scopes {
		if err := checkLen("scope", s, MaxScopeLen, true); err != nil {
			return err
		}
		if strings.ContainsAny(s, " ,\t\r\n") {
			return Errorf(EINVALID, "scope %q must not contain spaces or commas", s)
		}
	}
	if k.ID == "" {
		k.ID = NewID(APIKeyIDPrefix, now)
	}
	k.CreatedAt = now.UTC()
	if k.ExpiresAt != nil {
		t := k.ExpiresAt.UTC()
		k.ExpiresAt = &t
	}
	k.RevokedAt = nil
	return nil
}

// Prepare validates s and sets its ID (when empty) and CreatedAt from now.
func (s *Session) Prepare(now time.Time) error {
	if s == nil {
		return Errorf(EINVALID, "session is missing")
	}
	if s.UserID == "" || s.CustomerID == "" {
		return Errorf(EINVALID, "session user and customer are required")
	}
	if len(s.Hash) != 32 {
		return Errorf(EINVALID, "session hash must be 32 bytes (SHA-256), got %d", len(s.Hash))
	}
	if s.ExpiresAt.IsZero() {
		return Errorf(EINVALID, "session expiry is required")
	}
	if s.ID == "" {
		s.ID = NewID(SessionIDPrefix, now)
	}
	s.CreatedAt = now.UTC()
	s.ExpiresAt = s.ExpiresAt.UTC()
	return nil
}

// Prepare validates b, fills default percentages and sets UpdatedAt.
func (b *Budget) Prepare(now time.Time) error {
	if b == nil {
		return Errorf(EINVALID, "budget is missing")
	}
	if err := checkLen("customer id", b.CustomerID, MaxIDLen, true); err != nil {
		return err
	}
	if err := checkLen("user id", b.UserID, MaxIDLen, false); err != nil {
		return err
	}
	if err := checkLen("key id", b.KeyID, MaxIDLen, false); err != nil {
		return err
	}
	if b.UserID != "" && b.KeyID != "" {
		return Errorf(EINVALID, "a budget is a customer's, a user's or an API key's, not a user's and a key's at once")
	}
	if b.Limit < 0 || b.Limit > MaxBudgetMicros {
		return Errorf(EINVALID, "budget limit must be between 0 and %d micro-units (got %d)", MaxBudgetMicros, b.Limit)
	}
	if b.AlertPercent == 0 {
		b.AlertPercent = AlertPercentDefault
	}
	if b.WarningPercent == 0 {
		b.WarningPercent = max(WarningPercentDefault, b.AlertPercent)
	}
	if b.AlertPercent < 1 || b.AlertPercent > b.WarningPercent || b.WarningPercent > 99 {
		return Errorf(EINVALID, "budget thresholds must satisfy 0 < alert (%d) <= warning (%d) < 100", b.AlertPercent, b.WarningPercent)
	}
	b.UpdatedAt = now.UTC()
	return nil
}

// Prepare validates e and sets its ID (when empty) and At (when zero).
func (e *LedgerEntry) Prepare(now time.Time) error {
	if e == nil {
		return Errorf(EINVALID, "ledger entry is missing")
	}
	if err := checkLen("customer id", e.CustomerID, MaxIDLen, true); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"user id", e.UserID}, {"key id", e.KeyID}, {"kind", e.Kind}, {"job id", e.JobID}, {"provider", e.Provider}, {"model", e.Model}} {
		if err := checkLen(f.name, f.v, MaxNameLen, false); err != nil {
			return err
		}
	}
	if e.InputTokens < 0 || e.OutputTokens < 0 || e.CachedTokens < 0 {
		return Errorf(EINVALID, "token counts cannot be negative")
	}
	if e.Cost < 0 || e.Saved < 0 {
		return Errorf(EINVALID, "cost and saving cannot be negative")
	}
	if e.Count < 0 {
		return Errorf(EINVALID, "a ledger row's count cannot be negative")
	}
	if e.Count == 0 {
		e.Count = 1
	}
	switch e.Tier {
	case "":
		e.Tier = TierLive
	case TierLive, TierBatch:
	default:
		return Errorf(EINVALID, "ledger tier %q is not live or batch", e.Tier)
	}
	if e.ID == "" {
		e.ID = NewID(LedgerIDPrefix, now)
	}
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC()
	return nil
}

// MaxUsageRange bounds a usage report's date range.
const MaxUsageRange = 400 * 24 * time.Hour

// Validate checks the range of f. Returns EINVALID if To is not after From
// or the range is longer than MaxUsageRange.
func (f UsageFilter) Validate() error {
	if f.From.IsZero() || f.To.IsZero() {
		return Errorf(EINVALID, "usage range needs both from and to")
	}
	if !f.To.After(f.From) {
		return Errorf(EINVALID, "usage range end %s is not after its start %s", f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
	}
	if f.To.Sub(f.From) > MaxUsageRange {
		return Errorf(EINVALID, "usage range is longer than %d days", MaxUsageRange/(24*time.Hour))
	}
	return nil
}

// Add adds the counts of o to r.
func (r *UsageRow) Add(o UsageRow) {
	r.Calls += o.Calls
	r.CacheHits += o.CacheHits
	r.InputTokens += o.InputTokens
	r.OutputTokens += o.OutputTokens
	r.CachedTokens += o.CachedTokens
	r.Cost += o.Cost
	r.Saved += o.Saved
}
