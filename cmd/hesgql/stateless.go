package main

import (
	"errors"

	"github.com/hesgql/hesgql/db"
)

// checkCursorKey refuses to serve in production without a configured
// cursor key. Cursors signed with the built-in development key can be
// forged by anyone who reads the source, and processes that each fell back
// to it would only agree by accident: behind a load balancer every process
// must be given the same HES_CURSOR_KEY so that a cursor made by one is
// accepted by the next.
func (c *dbConfig) checkCursorKey(dev bool) error {
	if dev {
		return nil
	}
	switch c.CursorKey {
	case "":
		return errors.New("HES_CURSOR_KEY is not set: outside development mode every serve process needs the same secret cursor key (set HES_CURSOR_KEY or --cursor-key; or run with --dev / HES_DEV=true)")
	case db.DevCursorKey:
		return errors.New("HES_CURSOR_KEY is the built-in development key, which anyone can read: set a secret of your own outside development mode (or run with --dev / HES_DEV=true)")
	}
	return nil
}
