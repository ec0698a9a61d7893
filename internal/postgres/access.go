package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/jackc/pgx/v5"
)

var _ copydesk.AccessStore = (*DB)(nil)

// CreateCustomer stores a new customer. See copydesk.AccessStore.
func (db *DB) CreateCustomer(ctx context.Context, c *copydesk.Customer) error {
	if err := c.Prepare(db.now()); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO customers (id, name, created_at) VALUES ($1, $2, $3)`, c.ID, c.Name, c.CreatedAt)
	return translateAccess(err, "customer "+c.ID)
}

// FindCustomerByID returns the customer. Returns ENOTFOUND if it does not exist.
func (db *DB) FindCustomerByID(ctx context.Context, id string) (*copydesk.Customer, error) {
	var c copydesk.Customer
	err := db.pool.QueryRow(ctx, `SELECT id, name, created_at FROM customers WHERE id = $1`, id).Scan(&c.ID, &c.Name, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", id)
	} else if err != nil {
		return nil, translate(err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}

// FindCustomers returns all customers, oldest first.
func (db *DB) FindCustomers(ctx context.Context) ([]*copydesk.Customer, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, created_at FROM customers ORDER BY created_at, id`)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*copydesk.Customer, error) {
		var c copydesk.Customer
		err := row.Scan(&c.ID, &c.Name, &c.CreatedAt)
		c.CreatedAt = c.CreatedAt.UTC()
		return &c, err
	})
	return out, translate(err)
}

func exists(ctx context.Context, tx pgx.Tx, query string, args ...any) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (`+query+`)`, args...).Scan(&ok)
	return ok, translate(err)
}

// CreateUser stores a new user. See copydesk.AccessStore.
func (db *DB) CreateUser(ctx context.Context, u *copydesk.User) error {
	if err := u.Prepare(db.now()); err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM customers WHERE id = $1`, u.CustomerID); err != nil {
			return err
		} else if !ok {
			return copydesk.Errorf(copydesk.ENOTFOUND, "customer %q not found", u.CustomerID)
		}
		_, err := tx.Exec(ctx, `INSERT INTO users (id, customer_id, email, name, role, password_hash, disabled, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.ID, u.CustomerID, u.Email, u.Name, string(u.Role), u.PasswordHash, u.Disabled, u.CreatedAt)
		return translateAccess(err, "user with this id or email")
	})
}

const userColumns = `id, customer_id, email, name, role, password_hash, disabled, created_at`

func scanUser(row pgx.Row) (*copydesk.User, error) {
	var u copydesk.User
	var role string
	if err := row.Scan(&u.ID, &u.CustomerID, &u.Email, &u.Name, &role, &u.PasswordHash, &u.Disabled, &u.CreatedAt); err != nil {
		return nil, err
	}
	u.Role, u.CreatedAt = copydesk.Role(role), u.CreatedAt.UTC()
	return &u, nil
}

// FindUserByID returns the user. Returns ENOTFOUND if it does not exist.
func (db *DB) FindUserByID(ctx context.Context, id string) (*copydesk.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", id)
	}
	return u, translate(err)
}

// FindUserByEmail returns the user with the email. Returns ENOTFOUND if there is none.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*copydesk.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "no user with this email")
	}
	return u, translate(err)
}

// FindUsers returns the users matching filter, oldest first.
func (db *DB) FindUsers(ctx context.Context, filter copydesk.UserFilter) ([]*copydesk.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users
		WHERE ($1 = '' OR customer_id = $1) AND ($2 = '' OR role = $2) ORDER BY created_at, id`,
		filter.CustomerID, string(filter.Role))
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*copydesk.User, error) { return scanUser(row) })
	return out, translate(err)
}

// SetUserPassword replaces a user's password hash. Returns ENOTFOUND if the user does not exist.
// The user's sessions are deleted in the same transaction.
func (db *DB) SetUserPassword(ctx context.Context, userID, passwordHash string) error {
	return db.updateUser(ctx, userID, `UPDATE users SET password_hash = $1 WHERE id = $2`, passwordHash, true)
}

// SetUserDisabled disables or enables a user. Returns ENOTFOUND if the user does not exist.
// Disabling deletes the user's sessions in the same transaction.
func (db *DB) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	return db.updateUser(ctx, userID, `UPDATE users SET disabled = $1 WHERE id = $2`, disabled, disabled)
}

// SetUserRole changes a user's role and deletes its sessions. Returns
// EINVALID for an unknown role and ENOTFOUND if the user does not exist.
func (db *DB) SetUserRole(ctx context.Context, userID string, role copydesk.Role) error {
	if !role.Valid() {
		return copydesk.Errorf(copydesk.EINVALID, "role %q is not one of ADMIN, CLIENT, USER", role)
	}
	return db.updateUser(ctx, userID, `UPDATE users SET role = $1 WHERE id = $2`, string(role), true)
}

// updateUser runs query (with v and userID) and, when endSessions, deletes
// the user's sessions in the same transaction.
func (db *DB) updateUser(ctx context.Context, userID, query string, v any, endSessions bool) error {
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, v, userID)
		if err != nil {
			return translate(err)
		}
		if tag.RowsAffected() == 0 {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", userID)
		}
		if endSessions {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
				return translate(err)
			}
		}
		return nil
	})
}

// CountUsers returns the number of users.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, translate(err)
}

// CreateAPIKey stores a new key. See copydesk.AccessStore.
func (db *DB) CreateAPIKey(ctx context.Context, k *copydesk.APIKey) error {
	if err := k.Prepare(db.now()); err != nil {
		return err
	}
	if k.ExpiresAt != nil {
		t := pgTime(*k.ExpiresAt)
		k.ExpiresAt = &t
	}
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = $1 AND customer_id = $2`, k.UserID, k.CustomerID); err != nil {
			return err
		} else if !ok {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found in customer %q", k.UserID, k.CustomerID)
		}
		perMinute, burst := rateColumns(k.RateLimit)
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, customer_id, user_id, name, prefix, hash, scopes, models, expires_at, revoked_at, created_at, rate_per_minute, rate_burst)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $12)`,
			k.ID, k.CustomerID, k.UserID, k.Name, k.Prefix, k.Hash, strings.Join(k.Scopes, " "), strings.Join(k.Models, " "), k.ExpiresAt, k.CreatedAt, perMinute, burst)
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

func scanKey(row pgx.Row) (*copydesk.APIKey, error) {
	var k copydesk.APIKey
	var scopes, models string
	var perMinute, burst int
	if err := row.Scan(&k.ID, &k.CustomerID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &scopes, &models, &k.ExpiresAt, &k.RevokedAt, &k.CreatedAt, &perMinute, &burst); err != nil {
		return nil, err
	}
	if perMinute > 0 {
		k.RateLimit = &copydesk.RateLimit{PerMinute: perMinute, Burst: burst}
	}
	k.Scopes, k.Models = strings.Fields(scopes), strings.Fields(models)
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt, k.RevokedAt = utcPtr(k.ExpiresAt), utcPtr(k.RevokedAt)
	return &k, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// FindAPIKeyByPrefix returns the key with the prefix. Returns ENOTFOUND if there is none.
func (db *DB) FindAPIKeyByPrefix(ctx context.Context, prefix string) (*copydesk.APIKey, error) {
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = $1`, prefix))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key not found")
	}
	return k, translate(err)
}

// FindAPIKeyByID returns the key with the ID. Returns ENOTFOUND if there is none.
func (db *DB) FindAPIKeyByID(ctx context.Context, id string) (*copydesk.APIKey, error) {
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
	}
	return k, translate(err)
}

// FindAPIKeys returns the keys matching filter, oldest first.
func (db *DB) FindAPIKeys(ctx context.Context, filter copydesk.APIKeyFilter) ([]*copydesk.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE ($1 = '' OR customer_id = $1) AND ($2 = '' OR user_id = $2) ORDER BY created_at, id`,
		filter.CustomerID, filter.UserID)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*copydesk.APIKey, error) { return scanKey(row) })
	return out, translate(err)
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
	k, err := scanKey(db.pool.QueryRow(ctx, `UPDATE api_keys SET rate_per_minute = $1, rate_burst = $2
		WHERE id = $3 RETURNING `+keyColumns, perMinute, burst, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
	}
	return k, translate(err)
}

// RevokeAPIKey marks the key revoked. Returns ENOTFOUND if it does not exist.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) (*copydesk.APIKey, error) {
	k, err := scanKey(db.pool.QueryRow(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1)
		WHERE id = $2 RETURNING `+keyColumns, db.now(), id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "api key %q not found", id)
	}
	return k, translate(err)
}

// CreateSession stores a new session. Returns ENOTFOUND if the user does not exist.
func (db *DB) CreateSession(ctx context.Context, s *copydesk.Session) error {
	if err := s.Prepare(db.now()); err != nil {
		return err
	}
	s.ExpiresAt = pgTime(s.ExpiresAt)
	return db.writeTx(ctx, func(tx pgx.Tx) error {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = $1`, s.UserID); err != nil {
			return err
		} else if !ok {
			return copydesk.Errorf(copydesk.ENOTFOUND, "user %q not found", s.UserID)
		}
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, customer_id, hash, csrf_token, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.ID, s.UserID, s.CustomerID, s.Hash, s.CSRFToken, s.ExpiresAt, s.CreatedAt)
		return translateAccess(err, "session")
	})
}

// FindSessionByHash returns the session. Returns ENOTFOUND if there is none.
func (db *DB) FindSessionByHash(ctx context.Context, hash []byte) (*copydesk.Session, error) {
	return db.findSession(ctx, `hash = $1`, hash)
}

// FindSessionByID returns the session. Returns ENOTFOUND if there is none.
func (db *DB) FindSessionByID(ctx context.Context, id string) (*copydesk.Session, error) {
	return db.findSession(ctx, `id = $1`, id)
}

func (db *DB) findSession(ctx context.Context, where string, arg any) (*copydesk.Session, error) {
	var s copydesk.Session
	err := db.pool.QueryRow(ctx, `SELECT id, user_id, customer_id, hash, csrf_token, expires_at, created_at
		FROM sessions WHERE `+where, arg).Scan(&s.ID, &s.UserID, &s.CustomerID, &s.Hash, &s.CSRFToken, &s.ExpiresAt, &s.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "session not found")
	} else if err != nil {
		return nil, translate(err)
	}
	s.ExpiresAt, s.CreatedAt = s.ExpiresAt.UTC(), s.CreatedAt.UTC()
	return &s, nil
}

// DeleteSession deletes a session; an absent one is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return translate(err)
}

// DeleteExpiredSessions deletes expired sessions and returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, db.now())
	if err != nil {
		return 0, translate(err)
	}
	return int(tag.RowsAffected()), nil
}

// translateAccess names what already exists in a conflict.
func translateAccess(err error, what string) error {
	err = translate(err)
	if copydesk.ErrorCode(err) == copydesk.ECONFLICT {
		return copydesk.Errorf(copydesk.ECONFLICT, "a %s already exists", what)
	}
	return err
}
