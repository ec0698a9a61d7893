// Package webui is Copydesk's browser interface: a shell page, ES modules
// and a stylesheet, embedded in the binary and served under /ui/. The
// assets hold no data; every figure comes from the JSON API with the
// browser session (POST /v1/auth/login), so the routes here are public.
//
// Every answer carries a Content-Security-Policy without inline script,
// nosniff and no-referrer. Assets are served under a versioned path
// (/ui/a/<version>/…, the version a hash of all assets) with a strong ETag
// of their content and a year-long immutable Cache-Control; the shell
// itself is revalidated on every load (no-cache with its ETag), so a new
// binary's assets are picked up at once.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Prefix is the path the UI is served under.
const Prefix = "/ui/"

// ContentSecurityPolicy is sent with every UI answer. Scripts and styles
// come only from the binary; generated blocks are shown in sandboxed
// srcdoc frames (which inherit this policy, so they cannot run script
// either); the UI may not be framed.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; frame-src 'self'; child-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// assetsPlaceholder in index.html is replaced by the versioned asset path.
const assetsPlaceholder = "{{ASSETS}}"

//go:embed static
var static embed.FS

// asset is one file ready to serve.
type asset struct {
	body        []byte
	etag        string
	contentType string
}

// Handler serves the shell and its assets. The zero value is not usable;
// call New.
type Handler struct {
	version string
	index   *asset
	assets  map[string]*asset
}

// New returns a Handler for the embedded assets. It panics if they are
// missing (a build error, not a run-time condition).
func New() *Handler {
	h, err := newHandler(static)
	if err != nil {
		panic(err)
	}
	return h
}

func newHandler(fsys fs.FS) (*Handler, error) {
	sub, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	h := &Handler{assets: map[string]*asset{}}
	var names []string
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			return nil, err
		}
		all.Write([]byte(name))
		all.Write([]byte{0})
		all.Write(b)
		if name != "index.html" {
			h.assets[name] = newAsset(name, b)
		}
	}
	h.version = hex.EncodeToString(all.Sum(nil))[:16]
	raw, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		return nil, err
	}
	h.index = newAsset("index.html", bytes.ReplaceAll(raw, []byte(assetsPlaceholder), []byte(h.AssetPath())))
	return h, nil
}

func newAsset(name string, b []byte) *asset {
	sum := sha256.Sum256(b)
	return &asset{body: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, contentType: contentType(name)}
}

// contentType is set explicitly: the system's MIME table differs between
// machines, and a module script with a wrong type does not run.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	}
	return "application/octet-stream"
}

// Version is the hash of all assets, part of their path.
func (h *Handler) Version() string { return h.version }

// AssetPath is the versioned path the shell loads its assets from, without
// a trailing slash, e.g. "/ui/a/0123456789abcdef".
func (h *Handler) AssetPath() string { return Prefix + "a/" + h.version }

// SetSecurityHeaders sets the headers every UI answer carries.
func SetSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeHTTP serves GET and HEAD of Prefix (the shell), Prefix+"a/<version>/<file>"
// (an asset, immutable when the version is current) and Prefix+"<file>"
// (an asset, revalidated). Anything else under Prefix answers 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if rest == "" || rest == "index.html" {
		h.serve(w, r, h.index, "no-cache")
		return
	}
	cache := "no-cache"
	if v, file, ok := strings.Cut(strings.TrimPrefix(rest, "a/"), "/"); ok && strings.HasPrefix(rest, "a/") {
		// An old version's path gets today's file, revalidated.
		if v == h.version {
			cache = "public, max-age=31536000, immutable"
		}
		rest = file
	}
	a, ok := h.assets[rest]
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	h.serve(w, r, a, cache)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, a *asset, cacheControl string) {
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("Cache-Control", cacheControl)
	hd.Set("ETag", a.etag)
	if etagMatch(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		hd.Set("Content-Length", strconv.Itoa(len(a.body)))
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write(a.body)
}

// etagMatch reports whether an If-None-Match header lists etag (or *).
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
