package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/auth"
	"github.com/hesgql/hesgql/internal/graphiql"
	"github.com/hesgql/hesgql/internal/testtools"
)

// browserLog collects what the page did that the test judges: every
// request's URL and every console error, exception or error log entry.
type browserLog struct {
	mu       sync.Mutex
	requests []string
	errors   []string
}

func (b *browserLog) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, e.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, fmt.Sprint(a.Value)+a.Description)
			}
			b.errors = append(b.errors, "console."+string(e.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		b.errors = append(b.errors, "exception: "+msg)
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			b.errors = append(b.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

// errs returns the errors seen so far.
func (b *browserLog) errs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// offLoopback returns the requests that left the machine: any with a
// network host that is not a loopback address.
func (b *browserLog) offLoopback() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, raw := range b.requests {
		u, err := url.Parse(raw)
		if err != nil {
			out = append(out, raw)
			continue
		}
		switch u.Scheme {
		case "data", "blob", "about":
			continue
		}
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			out = append(out, raw)
		}
	}
	return out
}

// editorValue is a JavaScript expression for the text of the CodeMirror
// editor inside the element matched by the CSS selector sel.
func editorValue(sel string) string {
	return fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e&&e.CodeMirror?e.CodeMirror.getValue():null})()`, sel+" .CodeMirror")
}

// TestGraphiQLInBrowser opens GraphiQL in headless Chromium against the real
// server over a real database with data, as a newcomer would: the page
// loads with every request to loopback and no console error, the Examples
// panel shows the role of the token minted for this page view, and every
// example opens in a tab and runs to data without errors.
func TestGraphiQLInBrowser(t *testing.T) {
	chromium := testtools.Require(t, map[string]string{"chromium": "chromium"})["chromium"]

	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, 300, 7)
	minted := 0
	var mintMu sync.Mutex
	srv := apptest.Start(t, d, app.Options{
		Introspection: true,
		GraphiQL:      true,
		GraphiQLHeaders: func() (string, error) {
			mintMu.Lock()
			minted++
			mintMu.Unlock()
			tok, err := auth.Mint(apptest.TestSecret, auth.TokenSpec{
				Subject: "graphiql-dev", Roles: []model.Role{model.RoleResearcher}, TTL: time.Hour,
			}, time.Now())
			if err != nil {
				return "", err
			}
			b, err := json.Marshal(map[string]string{"Authorization": "Bearer " + tok})
			return string(b), err
		},
	})

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	var bl browserLog
	// The listener is there from the tab's start, so it sees every request.
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithListener(bl.listen))
	defer cancelBrowser()

	start := time.Now()
	err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.hesgql-examples`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-viewer="roles"]`)),
	)
	if err != nil {
		t.Fatalf("load GraphiQL: %v (browser errors so far: %v)", err, bl.errs())
	}
	role, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`[data-viewer="roles"]`)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page loaded and the viewer answered in %v", time.Since(start).Round(time.Millisecond))
	// Visible to a person, not only laid out: the panel is inside the
	// window (a collapsed GraphiQL pane keeps its content off-screen).
	onScreen, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(function(){var r=document.querySelector('.hesgql-examples').getBoundingClientRect();return r.width>100&&r.left>=0&&r.right<=innerWidth})()`))
	if err != nil || !onScreen {
		t.Errorf("the Examples panel is not on screen on the first visit (err %v)", err)
	}
	docs, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`.hesgql-examples a`), "href"))
	if err != nil || docs.Value != graphiql.DocsURL {
		t.Errorf("documentation link %+v (err %v), want %s", docs, err, graphiql.DocsURL)
	}
	if role != "RESEARCHER" {
		t.Errorf("Examples panel shows role %q, want RESEARCHER (the pre-filled token's)", role)
	}

	for _, ex := range graphiql.Examples {
		button := chromedp.CSS(fmt.Sprintf(`button[data-example=%q]`, ex.Title))
		err := chromedp.Do(bctx, chromedp.ScrollIntoView(button), chromedp.Click(button, chromedp.NodeVisible))
		if err == nil {
			// The example is in the query editor of a new tab.
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](fmt.Sprintf(`%s === %q`, editorValue(".graphiql-query-editor"), ex.Query), chromedp.WithPollingTimeout(5*time.Second)))
		}
		if err == nil {
			err = chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)))
		}
		var result string
		if err == nil {
			// A new tab's response pane starts empty; wait for the answer.
			result, err = chromedp.Run(bctx, chromedp.Poll[string](editorValue(".graphiql-response")+` || false`, chromedp.WithPollingTimeout(15*time.Second)))
		}
		if err != nil {
			t.Fatalf("example %q: %v (browser errors so far: %v)", ex.Title, err, bl.errs())
		}
		var resp struct {
			Data   map[string]json.RawMessage `json:"data"`
			Errors []json.RawMessage          `json:"errors"`
		}
		if err := json.Unmarshal([]byte(result), &resp); err != nil {
			t.Fatalf("example %q: the response pane does not hold JSON: %v\n%s", ex.Title, err, result)
		}
		if len(resp.Errors) > 0 || len(resp.Data) == 0 {
			t.Errorf("example %q did not run to data:\n%s", ex.Title, result)
			continue
		}
		// Each example finds something in the generated data.
		if strings.Count(result, "\n") < 5 {
			t.Errorf("example %q shows almost nothing:\n%s", ex.Title, result)
		}
		t.Logf("example %q: %d lines of result", ex.Title, strings.Count(result, "\n"))
	}
	t.Logf("all %d examples ran in %v", len(graphiql.Examples), time.Since(start).Round(time.Millisecond))

	// A reload serves a freshly minted token, and the restored tabs use it:
	// headers are not persisted, so no tab can hold a token older than the
	// page.
	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-viewer="roles"]`)),
	)
	if err != nil {
		t.Fatalf("reload GraphiQL: %v", err)
	}
	headersNow, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.graphiql-editor-tool .CodeMirror')).map(function(e){return e.CodeMirror.getValue()})`))
	if err != nil {
		t.Fatal(err)
	}
	pageHeaders, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById('graphiql').dataset.defaultHeaders`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(headersNow, pageHeaders) || !strings.Contains(pageHeaders, "Bearer ") {
		t.Errorf("after a reload the headers editor does not hold the page's fresh token %s; editors: %q", pageHeaders, headersNow)
	}
	if role, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`[data-viewer="roles"]`))); err != nil || role != "RESEARCHER" {
		t.Errorf("after a reload the Examples panel shows role %q (err %v)", role, err)
	}

	if off := bl.offLoopback(); len(off) > 0 {
		t.Errorf("the page sent %d requests off loopback: %v", len(off), off)
	}
	bl.mu.Lock()
	if len(bl.requests) == 0 {
		t.Error("no requests recorded: the network listener saw nothing")
	}
	t.Logf("%d requests, all to loopback", len(bl.requests))
	bl.mu.Unlock()
	for _, e := range bl.errs() {
		t.Errorf("browser error: %s", e)
	}
	mintMu.Lock()
	if minted != 2 {
		t.Errorf("headers minted %d times for 2 page views", minted)
	}
	mintMu.Unlock()
}
