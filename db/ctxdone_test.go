package db

import (
	"context"
	"testing"
	"time"
)

type ctxKey struct{}

// A statement's context answers as the request's does: its values, and
// when the request is cancelled, its Done, its Err, and every context
// derived from it.
func TestDoneOnceFollowsTheRequest(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	chain := context.WithValue(parent, ctxKey{}, "v")
	for range 30 {
		chain = context.WithValue(chain, struct{}{}, 0)
	}
	ctx := withDoneOnce(chain)
	if withDoneOnce(ctx) != ctx {
		t.Error("wrapped twice")
	}
	if ctx.Value(ctxKey{}) != "v" {
		t.Error("value lost")
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	fired := make(chan struct{})
	context.AfterFunc(ctx, func() { close(fired) })
	if ctx.Err() != nil {
		t.Fatal("ended before the request")
	}
	cancel()
	for name, c := range map[string]<-chan struct{}{"Done": ctx.Done(), "derived": child.Done(), "AfterFunc": fired} {
		select {
		case <-c:
		case <-time.After(5 * time.Second):
			t.Errorf("%s not ended with the request", name)
		}
	}
	if ctx.Err() != context.Canceled {
		t.Errorf("Err %v", ctx.Err())
	}
}
