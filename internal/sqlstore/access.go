package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// CreateCustomer stores a new customer. See copydesk.AccessStore.
func (s *Store) CreateCustomer(ctx context.Context, c *copydesk.Customer) error {
	if err := c.Prepare(s.clock()); err != nil {
		return err
	}
	return s.write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO customers (id, name, created_at) VALUES (?, ?, ?)`,
			c.ID, c.Name, s.dialect.Time(c.CreatedAt))
		return Conflict(err, "customer "+c.ID)
	})
}

// FindCustomerByID returns the customer. Returns ENOTFOUND if it does not exist.
func (s *Store) FindCustomerByID(ctx context.Context, id string) (*copydesk.Customer, error) {
	var c copydesk.Customer
	err := s.read.QueryRow(ctx, `SELECT id, name, created_at FROM customers WHERE id = ?`, id).
		Scan(&c.ID, &c.Name, s.dialect.ScanTime(&c.CreatedAt))
	if errors.Is(err, ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", id)
	} else if err != nil {
		return nil, err
	}
	return &c, nil
}

// FindCustomers returns all customers, oldest first.
func (s *Store) FindCustomers(ctx context.Context) ([]*copydesk.Customer, error) {
	return collect(ctx, s.read, func(r Row) (*copydesk.Customer, error) {
		var c copydesk.Customer
		err := r.Scan(&c.ID, &c.Name, s.dialect.ScanTime(&c.CreatedAt))
		return &c, err
	}, `SELECT id, name, created_at FROM customers ORDER BY created_at, id`)
}

// collect runs query and scans every row with scan.
func collect[T any](ctx context.Context, q Querier, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// CreateUser stores a new user. See copydesk.AccessStore.
func (s *Store) CreateUser(ctx context.Context, u *copydesk.User) error {
	if err := u.Prepare(s.clock()); err != nil {
		return err
	}
	return s.write(ctx, func(q Querier) error {
		if err := CustomerExists(ctx, q, u.CustomerID); err != nil {
			return err
		}
		_, err := q.Exec(ctx, `INSERT INTO users (id, customer_id, email, name, role, password_hash, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.CustomerID, u.Email, u.Name, string(u.Role), u.PasswordHash, u.Disabled, s.dialect.Time(u.CreatedAt))
		return Conflict(err, "user with this id or email")
	})
}

const userColumns = `id, customer_id, email, name, role, password_hash, disabled, created_at`

func (s *Store) scanUser(row Row) (*copydesk.User, error) {
	var u copydesk.User
	var role string
	if err := row.Scan(&u.ID, &u.CustomerID, &u.Email, &u.Name, &role, &u.PasswordHash, &u.Disabled, s.dialect.ScanTime(&u.CreatedAt)); err != nil {
		return nil, err
	}
	u.Role = copydesk.Role(role)
	return &u, nil
}

// FindUserByID returns the user. Returns ENOTFOUND if it does not exist.
func (s *Store) FindUserByID(ctx context.Context, id string) (*copydesk.User, error) {
	u, err := s.scanUser(s.read.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", id)
	}
	return u, err
}

// FindUserByEmail returns the user with the email. Returns ENOTFOUND if there is none.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*copydesk.User, error) {
	u, err := s.scanUser(s.read.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`,
		strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "no user with this email")
	}
	return u, err
}

// FindUsers returns the users matching filter, oldest first.
func (s *Store) FindUsers(ctx context.Context, filter copydesk.UserFilter) ([]*copydesk.User, error) {
	return collect(ctx, s.read, s.scanUser, `SELECT `+userColumns+` FROM users
		WHERE (? = '' OR customer_id = ?) AND (? = '' OR role = ?) ORDER BY created_at, id`,
		filter.CustomerID, filter.CustomerID, string(filter.Role), string(filter.Role))
}

// SetUserPassword replaces a user's password hash. Returns ENOTFOUND if the
// user does not exist. The user's sessions are deleted in the same
// transaction.
func (s *Store) SetUserPassword(ctx context.Context, userID, passwordHash string) error {
	return s.updateUser(ctx, userID, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, true)
}

// SetUserDisabled disables or enables a user. Returns ENOTFOUND if the user
// does not exist. Disabling deletes the user's sessions in the same
// transaction.
func (s *Store) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	return s.updateUser(ctx, userID, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, disabled)
}

// SetUserRole changes a user's role and deletes its sessions. Returns
// EINVALID for an unknown role and ENOTFOUND if the user does not exist.
func (s *Store) SetUserRole(ctx context.Context, userID string, role copydesk.Role) error {
	if !role.Valid() {
		return copydesk.Errorf(copydesk.EINVALID, "role %q is not one of ADMIN, CLIENT, USER", role)
	}
	return s.updateUser(ctx, userID, `UPDATE users SET role = ? WHERE id = ?`, string(role), true)
}

// updateUser runs query (with v and userID) and, when endSessions, deletes
// the user's sessions in the same transaction.
func (s *Store) updateUser(ctx context.Context, userID, query string, v any, endSessions bool) error {
	return s.write(ctx, func(q Querier) error {
		n, err := q.Exec(ctx, query, v, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", userID)
		}
		if endSessions {
			_, err = q.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		}
		return err
	})
}

// CountUsers returns the number of users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int64
	err := s.read.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return int(n), err
}

// CreateAPIKey stores a new key. See copydesk.AccessStore.
func (s *Store) CreateAPIKey(ctx context.Context, k *copydesk.APIKey) error {
	if err := k.Prepare(s.clock()); err != nil {
		return err
	}
	k.ExpiresAt = s.truncatePtr(k.ExpiresAt)
	return s.write(ctx, func(q Querier) error {
		if ok, err := exists(ctx, q, `SELECT COUNT(*) FROM users WHERE id = ? AND customer_id = ?`, k.UserID, k.CustomerID); err != nil {
			return err
		} else if !ok {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found in customer %q", k.UserID, k.CustomerID)
		}
		perMinute, burst := rateColumns(k.RateLimit)
		_, err := q.Exec(ctx, `INSERT INTO api_keys (id, customer_id, user_id, name, prefix, hash, scopes, models, expires_at, revoked_at, created_at, rate_per_minute, rate_burst)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
			k.ID, k.CustomerID, k.UserID, k.Name, k.Prefix, k.Hash, strings.Join(k.Scopes, " "), strings.Join(k.Models, " "),
			s.nullTime(k.ExpiresAt), s.dialect.Time(k.CreatedAt), perMinute, burst)
		return Conflict(err, "api key with this id or prefix")
	})
}

// nullTime is an optional time as a query argument.
func (s *Store) nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.dialect.Time(*t)
}

func (s *Store) truncatePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := s.dialect.Truncate(*t)
	return &u
}

const keyColumns = `id, customer_id, user_id, name, prefix, hash, scopes, models, expires_at, revoked_at, created_at, rate_per_minute, rate_burst`

// rateColumns are a key's rate limit as stored: 0, 0 for none.
func rateColumns(r *copydesk.RateLimit) (perMinute, burst int) {
	if r == nil {
		return 0, 0
	}
	return r.PerMinute, r.Burst
}

func (s *Store) scanKey(row Row) (*copydesk.APIKey, error) {
	var k copydesk.APIKey
	var scopes, models string
	var perMinute, burst int
	if err := row.Scan(&k.ID, &k.CustomerID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &scopes, &models,
		s.dialect.ScanNullTime(&k.ExpiresAt), s.dialect.ScanNullTime(&k.RevokedAt), s.dialect.ScanTime(&k.CreatedAt),
		&perMinute, &burst); err != nil {
		return nil, err
	}
	if perMinute > 0 {
		k.RateLimit = &copydesk.RateLimit{PerMinute: perMinute, Burst: burst}
	}
	k.Scopes, k.Models = strings.Fields(scopes), strings.Fields(models)
	return &k, nil
}

// FindAPIKeyByPrefix returns the key with the prefix. Returns ENOTFOUND if there is none.
func (s *Store) FindAPIKeyByPrefix(ctx context.Context, prefix string) (*copydesk.APIKey, error) {
	k, err := s.scanKey(s.read.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = ?`, prefix))
	if errors.Is(err, ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key not found")
	}
	return k, err
}

// FindAPIKeyByID returns the key with the ID. Returns ENOTFOUND if there is none.
func (s *Store) FindAPIKeyByID(ctx context.Context, id string) (*copydesk.APIKey, error) {
	k, err := s.scanKey(s.read.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
	}
	return k, err
}

// FindAPIKeys returns the keys matching filter, oldest first.
func (s *Store) FindAPIKeys(ctx context.Context, filter copydesk.APIKeyFilter) ([]*copydesk.APIKey, error) {
	return collect(ctx, s.read, s.scanKey, `SELECT `+keyColumns+` FROM api_keys
		WHERE (? = '' OR customer_id = ?) AND (? = '' OR user_id = ?) ORDER BY created_at, id`,
		filter.CustomerID, filter.CustomerID, filter.UserID, filter.UserID)
}

// SetAPIKeyRateLimit sets or removes the key's rate limit. See
// copydesk.AccessStore.
func (s *Store) SetAPIKeyRateLimit(ctx context.Context, id string, rate *copydesk.RateLimit) (*copydesk.APIKey, error) {
	if rate != nil {
		if err := rate.Validate(); err != nil {
			return nil, err
		}
	}
	perMinute, burst := rateColumns(rate)
	return s.updateKey(ctx, id, `UPDATE api_keys SET rate_per_minute = ?, rate_burst = ? WHERE id = ? RETURNING `+keyColumns, perMinute, burst, id)
}

// RevokeAPIKey marks the key revoked. Returns ENOTFOUND if it does not exist.
func (s *Store) RevokeAPIKey(ctx context.Context, id string) (*copydesk.APIKey, error) {
	return s.updateKey(ctx, id, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING `+keyColumns,
		s.dialect.Time(s.clock()), id)
}

// updateKey runs an UPDATE … RETURNING of the key with the ID.
func (s *Store) updateKey(ctx context.Context, id, query string, args ...any) (*copydesk.APIKey, error) {
	var k *copydesk.APIKey
	err := s.write(ctx, func(q Querier) (err error) {
		k, err = s.scanKey(q.QueryRow(ctx, query, args...))
		if errors.Is(err, ErrNoRows) {
			return copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
		}
		return err
	})
	return k, err
}

// CreateSession stores a new session. Returns ENOTFOUND if the user does not exist.
func (s *Store) CreateSession(ctx context.Context, se *copydesk.Session) error {
	if err := se.Prepare(s.clock()); err != nil {
		return err
	}
	se.ExpiresAt = s.dialect.Truncate(se.ExpiresAt)
	return s.write(ctx, func(q Querier) error {
		if ok, err := exists(ctx, q, `SELECT COUNT(*) FROM users WHERE id = ?`, se.UserID); err != nil {
			return err
		} else if !ok {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", se.UserID)
		}
		_, err := q.Exec(ctx, `INSERT INTO sessions (id, user_id, customer_id, hash, csrf_token, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, se.ID, se.UserID, se.CustomerID, se.Hash, se.CSRFToken,
			s.dialect.Time(se.ExpiresAt), s.dialect.Time(se.CreatedAt))
		return Conflict(err, "session")
	})
}

// FindSessionByHash returns the session. Returns ENOTFOUND if there is none.
func (s *Store) FindSessionByHash(ctx context.Context, hash []byte) (*copydesk.Session, error) {
	return s.findSession(ctx, `hash = ?`, hash)
}

// FindSessionByID returns the session. Returns ENOTFOUND if there is none.
func (s *Store) FindSessionByID(ctx context.Context, id string) (*copydesk.Session, error) {
	return s.findSession(ctx, `id = ?`, id)
}

func (s *Store) findSession(ctx context.Context, where string, arg any) (*copydesk.Session, error) {
	var se copydesk.Session
	err := s.read.QueryRow(ctx, `SELECT id, user_id, customer_id, hash, csrf_token, expires_at, created_at
		FROM sessions WHERE `+where, arg).Scan(&se.ID, &se.UserID, &se.CustomerID, &se.Hash, &se.CSRFToken,
		s.dialect.ScanTime(&se.ExpiresAt), s.dialect.ScanTime(&se.CreatedAt))
	if errors.Is(err, ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "session not found")
	} else if err != nil {
		return nil, err
	}
	return &se, nil
}

// DeleteSession deletes a session; an absent one is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return err
	})
}

// DeleteExpiredSessions deletes expired sessions and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int, error) {
	var n int64
	err := s.write(ctx, func(q Querier) (err error) {
		n, err = q.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, s.dialect.Time(s.clock()))
		return err
	})
	return int(n), err
}
