package auth

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// AdminKeyFile is the file Bootstrap writes the first ADMIN key to, in the
// data directory.
const AdminKeyFile = "admin.key"

// Bootstrap prepares a store with no users: it creates the operator's
// customer, an ADMIN user (email adminEmail, no password) and an API key,
// writes the key to <dataDir>/admin.key with mode 0600 and logs the file's
// location (never the key). It does nothing on a store that has users and
// reports whether it created them. Returns ECONFLICT if the key file already
// exists (it is never overwritten) and EUNAVAILABLE if it cannot be written;
// in both cases nothing is created.
func Bootstrap(ctx context.Context, store copydesk.AccessStore, now time.Time, dataDir, adminEmail string, logger *slog.Logger) (bool, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n, err := store.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	path := filepath.Join(dataDir, AdminKeyFile)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return false, copydesk.Errorf(copydesk.EUNAVAILABLE, "cannot create data directory %q: %v", dataDir, err)
	}
	// Create the file first (exclusively) so that a failure leaves no
	// key in the store that nobody can read.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, copydesk.Errorf(copydesk.ECONFLICT, "%s exists but the store has no users; move it away to bootstrap again", path)
	} else if err != nil {
		return false, copydesk.Errorf(copydesk.EUNAVAILABLE, "cannot create %s: %v", path, err)
	}
	fail := func(err error) (bool, error) {
		f.Close()
		os.Remove(path)
		return false, err
	}
	c := &copydesk.Customer{Name: "Operator"}
	if err := store.CreateCustomer(ctx, c); err != nil {
		return fail(err)
	}
	u := &copydesk.User{CustomerID: c.ID, Email: adminEmail, Name: "Administrator", Role: copydesk.RoleAdmin}
	if err := store.CreateUser(ctx, u); copydesk.ErrorCode(err) == copydesk.ECONFLICT {
		// Another instance of the cluster bootstrapped the same empty store
		// at the same moment: its ADMIN stands; this one starts without.
		logger.Info("another instance created the first ADMIN user at the same time; its key is in that instance's data directory", "email", adminEmail)
		_, _ = fail(nil)
		return false, nil
	} else if err != nil {
		return fail(err)
	}
	key, k, err := CreateAPIKey(ctx, store, now, c.ID, u.ID, KeyOptions{Name: "bootstrap"})
	if err != nil {
		return fail(err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		return fail(copydesk.Errorf(copydesk.EUNAVAILABLE, "cannot write %s: %v", path, err))
	}
	if err := f.Close(); err != nil {
		return fail(copydesk.Errorf(copydesk.EUNAVAILABLE, "cannot write %s: %v", path, err))
	}
	logger.Warn("created the first ADMIN user and API key; the key is in the file, readable only by this user",
		"file", path, "email", u.Email, "key_prefix", k.Prefix)
	return true, nil
}
