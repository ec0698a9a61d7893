package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/copydesk/copydesk/internal/auth"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/postgres"
	"github.com/copydesk/copydesk/internal/sqlite"
)

const adminUsage = `Usage:
  copydesk admin create-customer --name NAME
  copydesk admin create-user --customer ID --email EMAIL [--role USER|CLIENT|ADMIN] [--name NAME] [--password-stdin | --password PW]
  copydesk admin set-password (--user ID | --email EMAIL) [--password-stdin | --password PW]
  copydesk admin create-key --user ID [--name NAME] [--scopes a,b] [--models m1,class,provider/m2] [--expires 720h]
                             [--budget MICROS] [--rate-per-minute N [--burst N]]
  copydesk admin list-customers
  copydesk admin set-budget --customer ID --limit MICROS [--user ID | --key ID] [--alert 80] [--warning 90]
  copydesk admin set-key-rate --key ID --rate-per-minute N [--burst N]   (N 0: no rate limit of its own)

Each also takes the store flags (--data, --database, --config). They work on
the store directly, also while the server runs.`

// adminStore is what the admin commands need of a store.
type adminStore interface {
	copydesk.AccessStore
	copydesk.BudgetStore
}

// runAdmin runs a `copydesk admin` subcommand against the configured store.
func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return &UsageError{Message: "admin: no subcommand given", Hint: adminUsage}
	}
	sub := args[0]
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var name, customer, email, role, password, user, key, scopes, models string
	var keyBudget int64
	var ratePerMinute, burst int
	var passwordStdin bool
	var expires time.Duration
	var limit int64
	var alertPct, warningPct int
	var bind func(fs *flag.FlagSet)
	switch sub {
	case "create-customer":
		bind = func(fs *flag.FlagSet) { fs.StringVar(&name, "name", "", "customer name (required)") }
	case "create-user":
		bind = func(fs *flag.FlagSet) {
			fs.StringVar(&customer, "customer", "", "customer ID (required)")
			fs.StringVar(&email, "email", "", "email address (required, unique)")
			fs.StringVar(&role, "role", "USER", "ADMIN, CLIENT or USER")
			fs.StringVar(&name, "name", "", "display name")
			fs.StringVar(&password, "password", "", "password for web login (prefer --password-stdin: flags show in ps)")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
		}
	case "set-password":
		bind = func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "user ID")
			fs.StringVar(&email, "email", "", "email address (instead of --user), e.g. the first ADMIN's")
			fs.StringVar(&password, "password", "", "the new password for web login (prefer --password-stdin: flags show in ps)")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
		}
	case "create-key":
		bind = func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "user ID the key acts as (required)")
			fs.StringVar(&name, "name", "", "a label, e.g. ci")
			fs.StringVar(&scopes, "scopes", "", "comma-separated scopes; empty: all the user's role allows")
			fs.StringVar(&models, "models", "", "comma-separated models, classes, aliases or provider/model names the key may use; empty: every model")
			fs.DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h; 0: no expiry")
			fs.Int64Var(&keyBudget, "budget", -1, "a monthly budget of the key's own, in micro-units (1 unit = 1000000); -1: none")
			fs.IntVar(&ratePerMinute, "rate-per-minute", 0, "a rate limit of the key's own, in requests a minute; 0: none")
			fs.IntVar(&burst, "burst", 0, "requests at once for --rate-per-minute; 0: the rate")
		}
	case "set-key-rate":
		bind = func(fs *flag.FlagSet) {
			fs.StringVar(&key, "key", "", "API key ID, key_… (required)")
			fs.IntVar(&ratePerMinute, "rate-per-minute", -1, "requests a minute; 0 removes the key's own rate limit (required)")
			fs.IntVar(&burst, "burst", 0, "requests at once; 0: the rate")
		}
	case "list-customers":
		bind = func(*flag.FlagSet) {}
	case "set-budget":
		bind = func(fs *flag.FlagSet) {
			fs.StringVar(&customer, "customer", "", "customer ID (required)")
			fs.StringVar(&user, "user", "", "a user of the customer, for a per-user budget")
			fs.StringVar(&key, "key", "", "an API key of the customer (key_…), for the key's own budget")
			fs.Int64Var(&limit, "limit", -1, "monthly hard limit in micro-units of the currency (1 unit = 1000000) (required)")
			fs.IntVar(&alertPct, "alert", 0, "alert threshold in percent (default 80)")
			fs.IntVar(&warningPct, "warning", 0, "warning threshold in percent (default 90)")
		}
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, adminUsage)
		return nil
	default:
		return &UsageError{Message: fmt.Sprintf("admin: unknown subcommand %q", sub), Hint: adminUsage}
	}
	cfg, err := loadConfig(fs, args[1:], getenv, func(fs *flag.FlagSet, c *Config) {
		bindStoreFlags(fs, c)
		bind(fs)
	})
	if err != nil {
		return err
	}
	st, closeStore, err := openAdminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	now := time.Now()
	switch sub {
	case "create-customer":
		c := &copydesk.Customer{Name: name}
		if err := st.CreateCustomer(ctx, c); err != nil {
			return err
		}
		fmt.Fprintln(stdout, c.ID)
	case "create-user":
		if customer == "" || email == "" {
			return &UsageError{Message: "admin create-user: --customer and --email are required", Hint: adminUsage}
		}
		r, err := copydesk.ParseRole(role)
		if err != nil {
			return err
		}
		if passwordStdin {
			if password, err = readPasswordLine(stdin); err != nil {
				return &UsageError{Message: "admin create-user: " + err.Error()}
			}
		}
		u := &copydesk.User{CustomerID: customer, Email: email, Name: name, Role: r}
		if password != "" {
			if u.PasswordHash, err = auth.HashPassword(password, auth.DefaultPasswordParams); err != nil {
				return err
			}
		}
		if err := st.CreateUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintln(stdout, u.ID)
	case "set-password":
		if (user == "") == (email == "") {
			return &UsageError{Message: "admin set-password: give --user or --email (one of them)", Hint: adminUsage}
		}
		if passwordStdin {
			if password, err = readPasswordLine(stdin); err != nil {
				return &UsageError{Message: "admin set-password: " + err.Error()}
			}
		}
		if password == "" {
			return &UsageError{Message: "admin set-password: no password given; use --password-stdin", Hint: adminUsage}
		}
		var u *copydesk.User
		if user != "" {
			u, err = st.FindUserByID(ctx, user)
		} else {
			u, err = st.FindUserByEmail(ctx, email)
		}
		if err != nil {
			return err
		}
		h, err := auth.HashPassword(password, auth.DefaultPasswordParams)
		if err != nil {
			return err
		}
		if err := st.SetUserPassword(ctx, u.ID, h); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "password set for %s (%s); log in at /ui/\n", u.Email, u.Role)
		fmt.Fprintln(stdout, u.ID)
	case "create-key":
		if user == "" {
			return &UsageError{Message: "admin create-key: --user is required", Hint: adminUsage}
		}
		u, err := st.FindUserByID(ctx, user)
		if err != nil {
			return err
		}
		opts := auth.KeyOptions{Name: name}
		if scopes != "" {
			opts.Scopes = splitKeys(scopes)
		}
		if models != "" {
			opts.Models = splitKeys(models)
		}
		if expires < 0 {
			return &UsageError{Message: "admin create-key: --expires cannot be negative"}
		}
		if expires > 0 {
			t := now.Add(expires)
			opts.ExpiresAt = &t
		}
		if ratePerMinute != 0 || burst != 0 {
			opts.RateLimit = &copydesk.RateLimit{PerMinute: ratePerMinute, Burst: burst}
			if err := opts.RateLimit.Validate(); err != nil {
				return &UsageError{Message: "admin create-key: " + copydesk.ErrorMessage(err)}
			}
		}
		var kb *copydesk.Budget
		if keyBudget >= 0 {
			kb = &copydesk.Budget{CustomerID: u.CustomerID, KeyID: "key_check", Limit: copydesk.Micros(keyBudget)}
			if err := kb.Prepare(now); err != nil {
				return &UsageError{Message: "admin create-key: --budget: " + copydesk.ErrorMessage(err)}
			}
		}
		secret, k, err := auth.CreateAPIKey(ctx, st, now, u.CustomerID, u.ID, opts)
		if err != nil {
			return err
		}
		if kb != nil {
			kb.KeyID = k.ID
			if err := st.SetBudget(ctx, kb); err != nil {
				// A key must not work without the budget it was asked with.
				if _, rerr := st.RevokeAPIKey(ctx, k.ID); rerr != nil {
					fmt.Fprintf(stderr, "revoking key %s whose budget could not be set failed too: %v\n", k.ID, rerr)
				}
				return err
			}
			fmt.Fprintf(stderr, "the key has a budget of its own: %d micro-units a month\n", keyBudget)
		}
		fmt.Fprintf(stderr, "created key %s (%s) for %s; it is shown only now:\n", k.ID, k.Prefix, u.Email)
		fmt.Fprintln(stdout, secret)
	case "set-key-rate":
		if key == "" || ratePerMinute < 0 {
			return &UsageError{Message: "admin set-key-rate: --key and --rate-per-minute are required", Hint: adminUsage}
		}
		var rate *copydesk.RateLimit
		if ratePerMinute > 0 {
			rate = &copydesk.RateLimit{PerMinute: ratePerMinute, Burst: burst}
		}
		k, err := st.SetAPIKeyRateLimit(ctx, key, rate)
		if err != nil {
			return err
		}
		if rate == nil {
			fmt.Fprintln(stdout, "rate limit removed: "+k.ID)
		} else {
			fmt.Fprintf(stdout, "rate limit set: %s %d a minute\n", k.ID, rate.PerMinute)
		}
	case "list-customers":
		cs, err := st.FindCustomers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Name, c.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	case "set-budget":
		if customer == "" || limit < 0 {
			return &UsageError{Message: "admin set-budget: --customer and --limit are required", Hint: adminUsage}
		}
		if user != "" && key != "" {
			return &UsageError{Message: "admin set-budget: --user or --key, not both: a budget is a user's or a key's", Hint: adminUsage}
		}
		b := &copydesk.Budget{CustomerID: customer, UserID: user, KeyID: key, Limit: copydesk.Micros(limit), AlertPercent: alertPct, WarningPercent: warningPct}
		if err := b.Prepare(now); err != nil {
			return err
		}
		if err := st.SetBudget(ctx, b); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "budget set: "+customer+" limit "+strconv.FormatInt(limit, 10)+" micro-units a month")
	}
	return nil
}

// readPasswordLine reads a password from the first line of r.
func readPasswordLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("--password-stdin found no password on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// openAdminStore opens the configured store without the data directory
// lock, so that the admin commands work while the server runs (SQLite in
// WAL mode serializes the writes).
func openAdminStore(ctx context.Context, cfg Config) (adminStore, func(), error) {
	if !cfg.embedded() {
		db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Schema: cfg.DatabaseSchema})
		if err != nil {
			return nil, nil, fmt.Errorf("open postgres store: %w", err)
		}
		return db, db.Close, nil
	}
	if _, err := os.Stat(cfg.sqlitePath()); errors.Is(err, fs.ErrNotExist) && cfg.DataDir == DefaultConfig().DataDir {
		// Most likely the wrong directory: a new empty store would take the
		// change and the server would never see it.
		abs, _ := filepath.Abs(cfg.sqlitePath())
		return nil, nil, &UsageError{Message: fmt.Sprintf("admin: there is no store at %s", abs),
			Hint: "run copydesk admin in the directory where copydesk serve runs, or name its data directory with --data (or COPYDESK_DATA_DIR); --data with a new directory creates a new store"}
	}
	db, err := sqlite.Open(ctx, cfg.sqlitePath(), sqlite.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite store: %w", err)
	}
	return db, func() { _ = db.Close() }, nil
}
