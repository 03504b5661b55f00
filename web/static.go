package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/amends/amends/store"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file and the hash its URL carries.
type asset struct {
	body  []byte
	hash  string
	ctype string
}

// assets are served at /static/HASH/NAME: the hash changes with the content, so a URL can be
// cached forever and a new binary's assets are fetched anew.
type assets struct {
	byName map[string]asset
	loaded time.Time
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]asset{}, loaded: time.Now()}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.byName[name] = asset{body: body, hash: hex.EncodeToString(sum[:6]), ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"app.css", "app.js", "htmx.min.js"} {
		if _, ok := a.byName[name]; !ok {
			return nil, fmt.Errorf("static asset %s is missing", name)
		}
	}
	return a, nil
}

// url returns the content-hashed URL of the asset called name. Templates name only the assets
// loadAssets checked for, so an unknown name is a bug and panics.
func (a *assets) url(name string) string {
	as, ok := a.byName[name]
	if !ok {
		panic(fmt.Sprintf("no static asset %q", name))
	}
	return "/static/" + as.hash + "/" + name
}

func (w *Web) static(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	hash, name, _ := strings.Cut(r.PathValue("file"), "/")
	as, ok := w.assets.byName[name]
	if !ok || hash != as.hash {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", as.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+as.hash+`"`)
	http.ServeContent(rw, r, name, w.assets.loaded, bytes.NewReader(as.body))
}
