package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// driverLog takes go-sql-driver's own messages (a lost idle connection, an
// unexpected EOF), which it otherwise prints raw to standard error, into
// the structured log at warn. When the database dies each pooled
// connection reports once, so they are rate limited like the outage
// report, with a count of the messages left out.
type driverLog struct {
	log        *slog.Logger
	limit      *rate.Limiter
	suppressed *atomic.Int64
}

func newDriverLog(log *slog.Logger) driverLog {
	return driverLog{log: log, limit: rate.NewLimiter(rate.Every(time.Second), 3), suppressed: new(atomic.Int64)}
}

// Print implements mysql.Logger.
func (l driverLog) Print(v ...any) {
	if closedByUs(v) {
		l.log.LogAttrs(context.Background(), slog.LevelDebug, "database driver",
			slog.String("said", strings.TrimSpace(fmt.Sprint(v...))))
		return
	}
	if !l.limit.Allow() {
		l.suppressed.Add(1)
		return
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "database driver",
		slog.String("said", strings.TrimSpace(fmt.Sprint(v...))),
		slog.Int64("messages_not_logged", l.suppressed.Swap(0)))
}

// closedByUs reports a message about a socket closed in this process: only
// pinOn closes the sockets the driver reads, to stop the statement of a
// caller that left, so the driver's report of it is no warning.
func closedByUs(v []any) bool {
	for _, x := range v {
		if err, ok := x.(error); ok && errors.Is(err, net.ErrClosed) {
			return true
		}
	}
	return false
}
