package db

import (
	"context"
	"fmt"
	"log/slog"
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
	if !l.limit.Allow() {
		l.suppressed.Add(1)
		return
	}
	l.log.LogAttrs(context.Background(), slog.LevelWarn, "database driver",
		slog.String("said", strings.TrimSpace(fmt.Sprint(v...))),
		slog.Int64("messages_not_logged", l.suppressed.Swap(0)))
}
