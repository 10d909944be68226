package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"vigil/web/ui"
)

// uiAsset is one file of the embedded UI, with the validator a browser revalidates it by.
type uiAsset struct {
	body        []byte
	etag        string
	contentType string
}

// uiAssets reads the embedded UI once. The files are small (the script is the largest, a few hundred KB)
// and served on every page load, so they are kept in memory with their hashes.
func uiAssets() (map[string]uiAsset, error) {
	assets := map[string]uiAsset{}
	err := fs.WalkDir(ui.Dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := ui.Dist.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = echo.MIMEOctetStream
		}
		assets[strings.TrimPrefix(p, "dist/")] = uiAsset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
			contentType: ctype}
		return nil
	})
	return assets, err
}

// uiFile serves a file of the UI under /ui/. The names do not change between builds, so the browser must
// revalidate (no-cache) and gets a 304 while the binary is the same.
func (h *handlers) uiFile(c echo.Context) error {
	a, ok := h.ui[c.Param("*")]
	if !ok {
		return apiError(http.StatusNotFound, "no such UI file %q", c.Param("*"))
	}
	return serveAsset(c, a)
}

// uiPage answers every address of the single-page UI (the wall, a camera) with its page; the script
// reads the address and shows the right view, so links to a camera at a second can be shared.
func (h *handlers) uiPage(c echo.Context) error {
	a, ok := h.ui["index.html"]
	if !ok {
		return apiError(http.StatusInternalServerError, "this binary was built without its UI: build it with make")
	}
	return serveAsset(c, a)
}

func serveAsset(c echo.Context, a uiAsset) error {
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, a.contentType)
	hd.Set("ETag", a.etag)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	if c.Request().Header.Get("If-None-Match") == a.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, a.contentType, a.body)
}
