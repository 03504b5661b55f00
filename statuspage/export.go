package statuspage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// ExportFiles are the names a static export writes, in the order it writes them: the page
// last, so a reader who follows its links finds documents at least as new as the page.
var ExportFiles = []string{"feed.atom", "status.json", "index.html"}

// WriteDir writes f into dir as feed.atom, status.json and index.html, creating dir when
// missing. Each file is written to a temporary file in dir, synced and renamed over the old
// one, so a web server or a bucket sync never reads a half-written file.
func WriteDir(dir string, f Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("status export: %w", err)
	}
	for _, name := range ExportFiles {
		body := map[string][]byte{"feed.atom": f.Atom, "status.json": f.JSON, "index.html": f.HTML}[name]
		if err := writeAtomic(filepath.Join(dir, name), body); err != nil {
			return fmt.Errorf("status export: %w", err)
		}
	}
	return nil
}

func writeAtomic(path string, body []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(body)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ExportOptions configure Export.
type ExportOptions struct {
	// ExportURL is where the directory will be served; BaseURL is the server's own URL. The
	// absolute links in the JSON and the feed use ExportURL, or the server's page without it.
	ExportURL, BaseURL string
	Name               string
	Location           *time.Location
}

// Export reads the published state from st once and writes the static status page into dir
// with the same renderer the server uses.
func Export(ctx context.Context, st *store.Store, dir string, opt ExportOptions) error {
	if opt.ExportURL == "" && opt.BaseURL == "" {
		return amends.Errorf(amends.EInvalid, "base-url", "is needed: the URL the exported files will be served at, for the feed's links")
	}
	r, err := NewRenderer(opt.Name, opt.Location)
	if err != nil {
		return err
	}
	key, err := feedKey(ctx, st)
	if err != nil {
		return err
	}
	state, err := st.PublishedState(ctx)
	if err != nil {
		return err
	}
	f, err := r.Render(state, ExportLinks(opt.ExportURL, opt.BaseURL), key)
	if err != nil {
		return err
	}
	return WriteDir(dir, f)
}
