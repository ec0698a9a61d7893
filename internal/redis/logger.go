package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// SetLogger sends the go-redis client's own log lines (pool and connection
// trouble, which it prints as plain text on stderr by default) to logger as
// JSON warnings: message "redis client", the client's text in "detail".
// go-redis keeps one logger per process, so the last call wins; call it
// once, when the process's logger is made.
func SetLogger(logger *slog.Logger) {
	if logger == nil {
		return
	}
	goredis.SetLogger(clientLogger{logger})
}

// clientLogger adapts a slog.Logger to go-redis's logging interface.
type clientLogger struct{ l *slog.Logger }

// Printf implements go-redis's internal.Logging.
func (c clientLogger) Printf(ctx context.Context, format string, v ...any) {
	detail := strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: ")
	c.l.WarnContext(ctx, "redis client", "detail", detail)
}
