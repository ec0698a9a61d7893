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

// adminCommand is one `copydesk admin` subcommand: bind declares its
// flags, run checks them and does the work on the store.
type adminCommand interface {
	bind(fs *flag.FlagSet)
	run(ctx context.Context, a *adminRun) error
}

// adminRun is what a subcommand runs with: the open store, the standard
// streams and the time the command started.
type adminRun struct {
	st             adminStore
	stdin          io.Reader
	stdout, stderr io.Writer
	now            time.Time
}

// adminCommands are the admin subcommands by name; each call returns a
// fresh command whose fields the flags fill.
var adminCommands = map[string]func() adminCommand{
	"create-customer": func() adminCommand { return &createCustomerCmd{} },
	"create-user":     func() adminCommand { return &createUserCmd{} },
	"set-password":    func() adminCommand { return &setPasswordCmd{} },
	"create-key":      func() adminCommand { return &createKeyCmd{} },
	"set-key-rate":    func() adminCommand { return &setKeyRateCmd{} },
	"list-customers":  func() adminCommand { return &listCustomersCmd{} },
	"set-budget":      func() adminCommand { return &setBudgetCmd{} },
}

// runAdmin runs a `copydesk admin` subcommand against the configured store:
// it finds the subcommand, parses its flags with the store flags, opens the
// store and runs it.
func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return &UsageError{Message: "admin: no subcommand given", Hint: adminUsage}
	}
	sub := args[0]
	switch sub {
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, adminUsage)
		return nil
	}
	newCmd, ok := adminCommands[sub]
	if !ok {
		return &UsageError{Message: fmt.Sprintf("admin: unknown subcommand %q", sub), Hint: adminUsage}
	}
	cmd := newCmd()
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args[1:], getenv, func(fs *flag.FlagSet, c *Config) {
		bindStoreFlags(fs, c)
		cmd.bind(fs)
	})
	if err != nil {
		return err
	}
	st, closeStore, err := openAdminStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	return cmd.run(ctx, &adminRun{st: st, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now()})
}

// createCustomerCmd is `copydesk admin create-customer`.
type createCustomerCmd struct{ name string }

func (c *createCustomerCmd) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.name, "name", "", "customer name (required)")
}

func (c *createCustomerCmd) run(ctx context.Context, a *adminRun) error {
	cu := &copydesk.Customer{Name: c.name}
	if err := a.st.CreateCustomer(ctx, cu); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, cu.ID)
	return nil
}

// createUserCmd is `copydesk admin create-user`.
type createUserCmd struct {
	customer, email, role, name, password string
	passwordStdin                         bool
}

func (c *createUserCmd) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.customer, "customer", "", "customer ID (required)")
	fs.StringVar(&c.email, "email", "", "email address (required, unique)")
	fs.StringVar(&c.role, "role", "USER", "ADMIN, CLIENT or USER")
	fs.StringVar(&c.name, "name", "", "display name")
	fs.StringVar(&c.password, "password", "", "password for web login (prefer --password-stdin: flags show in ps)")
	fs.BoolVar(&c.passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
}

func (c *createUserCmd) run(ctx context.Context, a *adminRun) error {
	if c.customer == "" || c.email == "" {
		return &UsageError{Message: "admin create-user: --customer and --email are required", Hint: adminUsage}
	}
	r, err := copydesk.ParseRole(c.role)
	if err != nil {
		return err
	}
	password := c.password
	if c.passwordStdin {
		if password, err = readPasswordLine(a.stdin); err != nil {
			return &UsageError{Message: "admin create-user: " + err.Error()}
		}
	}
	u := &copydesk.User{CustomerID: c.customer, Email: c.email, Name: c.name, Role: r}
	if password != "" {
		if u.PasswordHash, err = auth.HashPassword(password, auth.DefaultPasswordParams); err != nil {
			return err
		}
	}
	if err := a.st.CreateUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, u.ID)
	return nil
}

// setPasswordCmd is `copydesk admin set-password`.
type setPasswordCmd struct {
	user, email, password string
	passwordStdin         bool
}

func (c *setPasswordCmd) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.user, "user", "", "user ID")
	fs.StringVar(&c.email, "email", "", "email address (instead of --user), e.g. the first ADMIN's")
	fs.StringVar(&c.password, "password", "", "the new password for web login (prefer --password-stdin: flags show in ps)")
	fs.BoolVar(&c.passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
}

func (c *setPasswordCmd) run(ctx context.Context, a *adminRun) error {
	if (c.user == "") == (c.email == "") {
		return &UsageError{Message: "admin set-password: give --user or --email (one of them)", Hint: adminUsage}
	}
	password := c.password
	if c.passwordStdin {
		var err error
		if password, err = readPasswordLine(a.stdin); err != nil {
			return &UsageError{Message: "admin set-password: " + err.Error()}
		}
	}
	if password == "" {
		return &UsageError{Message: "admin set-password: no password given; use --password-stdin", Hint: adminUsage}
	}
	var u *copydesk.User
	var err error
	if c.user != "" {
		u, err = a.st.FindUserByID(ctx, c.user)
	} else {
		u, err = a.st.FindUserByEmail(ctx, c.email)
	}
	if err != nil {
		return err
	}
	h, err := auth.HashPassword(password, auth.DefaultPasswordParams)
	if err != nil {
		return err
	}
	if err := a.st.SetUserPassword(ctx, u.ID, h); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "password set for %s (%s); log in at /ui/\n", u.Email, u.Role)
	fmt.Fprintln(a.stdout, u.ID)
	return nil
}

// createKeyCmd is `copydesk admin create-key`.
type createKeyCmd struct {
	user, name, scopes, models string
	expires                    time.Duration
	budget                     int64
	ratePerMinute, burst       int
}

func (c *createKeyCmd) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.user, "user", "", "user ID the key acts as (required)")
	fs.StringVar(&c.name, "name", "", "a label, e.g. ci")
	fs.StringVar(&c.scopes, "scopes", "", "comma-separated scopes; empty: all the user's role allows")
	fs.StringVar(&c.models, "models", "", "comma-separated models, classes, aliases or provider/model names the key may use; empty: every model")
	fs.DurationVar(&c.expires, "expires", 0, "lifetime, e.g. 720h; 0: no expiry")
	fs.Int64Var(&c.budget, "budget", -1, "a monthly budget of the key's own, in micro-units (1 unit = 1000000); -1: none")
	fs.IntVar(&c.ratePerMinute, "rate-per-minute", 0, "a rate limit of the key's own, in requests a minute; 0: none")
	fs.IntVar(&c.burst, "burst", 0, "requests at once for --rate-per-minute; 0: the rate")
}

func (c *createKeyCmd) run(ctx context.Context, a *adminRun) error {
	if c.user == "" {
		return &UsageError{Message: "admin create-key: --user is required", Hint: adminUsage}
	}
	u, err := a.st.FindUserByID(ctx, c.user)
	if err != nil {
		return err
	}
	opts := auth.KeyOptions{Name: c.name}
	if c.scopes != "" {
		opts.Scopes = splitKeys(c.scopes)
	}
	if c.models != "" {
		opts.Models = splitKeys(c.models)
	}
	if c.expires < 0 {
		return &UsageError{Message: "admin create-key: --expires cannot be negative"}
	}
	if c.expires > 0 {
		t := a.now.Add(c.expires)
		opts.ExpiresAt = &t
	}
	if c.ratePerMinute != 0 || c.burst != 0 {
		opts.RateLimit = &copydesk.RateLimit{PerMinute: c.ratePerMinute, Burst: c.burst}
		if err := opts.RateLimit.Validate(); err != nil {
			return &UsageError{Message: "admin create-key: " + copydesk.ErrorMessage(err)}
		}
	}
	var kb *copydesk.Budget
	if c.budget >= 0 {
		kb = &copydesk.Budget{CustomerID: u.CustomerID, KeyID: "key_check", Limit: copydesk.Micros(c.budget)}
		if err := kb.Prepare(a.now); err != nil {
			return &UsageError{Message: "admin create-key: --budget: " + copydesk.ErrorMessage(err)}
		}
	}
	secret, k, err := auth.CreateAPIKey(ctx, a.st, a.now, u.CustomerID, u.ID, opts)
	if err != nil {
		return err
	}
	if kb != nil {
		kb.KeyID = k.ID
		if err := a.st.SetBudget(ctx, kb); err != nil {
			// A key must not work without the budget it was asked with.
			if _, rerr := a.st.RevokeAPIKey(ctx, k.ID); rerr != nil {
				fmt.Fprintf(a.stderr, "revoking key %s whose budget could not be set failed too: %v\n", k.ID, rerr)
			}
			return err
		}
		fmt.Fprintf(a.stderr, "the key has a budget of its own: %d micro-units a month\n", c.budget)
	}
	fmt.Fprintf(a.stderr, "created key %s (%s) for %s; it is shown only now:\n", k.ID, k.Prefix, u.Email)
	fmt.Fprintln(a.stdout, secret)
	return nil
}

// setKeyRateCmd is `copydesk admin set-key-rate`.
type setKeyRateCmd struct {
	key                  string
	ratePerMinute, burst int
}

func (c *setKeyRateCmd) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.key, "key", "", "API key ID, key_… (required)")
	fs.IntVar(&c.ratePerMinute, "rate-per-minute", -1, "requests a minute; 0 removes the key's own rate limit (required)")
	fs.IntVar(&c.burst, "burst", 0, "requests at once; 0: the rate")
}

func (c *setKeyRateCmd) run(ctx context.Context, a *adminRun) error {
	if c.key == "" || c.ratePerMinute < 0 {
		return &UsageError{Message: "admin set-key-rate: --key and --rate-per-minute are required", Hint: adminUsage}
	}
	var rate *copydesk.RateLimit
	if c.ratePerMinute > 0 {
		rate = &copydesk.RateLimit{PerMinute: c.ratePerMinute, Burst: c.burst}
	}
	k, err := a.st.SetAPIKeyRateLimit(ctx, c.key, rate)
	if err != nil {
		return err
	}
	if rate == nil {
		fmt.Fprintln(a.stdout, "rate limit removed: "+k.ID)
	} else {
		fmt.Fprintf(a.stdout, "rate limit set: %s %d a minute\n", k.ID, rate.PerMinute)
	}
	return nil
}

// listCustomersCmd is `copydesk admin list-customers`.
type listCustomersCmd struct{}

func (*listCustomersCmd) bind(*flag.FlagSet) {}

func (*listCustomersCmd) run(ctx context.Context, a *adminRun) error {
	cs, err := a.st.FindCustomers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Name, c.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// setBudgetCmd is `copydesk admin set-budget`.
type setBudgetCmd struct {
	customer, user, key  string
	limit                int64
	alertPct, warningPct int
}

func (c *setBudgetCmd) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.customer, "customer", "", "customer ID (required)")
	fs.StringVar(&c.user, "user", "", "a user of the customer, for a per-user budget")
	fs.StringVar(&c.key, "key", "", "an API key of the customer (key_…), for the key's own budget")
	fs.Int64Var(&c.limit, "limit", -1, "monthly hard limit in micro-units of the currency (1 unit = 1000000) (required)")
	fs.IntVar(&c.alertPct, "alert", 0, "alert threshold in percent (default 80)")
	fs.IntVar(&c.warningPct, "warning", 0, "warning threshold in percent (default 90)")
}

func (c *setBudgetCmd) run(ctx context.Context, a *adminRun) error {
	if c.customer == "" || c.limit < 0 {
		return &UsageError{Message: "admin set-budget: --customer and --limit are required", Hint: adminUsage}
	}
	if c.user != "" && c.key != "" {
		return &UsageError{Message: "admin set-budget: --user or --key, not both: a budget is a user's or a key's", Hint: adminUsage}
	}
	b := &copydesk.Budget{CustomerID: c.customer, UserID: c.user, KeyID: c.key, Limit: copydesk.Micros(c.limit), AlertPercent: c.alertPct, WarningPercent: c.warningPct}
	if err := b.Prepare(a.now); err != nil {
		return err
	}
	if err := a.st.SetBudget(ctx, b); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "budget set: "+c.customer+" limit "+strconv.FormatInt(c.limit, 10)+" micro-units a month")
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
