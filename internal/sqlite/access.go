package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

var _ copydesk.AccessStore = (*DB)(nil)

// CreateCustomer stores a new customer. See copydesk.AccessStore.
func (db *DB) CreateCustomer(ctx context.Context, c *copydesk.Customer) error {
	if err := c.Prepare(db.clock.Now()); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, created_at) VALUES (?, ?, ?)`,
			c.ID, c.Name, encodeTime(c.CreatedAt))
		return translateAccess(err, "customer "+c.ID)
	})
}

// FindCustomerByID returns the customer. Returns ENOTFOUND if it does not exist.
func (db *DB) FindCustomerByID(ctx context.Context, id string) (*copydesk.Customer, error) {
	var c copydesk.Customer
	var created int64
	err := db.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM customers WHERE id = ?`, id).
		Scan(&c.ID, &c.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", id)
	} else if err != nil {
		return nil, translate(err)
	}
	c.CreatedAt = decodeTime(created)
	return &c, nil
}

// FindCustomers returns all customers, oldest first.
func (db *DB) FindCustomers(ctx context.Context) ([]*copydesk.Customer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, created_at FROM customers ORDER BY created_at, id`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*copydesk.Customer
	for rows.Next() {
		var c copydesk.Customer
		var created int64
		if err := rows.Scan(&c.ID, &c.Name, &created); err != nil {
			return nil, translate(err)
		}
		c.CreatedAt = decodeTime(created)
		out = append(out, &c)
	}
	return out, translate(rows.Err())
}

// CreateUser stores a new user. See copydesk.AccessStore.
func (db *DB) CreateUser(ctx context.Context, u *copydesk.User) error {
	if err := u.Prepare(db.clock.Now()); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		if err := customerExists(ctx, tx, u.CustomerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, customer_id, email, name, role, password_hash, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.CustomerID, u.Email, u.Name, string(u.Role), u.PasswordHash, u.Disabled, encodeTime(u.CreatedAt))
		return translateAccess(err, "user with this id or email")
	})
}

func customerExists(ctx context.Context, tx *Tx, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers WHERE id = ?`, id).Scan(&n); err != nil {
		return translate(err)
	}
	if n == 0 {
		return copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", id)
	}
	return nil
}

const userColumns = `id, customer_id, email, name, role, password_hash, disabled, created_at`

func scanUser(row interface{ Scan(...any) error }) (*copydesk.User, error) {
	var u copydesk.User
	var role string
	var created int64
	if err := row.Scan(&u.ID, &u.CustomerID, &u.Email, &u.Name, &role, &u.PasswordHash, &u.Disabled, &created); err != nil {
		return nil, err
	}
	u.Role, u.CreatedAt = copydesk.Role(role), decodeTime(created)
	return &u, nil
}

// FindUserByID returns the user. Returns ENOTFOUND if it does not exist.
func (db *DB) FindUserByID(ctx context.Context, id string) (*copydesk.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", id)
	}
	return u, translate(err)
}

// FindUserByEmail returns the user with the email. Returns ENOTFOUND if there is none.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*copydesk.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`,
		strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "no user with this email")
	}
	return u, translate(err)
}

// FindUsers returns the users matching filter, oldest first.
func (db *DB) FindUsers(ctx context.Context, filter copydesk.UserFilter) ([]*copydesk.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE (? = '' OR customer_id = ?) AND (? = '' OR role = ?) ORDER BY created_at, id`,
		filter.CustomerID, filter.CustomerID, string(filter.Role), string(filter.Role))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*copydesk.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, u)
	}
	return out, translate(rows.Err())
}

// SetUserPassword replaces a user's password hash. Returns ENOTFOUND if the user does not exist.
// The user's sessions are deleted in the same transaction.
func (db *DB) SetUserPassword(ctx context.Context, userID, passwordHash string) error {
	return db.updateUser(ctx, userID, `UPDATE users SET password_hash = ? WHERE id = ?`, passwordHash, true)
}

// SetUserDisabled disables or enables a user. Returns ENOTFOUND if the user does not exist.
// Disabling deletes the user's sessions in the same transaction.
func (db *DB) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	return db.updateUser(ctx, userID, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, disabled)
}

// SetUserRole changes a user's role and deletes its sessions. Returns
// EINVALID for an unknown role and ENOTFOUND if the user does not exist.
func (db *DB) SetUserRole(ctx context.Context, userID string, role copydesk.Role) error {
	if !role.Valid() {
		return copydesk.Errorf(copydesk.EINVALID, "role %q is not one of ADMIN, CLIENT, USER", role)
	}
	return db.updateUser(ctx, userID, `UPDATE users SET role = ? WHERE id = ?`, string(role), true)
}

// updateUser runs query (with v and userID) and, when endSessions, deletes
// the user's sessions in the same transaction.
func (db *DB) updateUser(ctx context.Context, userID, query string, v any, endSessions bool) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, query, v, userID)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", userID)
		}
		if endSessions {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
				return translate(err)
			}
		}
		return nil
	})
}

// CountUsers returns the number of users.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, translate(err)
}

// CreateAPIKey stores a new key. See copydesk.AccessStore.
func (db *DB) CreateAPIKey(ctx context.Context, k *copydesk.APIKey) error {
	if err := k.Prepare(db.clock.Now()); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ? AND customer_id = ?`,
			k.UserID, k.CustomerID).Scan(&n); err != nil {
			return translate(err)
		}
		if n == 0 {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found in customer %q", k.UserID, k.CustomerID)
		}
		perMinute, burst := rateColumns(k.RateLimit)
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, customer_id, user_id, name, prefix, hash, scopes, models, expires_at, revoked_at, created_at, rate_per_minute, rate_burst)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
			k.ID, k.CustomerID, k.UserID, k.Name, k.Prefix, k.Hash, strings.Join(k.Scopes, " "), strings.Join(k.Models, " "),
			nullTime(k.ExpiresAt), encodeTime(k.CreatedAt), perMinute, burst)
		return translateAccess(err, "api key with this id or prefix")
	})
}

const keyColumns = `id, customer_id, user_id, name, prefix, hash, scopes, models, expires_at, revoked_at, created_at, rate_per_minute, rate_burst`

// rateColumns are a key's rate limit as stored: 0, 0 for none.
func rateColumns(r *copydesk.RateLimit) (perMinute, burst int) {
	if r == nil {
		return 0, 0
	}
	return r.PerMinute, r.Burst
}

// rateOf is the rate limit of stored columns.
func rateOf(perMinute, burst int) *copydesk.RateLimit {
	if perMinute <= 0 {
		return nil
	}
	return &copydesk.RateLimit{PerMinute: perMinute, Burst: burst}
}

func scanKey(row interface{ Scan(...any) error }) (*copydesk.APIKey, error) {
	var k copydesk.APIKey
	var scopes, models string
	var expires, revoked sql.NullInt64
	var created int64
	var perMinute, burst int
	if err := row.Scan(&k.ID, &k.CustomerID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &scopes, &models, &expires, &revoked, &created, &perMinute, &burst); err != nil {
		return nil, err
	}
	k.RateLimit = rateOf(perMinute, burst)
	k.Scopes, k.Models = strings.Fields(scopes), strings.Fields(models)
	k.ExpiresAt, k.RevokedAt, k.CreatedAt = timePtr(expires), timePtr(revoked), decodeTime(created)
	return &k, nil
}

// FindAPIKeyByPrefix returns the key with the prefix. Returns ENOTFOUND if there is none.
func (db *DB) FindAPIKeyByPrefix(ctx context.Context, prefix string) (*copydesk.APIKey, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = ?`, prefix))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key not found")
	}
	return k, translate(err)
}

// FindAPIKeyByID returns the key with the ID. Returns ENOTFOUND if there is none.
func (db *DB) FindAPIKeyByID(ctx context.Context, id string) (*copydesk.APIKey, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
	}
	return k, translate(err)
}

// FindAPIKeys returns the keys matching filter, oldest first.
func (db *DB) FindAPIKeys(ctx context.Context, filter copydesk.APIKeyFilter) ([]*copydesk.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE (? = '' OR customer_id = ?) AND (? = '' OR user_id = ?) ORDER BY created_at, id`,
		filter.CustomerID, filter.CustomerID, filter.UserID, filter.UserID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*copydesk.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, k)
	}
	return out, translate(rows.Err())
}

// SetAPIKeyRateLimit sets or removes the key's rate limit. See
// copydesk.AccessStore.
func (db *DB) SetAPIKeyRateLimit(ctx context.Context, id string, rate *copydesk.RateLimit) (*copydesk.APIKey, error) {
	if rate != nil {
		if err := rate.Validate(); err != nil {
			return nil, err
		}
	}
	perMinute, burst := rateColumns(rate)
	var k *copydesk.APIKey
	err := db.writeTx(ctx, func(tx *Tx) error {
		var err error
		k, err = scanKey(tx.QueryRowContext(ctx, `UPDATE api_keys SET rate_per_minute = ?, rate_burst = ?
			WHERE id = ? RETURNING `+keyColumns, perMinute, burst, id))
		if errors.Is(err, sql.ErrNoRows) {
			return copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
		}
		return translate(err)
	})
	return k, err
}

// RevokeAPIKey marks the key revoked. Returns ENOTFOUND if it does not exist.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) (*copydesk.APIKey, error) {
	var k *copydesk.APIKey
	err := db.writeTx(ctx, func(tx *Tx) error {
		var err error
		k, err = scanKey(tx.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)
			WHERE id = ? RETURNING `+keyColumns, encodeTime(db.clock.Now()), id))
		if errors.Is(err, sql.ErrNoRows) {
			return copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
		}
		return translate(err)
	})
	return k, err
}

// CreateSession stores a new session. Returns ENOTFOUND if the user does not exist.
func (db *DB) CreateSession(ctx context.Context, s *copydesk.Session) error {
	if err := s.Prepare(db.clock.Now()); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ?`, s.UserID).Scan(&n); err != nil {
			return translate(err)
		}
		if n == 0 {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", s.UserID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, customer_id, hash, csrf_token, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, s.ID, s.UserID, s.CustomerID, s.Hash, s.CSRFToken,
			encodeTime(s.ExpiresAt), encodeTime(s.CreatedAt))
		return translateAccess(err, "session")
	})
}

// FindSessionByHash returns the session. Returns ENOTFOUND if there is none.
func (db *DB) FindSessionByHash(ctx context.Context, hash []byte) (*copydesk.Session, error) {
	return db.findSession(ctx, `hash = ?`, hash)
}

// FindSessionByID returns the session. Returns ENOTFOUND if there is none.
func (db *DB) FindSessionByID(ctx context.Context, id string) (*copydesk.Session, error) {
	return db.findSession(ctx, `id = ?`, id)
}

func (db *DB) findSession(ctx context.Context, where string, arg any) (*copydesk.Session, error) {
	var s copydesk.Session
	var expires, created int64
	err := db.read.QueryRowContext(ctx, `SELECT id, user_id, customer_id, hash, csrf_token, expires_at, created_at
		FROM sessions WHERE `+where, arg).Scan(&s.ID, &s.UserID, &s.CustomerID, &s.Hash, &s.CSRFToken, &expires, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "session not found")
	} else if err != nil {
		return nil, translate(err)
	}
	s.ExpiresAt, s.CreatedAt = decodeTime(expires), decodeTime(created)
	return &s, nil
}

// DeleteSession deletes a session; an absent one is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return translate(err)
	})
}

// DeleteExpiredSessions deletes expired sessions and returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int, error) {
	var n int64
	err := db.writeTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, encodeTime(db.clock.Now()))
		if err != nil {
			return translate(err)
		}
		n, err = res.RowsAffected()
		return translate(err)
	})
	return int(n), err
}

// translateAccess names what already exists in a conflict.
func translateAccess(err error, what string) error {
	err = translate(err)
	if copydesk.ErrorCode(err) == copydesk.ECONFLICT {
		return copydesk.Errorf(copydesk.ECONFLICT, "a %s already exists", what)
	}
	return err
}

// timePtr decodes an optional time.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := decodeTime(v.Int64)
	return &t
}
