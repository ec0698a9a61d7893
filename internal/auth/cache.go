package auth

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// CacheTTLDefault is how long a CachingStore trusts what it read: a key
// revoked, a user disabled or a password changed on another instance stops
// working here within this time (at once on this instance).
const CacheTTLDefault = 2 * time.Second

// cacheMaxEntries bounds each of the cache's maps; past it the map is
// emptied (a spray of unknown keys cannot grow memory).
const cacheMaxEntries = 100_000

// CachingStore is a copydesk.AccessStore that remembers the API keys, users
// and sessions it read for TTL, so that an authenticated request does not
// read the store: neither a key's (by prefix), nor a JWT's (its key or
// session by ID and its user are checked against the same cached reads).
// Every change made through it (a key created or revoked, a user created,
// disabled or given a new password, a session created or deleted) forgets
// everything at once, so that this instance never serves
// stale access; changes made by another instance are seen within TTL.
// Unknown keys and sessions are remembered too (as not found). Safe for
// concurrent use.
type CachingStore struct {
	copydesk.AccessStore
	ttl   time.Duration
	clock copydesk.Clock

	mu       sync.RWMutex
	gen      uint64                             // bumped by every change, under mu
	keys     map[string]cached[copydesk.APIKey] // by prefix
	keyIDs   map[string]cached[copydesk.APIKey] // by ID (JWTs name their key)
	users    map[string]cached[copydesk.User]
	sessions map[string]cached[copydesk.Session] // by hash
	sessIDs  map[string]cached[copydesk.Session] // by ID (JWTs name their session)
}

// cached is one remembered read: the value, or ok false for not found.
type cached[T any] struct {
	v    T
	ok   bool
	read time.Time
}

var _ copydesk.AccessStore = (*CachingStore)(nil)

// NewCachingStore returns a CachingStore over store. ttl 0 is
// CacheTTLDefault; a negative ttl caches nothing.
func NewCachingStore(store copydesk.AccessStore, ttl time.Duration, clock copydesk.Clock) *CachingStore {
	return &CachingStore{AccessStore: store, ttl: cmp.Or(ttl, CacheTTLDefault), clock: cmp.Or[copydesk.Clock](clock, copydesk.SystemClock{})}
}

// lookup returns the remembered read of id in m, if fresh.
func lookup[T any](s *CachingStore, m *map[string]cached[T], id string) (cached[T], bool) {
	if s.ttl <= 0 {
		return cached[T]{}, false
	}
	s.mu.RLock()
	c, ok := (*m)[id]
	s.mu.RUnlock()
	if !ok || s.clock.Now().Sub(c.read) >= s.ttl {
		return c, false
	}
	return c, true
}

// remember stores a read made at generation gen, unless a change happened
// since (the read may be stale).
func remember[T any](s *CachingStore, m *map[string]cached[T], gen uint64, id string, c cached[T]) {
	if s.ttl <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return
	}
	if *m == nil || len(*m) >= cacheMaxEntries {
		*m = make(map[string]cached[T])
	}
	(*m)[id] = c
}

func (s *CachingStore) generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// Forget drops everything remembered. The changes made through the store
// call it; call it after changing access data another way.
func (s *CachingStore) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	s.keys, s.keyIDs, s.users, s.sessions, s.sessIDs = nil, nil, nil, nil, nil
}

// find reads id through the cache: a fresh remembered read, else read
// (which returns ENOTFOUND for an unknown id).
func find[T any](s *CachingStore, m *map[string]cached[T], id string, read func() (*T, error)) (*T, error) {
	if c, ok := lookup(s, m, id); ok {
		if !c.ok {
			return nil, copydesk.Errorf(copydesk.ENOTFOUND, "not found")
		}
		v := c.v
		return &v, nil
	}
	gen := s.generation()
	now := s.clock.Now()
	v, err := read()
	switch {
	case err == nil:
		remember(s, m, gen, id, cached[T]{v: *v, ok: true, read: now})
		out := *v
		return &out, nil
	case copydesk.ErrorCode(err) == copydesk.ENOTFOUND:
		remember(s, m, gen, id, cached[T]{read: now})
	}
	return nil, err
}

// FindAPIKeyByPrefix implements copydesk.AccessStore through the cache.
func (s *CachingStore) FindAPIKeyByPrefix(ctx context.Context, prefix string) (*copydesk.APIKey, error) {
	return find(s, &s.keys, prefix, func() (*copydesk.APIKey, error) { return s.AccessStore.FindAPIKeyByPrefix(ctx, prefix) })
}

// FindAPIKeyByID implements copydesk.AccessStore through the cache.
func (s *CachingStore) FindAPIKeyByID(ctx context.Context, id string) (*copydesk.APIKey, error) {
	return find(s, &s.keyIDs, id, func() (*copydesk.APIKey, error) { return s.AccessStore.FindAPIKeyByID(ctx, id) })
}

// FindSessionByID implements copydesk.AccessStore through the cache.
func (s *CachingStore) FindSessionByID(ctx context.Context, id string) (*copydesk.Session, error) {
	return find(s, &s.sessIDs, id, func() (*copydesk.Session, error) { return s.AccessStore.FindSessionByID(ctx, id) })
}

// FindUserByID implements copydesk.AccessStore through the cache.
func (s *CachingStore) FindUserByID(ctx context.Context, id string) (*copydesk.User, error) {
	return find(s, &s.users, id, func() (*copydesk.User, error) { return s.AccessStore.FindUserByID(ctx, id) })
}

// FindSessionByHash implements copydesk.AccessStore through the cache.
func (s *CachingStore) FindSessionByHash(ctx context.Context, hash []byte) (*copydesk.Session, error) {
	return find(s, &s.sessions, string(hash), func() (*copydesk.Session, error) { return s.AccessStore.FindSessionByHash(ctx, hash) })
}

// changed runs a change through the store and forgets everything, also if
// the change failed (it may have happened).
func changed[T any](s *CachingStore, v T, err error) (T, error) {
	s.Forget()
	return v, err
}

// CreateUser implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) CreateUser(ctx context.Context, u *copydesk.User) error {
	_, err := changed(s, 0, s.AccessStore.CreateUser(ctx, u))
	return err
}

// SetUserPassword implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) SetUserPassword(ctx context.Context, userID, passwordHash string) error {
	_, err := changed(s, 0, s.AccessStore.SetUserPassword(ctx, userID, passwordHash))
	return err
}

// SetUserDisabled implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) SetUserDisabled(ctx context.Context, userID string, disabled bool) error {
	_, err := changed(s, 0, s.AccessStore.SetUserDisabled(ctx, userID, disabled))
	return err
}

// SetUserRole implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) SetUserRole(ctx context.Context, userID string, role copydesk.Role) error {
	_, err := changed(s, 0, s.AccessStore.SetUserRole(ctx, userID, role))
	return err
}

// CreateAPIKey implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) CreateAPIKey(ctx context.Context, k *copydesk.APIKey) error {
	_, err := changed(s, 0, s.AccessStore.CreateAPIKey(ctx, k))
	return err
}

// SetAPIKeyRateLimit implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) SetAPIKeyRateLimit(ctx context.Context, id string, rate *copydesk.RateLimit) (*copydesk.APIKey, error) {
	k, err := s.AccessStore.SetAPIKeyRateLimit(ctx, id, rate)
	return changed(s, k, err)
}

// RevokeAPIKey implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) RevokeAPIKey(ctx context.Context, id string) (*copydesk.APIKey, error) {
	k, err := s.AccessStore.RevokeAPIKey(ctx, id)
	return changed(s, k, err)
}

// CreateSession implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) CreateSession(ctx context.Context, sess *copydesk.Session) error {
	_, err := changed(s, 0, s.AccessStore.CreateSession(ctx, sess))
	return err
}

// DeleteSession implements copydesk.AccessStore and forgets the cache.
func (s *CachingStore) DeleteSession(ctx context.Context, id string) error {
	_, err := changed(s, 0, s.AccessStore.DeleteSession(ctx, id))
	return err
}

// DeleteExpiredSessions implements copydesk.AccessStore and forgets the
// cache.
func (s *CachingStore) DeleteExpiredSessions(ctx context.Context) (int, error) {
	n, err := s.AccessStore.DeleteExpiredSessions(ctx)
	return changed(s, n, err)
}
