package redis

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// BreakerCooldown is how long the client sends nothing to Redis after a
// connection failure or timeout: the cache then misses and the rate limiter
// decides on this instance at once, instead of every request waiting for
// Redis to time out again.
const BreakerCooldown = time.Second

// errBroken answers every command while the breaker is open.
var errBroken = copydesk.Errorf(copydesk.EUNAVAILABLE, "redis failed less than a second ago; it is tried again after the cool-down")

// breaker is a go-redis hook that stops sending commands for a cool-down
// after a command failed because Redis did not answer (a network error, a
// timeout, no free connection). Errors Redis answered with (a missing key,
// NOSCRIPT, a wrong type) and a caller's own cancellation do not open it.
type breaker struct {
	cooldown  time.Duration
	downUntil atomic.Int64 // unix nanoseconds
}

var _ goredis.Hook = (*breaker)(nil)

func (b *breaker) open() bool { return time.Now().UnixNano() < b.downUntil.Load() }

func (b *breaker) observe(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil || !outage(err) {
		return
	}
	b.downUntil.Store(time.Now().Add(b.cooldown).UnixNano())
}

// outage reports whether err says Redis could not be reached in time.
func outage(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, goredis.ErrPoolTimeout) || errors.Is(err, context.DeadlineExceeded)
}

// DialHook implements goredis.Hook.
func (b *breaker) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if b.open() {
			return nil, errBroken
		}
		conn, err := next(ctx, network, addr)
		b.observe(ctx, err)
		return conn, err
	}
}

// ProcessHook implements goredis.Hook.
func (b *breaker) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if b.open() {
			cmd.SetErr(errBroken)
			return errBroken
		}
		err := next(ctx, cmd)
		b.observe(ctx, err)
		return err
	}
}

// ProcessPipelineHook implements goredis.Hook.
func (b *breaker) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if b.open() {
			for _, cmd := range cmds {
				cmd.SetErr(errBroken)
			}
			return errBroken
		}
		err := next(ctx, cmds)
		b.observe(ctx, err)
		return err
	}
}
