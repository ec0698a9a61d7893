// Package river is Copydesk's durable job queue on River: the same queue
// semantics on an embedded SQLite file and on PostgreSQL. River stores only
// a job's id and priority; the job itself, its events and its result live in
// the Copydesk store, and a Runner executes it.
package river

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Defaults of Config.
const (
	WorkersDefault    = 50
	JobTimeoutDefault = 10 * time.Minute
	// RetryBase is the first retry delay; each next one doubles.
	RetryBase = 2 * time.Second
	// RetryCap caps a retry delay, jitter included.
	RetryCap = 30 * time.Second
	// FetchPollIntervalDefault is the idle poll: jobs inserted by this
	// process wake its workers at once (PostgreSQL's LISTEN/NOTIFY, or the
	// in-process wake-up on SQLite), so the poll is only a safety net.
	FetchPollIntervalDefault = time.Second
	// FetchCooldownDefault lets a producer fetch every 2 ms (up to
	// 25,000 jobs/s with 50 workers): River's default of 100 ms would hold
	// back a wake-up and cap throughput at 500 jobs/s.
	FetchCooldownDefault = 2 * time.Millisecond
	// riverMaxAttempts is River's attempt ceiling. Copydesk's runner decides
	// when a job has failed for good (jobs.MaxAttemptsDefault); this only
	// stops a runaway.
	riverMaxAttempts = 25
)

// Runner executes one attempt of a stored job (jobs.Service implements it).
type Runner interface {
	// Run returns nil when the job reached a final state, a
	// *copydesk.RetryError to be run again, or another error to be retried
	// with backoff.
	Run(ctx context.Context, jobID string) error
}

// Config configures a Queue.
type Config struct {
	// Workers is how many jobs run at once in this process. Default 50.
	Workers int
	// JobTimeout bounds one attempt. Default 10 min.
	JobTimeout time.Duration
	// RescueAfter is when a running job whose process died is retried.
	// Must exceed JobTimeout. Default JobTimeout + 1 min.
	RescueAfter time.Duration
	// FetchPollInterval is how often idle workers look for jobs nothing
	// woke them for (jobs inserted by another process, River's retries).
	// Default FetchPollIntervalDefault.
	FetchPollInterval time.Duration
	// FetchCooldown is the least time between two fetches: it caps the
	// jobs started per second at Workers / FetchCooldown. Default
	// FetchCooldownDefault, at most FetchPollInterval.
	FetchCooldown time.Duration
	// Schema is the PostgreSQL schema of River's tables ("" = search_path).
	Schema string
	// Logger receives River's logs.
	Logger *slog.Logger
	// Inject and Extract carry a trace context from the request that
	// enqueued a job to its worker (trace.Tracing's methods); nil: none.
	Inject  func(ctx context.Context) map[string]string
	Extract func(ctx context.Context, carrier map[string]string) context.Context
}

func (c Config) withDefaults() Config {
	c.Workers = cmp.Or(c.Workers, WorkersDefault)
	c.JobTimeout = cmp.Or(c.JobTimeout, JobTimeoutDefault)
	c.RescueAfter = cmp.Or(c.RescueAfter, c.JobTimeout+time.Minute)
	c.FetchPollInterval = cmp.Or(c.FetchPollInterval, FetchPollIntervalDefault)
	c.FetchCooldown = min(cmp.Or(c.FetchCooldown, FetchCooldownDefault), c.FetchPollInterval)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	if c.Workers < 1 || c.Workers > 10000 {
		return fmt.Errorf("queue Workers must be between 1 and 10000, got %d", c.Workers)
	}
	if c.RescueAfter <= c.JobTimeout {
		return fmt.Errorf("queue RescueAfter (%s) must be longer than JobTimeout (%s)", c.RescueAfter, c.JobTimeout)
	}
	return nil
}

// jobArgs is what River stores of a job.
type jobArgs struct {
	JobID string `json:"job_id" river:"unique"`
	// Trace is the enqueuing request's trace context (W3C traceparent).
	// Only JobID is marked unique: re-enqueueing the same job from another
	// trace is still the same job.
	Trace map[string]string `json:"trace,omitempty"`
}

// Kind implements river.JobArgs.
func (jobArgs) Kind() string { return "copydesk_job" }

// Queue implements copydesk.Queue on a River client.
type Queue[TTx any] struct {
	client  *river.Client[TTx]
	driver  riverdriver.Driver[TTx]
	cfg     Config
	recover func(ctx context.Context) (int64, error) // embedded mode only
	wake    func()                                   // embedded mode only
	closeDB func() error
	ping    func(ctx context.Context) error
	query   func(ctx context.Context, sql string) (rows, error)
}

// rows is the little of a result set Depth needs, from database/sql or pgx.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Close()
	Err() error
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// Depth counts River's open jobs by priority (1-4) and state.
type Depth struct {
	Priority int
	State    string
	Count    int
}

// Depth returns the open jobs by priority and state: available, scheduled,
// retryable and running.
func (q *Queue[TTx]) Depth(ctx context.Context) ([]Depth, error) {
	rs, err := q.query(ctx, `SELECT priority, state, count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY priority, state`)
	if err != nil {
		return nil, fmt.Errorf("queue depth: %w", err)
	}
	defer rs.Close()
	var out []Depth
	for rs.Next() {
		var d Depth
		if err := rs.Scan(&d.Priority, &d.State, &d.Count); err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
		out = append(out, d)
	}
	return out, rs.Err()
}

// Waiting counts the jobs ready to run that no worker has taken yet.
func (q *Queue[TTx]) Waiting(ctx context.Context) (int, error) {
	rs, err := q.query(ctx, `SELECT count(*) FROM river_job WHERE state = 'available'`)
	if err != nil {
		return 0, fmt.Errorf("queue waiting: %w", err)
	}
	defer rs.Close()
	n := 0
	if rs.Next() {
		if err := rs.Scan(&n); err != nil {
			return 0, fmt.Errorf("queue waiting: %w", err)
		}
	}
	return n, rs.Err()
}

var _ copydesk.Queue = (*Queue[pgx.Tx])(nil)

// OpenSQLite returns a queue whose tables live in the store's SQLite
// database, reached through db: the store's write pool of one connection,
// so that a job and its queue row commit in one transaction (EnqueueTx). It
// migrates River's schema and returns a queue ready to Start.
//
// The embedded mode serves one process per data directory, so a job found
// running at start belonged to a process that died: Start makes it available
// again at once instead of waiting for River's rescuer.
func OpenSQLite(ctx context.Context, db *sql.DB, runner Runner, cfg Config) (*Queue[*sql.Tx], error) {
	driver := newWakeDriver(db)
	q, err := newQueue[*sql.Tx](ctx, driver, runner, cfg)
	if err != nil {
		return nil, err
	}
	q.wake = driver.Wake
	q.ping = db.PingContext
	q.query = func(ctx context.Context, query string) (rows, error) {
		rs, err := db.QueryContext(ctx, query)
		if err != nil {
			return nil, err
		}
		return sqlRows{rs}, nil
	}
	q.recover = func(ctx context.Context) (int64, error) {
		res, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	return q, nil
}

type pgxRows struct{ pgx.Rows }

// OpenPostgres returns a queue on the given pool, after migrating River's
// schema. Several processes may share it.
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool, runner Runner, cfg Config) (*Queue[pgx.Tx], error) {
	q, err := newQueue(ctx, riverpgxv5.New(pool), runner, cfg)
	if err != nil {
		return nil, err
	}
	q.ping = pool.Ping
	q.query = func(ctx context.Context, query string) (rows, error) {
		rs, err := pool.Query(ctx, query)
		if err != nil {
			return nil, err
		}
		return pgxRows{rs}, nil
	}
	return q, nil
}

func newQueue[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], runner Runner, cfg Config) (*Queue[TTx], error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: cfg.Schema, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("queue migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrate queue schema: %w", err)
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{runner: runner, timeout: cfg.JobTimeout, extract: cfg.Extract}); err != nil {
		return nil, err
	}
	client, err := river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		MaxAttempts:          riverMaxAttempts,
		RetryPolicy:          Backoff{},
		FetchPollInterval:    cfg.FetchPollInterval,
		FetchCooldown:        cfg.FetchCooldown,
		Schema:               cfg.Schema,
		Logger:               cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("queue client: %w", err)
	}
	return &Queue[TTx]{client: client, driver: driver, cfg: cfg}, nil
}

// Start recovers orphaned jobs (embedded mode) and starts working.
func (q *Queue[TTx]) Start(ctx context.Context) error {
	if q.recover != nil {
		n, err := q.recover(ctx)
		if err != nil {
			return fmt.Errorf("recover interrupted jobs: %w", err)
		}
		if n > 0 {
			q.cfg.Logger.Info("jobs interrupted by a previous process are queued again", "count", n)
		}
	}
	return q.client.Start(ctx)
}

// Stop lets running jobs finish until ctx ends, then cancels the rest; a
// cancelled job returns to the queue and runs again later. Safe to call twice.
func (q *Queue[TTx]) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = q.client.StopAndCancel(hard)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("queue did not stop in time: %w", err)
	}
	return nil
}

// Close releases the queue's own database (embedded mode).
func (q *Queue[TTx]) Close() error {
	if q.closeDB != nil {
		return q.closeDB()
	}
	return nil
}

// Enqueue implements copydesk.Queue. Enqueuing the same job twice is a
// no-op while the first is pending, running or done (unique by job id).
func (q *Queue[TTx]) Enqueue(ctx context.Context, job *copydesk.Job) error {
	args, opts := q.insertArgs(ctx, job)
	if _, err := q.client.Insert(ctx, args, opts); err != nil {
		return fmt.Errorf("enqueue job %s: %w", job.ID, err)
	}
	q.Wake()
	return nil
}

// EnqueueTx implements copydesk.Queue: the queue row is inserted in tx, a
// transaction of the store whose database holds River's tables. Returns
// EINTERNAL for a transaction of another kind.
func (q *Queue[TTx]) EnqueueTx(ctx context.Context, tx copydesk.StoreTx, job *copydesk.Job) error {
	t, ok := tx.(TTx)
	if !ok {
		return copydesk.Errorf(copydesk.EINTERNAL, "the queue cannot insert in a %T transaction", tx)
	}
	args, opts := q.insertArgs(ctx, job)
	if _, err := q.client.InsertTx(ctx, t, args, opts); err != nil {
		return fmt.Errorf("enqueue job %s: %w", job.ID, err)
	}
	return nil
}

// Wake implements copydesk.Queue: after a commit, this process's idle
// workers fetch at once (SQLite; PostgreSQL's LISTEN/NOTIFY does it).
func (q *Queue[TTx]) Wake() {
	if q.wake != nil {
		q.wake()
	}
}

// insertArgs returns River's args and options for job.
func (q *Queue[TTx]) insertArgs(ctx context.Context, job *copydesk.Job) (jobArgs, *river.InsertOpts) {
	prio := int(job.Priority)
	if prio < 1 || prio > 4 {
		prio = int(copydesk.PriorityHigh)
	}
	args := jobArgs{JobID: job.ID}
	if q.cfg.Inject != nil {
		args.Trace = q.cfg.Inject(ctx)
	}
	return args, &river.InsertOpts{Priority: prio, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Ping implements copydesk.Queue.
func (q *Queue[TTx]) Ping(ctx context.Context) error { return q.ping(ctx) }

// worker adapts River's job to the Runner.
type worker struct {
	river.WorkerDefaults[jobArgs]
	runner  Runner
	timeout time.Duration
	extract func(ctx context.Context, carrier map[string]string) context.Context
}

func (w *worker) Timeout(*river.Job[jobArgs]) time.Duration { return w.timeout }

func (w *worker) Work(ctx context.Context, job *river.Job[jobArgs]) error {
	if w.extract != nil {
		ctx = w.extract(ctx, job.Args.Trace)
	}
	err := w.runner.Run(ctx, job.Args.JobID)
	var re *copydesk.RetryError
	if errors.As(err, &re) && re.After > 0 {
		return river.JobSnooze(min(re.After, 10*time.Minute))
	}
	return err
}

// Backoff is the retry policy: 2 s, 4 s, 8 s, 16 s… with ±20 % jitter,
// capped at 30 s.
type Backoff struct{}

// NextRetry implements river.ClientRetryPolicy.
func (Backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(BackoffDelay(job.Attempt, rand.Float64()))
}

// BackoffDelay is the delay after the attempt-th failed attempt (from 1)
// for a jitter draw r in [0, 1).
func BackoffDelay(attempt int, r float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := RetryBase << min(attempt-1, 10)
	d = time.Duration(float64(d) * (0.8 + 0.4*r))
	return min(d, RetryCap)
}
