package river

import (
	"context"
	"database/sql"
	"sync"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
)

// insertWake is the notification River's producers take as "jobs were
// inserted into the default queue".
var insertWake = &riverdriver.Notification{Topic: "river_insert", Payload: `{"queue":"default"}`}

// wakeDriver is River's SQLite driver with a listener this process can
// wake. On SQLite River emulates LISTEN/NOTIFY by polling a table (every
// 50 ms), which would make every job wait about 25 ms for a worker; after
// committing a job this process wakes its own producer at once instead.
// Other processes never insert jobs in the embedded mode (its data
// directory is locked), and River's own scheduled jobs still arrive through
// the polled table.
type wakeDriver struct {
	*riversqlite.Driver

	mu       sync.Mutex
	listener *wakeListener
}

func newWakeDriver(db *sql.DB) *wakeDriver {
	return &wakeDriver{Driver: riversqlite.New(db)}
}

// GetListener implements riverdriver.Driver.
func (d *wakeDriver) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	l := &wakeListener{Listener: d.Driver.GetListener(params), wake: make(chan struct{}, 1)}
	d.mu.Lock()
	d.listener = l
	d.mu.Unlock()
	return l
}

// Wake wakes the producer waiting on this driver's listener, if any.
func (d *wakeDriver) Wake() {
	d.mu.Lock()
	l := d.listener
	d.mu.Unlock()
	if l != nil {
		select {
		case l.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// wakeListener is a riverdriver.Listener whose wait also ends with an
// insert notification when the process wakes it. The polling wait of the
// underlying listener runs in a goroutine that outlives a woken wait: its
// result is taken by the next one, so no notification is lost.
type wakeListener struct {
	riverdriver.Listener
	wake chan struct{}

	mu       sync.Mutex
	life     context.Context // ends at Close
	end      context.CancelFunc
	inflight chan waitResult // the underlying wait in progress, nil if none
}

type waitResult struct {
	n   *riverdriver.Notification
	err error
}

// Connect implements riverdriver.Listener.
func (l *wakeListener) Connect(ctx context.Context) error {
	if err := l.Listener.Connect(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.life, l.end = context.WithCancel(context.WithoutCancel(ctx))
	l.inflight = nil
	return nil
}

// Close implements riverdriver.Listener.
func (l *wakeListener) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.end != nil {
		l.end()
	}
	l.inflight = nil
	l.mu.Unlock()
	return l.Listener.Close(ctx)
}

// WaitForNotification implements riverdriver.Listener: the next stored
// notification, or an insert notification when the process woke it.
func (l *wakeListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	select {
	case <-l.wake:
		return insertWake, nil
	default:
	}
	l.mu.Lock()
	ch := l.inflight
	if ch == nil {
		life := l.life
		if life == nil {
			life = ctx
		}
		ch = make(chan waitResult, 1)
		l.inflight = ch
		go func() {
			n, err := l.Listener.WaitForNotification(life)
			ch <- waitResult{n, err}
		}()
	}
	l.mu.Unlock()
	select {
	case r := <-ch:
		l.mu.Lock()
		if l.inflight == ch {
			l.inflight = nil
		}
		l.mu.Unlock()
		return r.n, r.err
	case <-l.wake:
		return insertWake, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
