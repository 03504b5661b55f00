package amendstest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPaths are where a Chromium or Chrome binary is looked for when AMENDS_CHROMIUM
// does not name one.
var chromiumPaths = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}

// ChromiumPath returns the browser binary to drive: AMENDS_CHROMIUM when set, else the first
// of the usual places that exists, else a chromium on PATH; "" when there is none.
func ChromiumPath() string {
	if p := os.Getenv("AMENDS_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range chromiumPaths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser starts a headless Chromium of its own for the test, with a fresh profile and no
// network of its own (no updates, sync or QUIC), and returns a context that drives its first
// tab with chromedp. The browser is closed when the test ends. Without a browser binary the
// test is skipped, or fails under CI=true. Uncaught page errors and console messages are
// logged to the test.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := ChromiumPath()
	Require(t, path != "", "Chromium (set AMENDS_CHROMIUM or install chromium)")
	profile := filepath.Join(t.TempDir(), "chromium-profile")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-crash-reporter", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		// Chromium's helper processes may still be writing the profile for a moment after
		// the browser exits; remove it before the test's own clean-up does and fails.
		for i := 0; i < 25; i++ {
			if os.RemoveAll(profile) == nil {
				time.Sleep(200 * time.Millisecond)
				if _, err := os.Stat(profile); os.IsNotExist(err) {
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			t.Logf("browser: uncaught exception: %s", ev.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value))
			}
			t.Logf("browser console %s: %v", ev.Type, args)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	return ctx
}
