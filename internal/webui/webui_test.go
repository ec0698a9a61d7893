package webui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	t.Parallel()
	h := New()
	cur := h.AssetPath()
	tests := []struct {
		name, method, path string
		status             int
		contentType        string
		cache              string
	}{
		{"shell", "GET", "/ui/", 200, "text/html; charset=utf-8", "no-cache"},
		{"shell by name", "GET", "/ui/index.html", 200, "text/html; charset=utf-8", "no-cache"},
		{"versioned module", "GET", cur + "/app.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"versioned stylesheet", "GET", cur + "/style.css", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"old version revalidated", "GET", "/ui/a/0000000000000000/app.js", 200, "text/javascript; charset=utf-8", "no-cache"},
		{"unversioned asset", "GET", "/ui/dom.js", 200, "text/javascript; charset=utf-8", "no-cache"},
		{"head", "HEAD", cur + "/app.js", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"missing", "GET", "/ui/nope.js", 404, "", "no-store"},
		{"traversal", "GET", "/ui/a/x/../../webui.go", 404, "", "no-store"},
		{"post", "POST", "/ui/", 405, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.method, tc.path)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			hd := rec.Header()
			for k, want := range map[string]string{
				"Content-Security-Policy": ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
			} {
				if got := hd.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			if tc.contentType != "" && hd.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type %q, want %q", hd.Get("Content-Type"), tc.contentType)
			}
			if tc.cache != "" && hd.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control %q, want %q", hd.Get("Cache-Control"), tc.cache)
			}
			if tc.status == 200 && !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(hd.Get("ETag")) {
				t.Errorf("ETag %q, want a quoted content hash", hd.Get("ETag"))
			}
			if tc.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD answered %d body bytes, want 0", rec.Body.Len())
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	t.Parallel()
	h := New()
	for _, path := range []string{"/ui/", h.AssetPath() + "/app.js"} {
		first := get(t, h, "GET", path)
		etag := first.Header().Get("ETag")
		if again := get(t, h, "GET", path, "If-None-Match", etag); again.Code != 304 || again.Body.Len() != 0 {
			t.Errorf("%s with If-None-Match %s: got %d with %d bytes, want 304 and none", path, etag, again.Code, again.Body.Len())
		}
		if other := get(t, h, "GET", path, "If-None-Match", `"other"`); other.Code != 200 {
			t.Errorf("%s with another ETag: got %d, want 200", path, other.Code)
		}
	}
}

// TestShell: the shell loads its assets from the current versioned path
// and has no inline script or style the policy would have to allow.
func TestShell(t *testing.T) {
	t.Parallel()
	h := New()
	body := get(t, h, "GET", "/ui/").Body.String()
	if strings.Contains(body, assetsPlaceholder) {
		t.Error("the shell still holds the assets placeholder")
	}
	if !strings.Contains(body, `src="`+h.AssetPath()+`/app.js"`) {
		t.Errorf("the shell does not load %s/app.js", h.AssetPath())
	}
	for _, m := range regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in the shell: %s", m[0])
		}
	}
	if regexp.MustCompile(`(?i)<style|\son[a-z]+=|style=`).MatchString(body) {
		t.Error("the shell has an inline style or event handler attribute")
	}
	for _, name := range []string{"app.js", "api.js", "dom.js", "spans.js", "analyze.js", "generate.js", "translate.js", "dashboard.js", "charts.js", "metrics.js", "login.js", "languages.js", "style.css", "block.css"} {
		if _, ok := h.assets[name]; !ok {
			t.Errorf("asset %s is missing", name)
		}
	}
}

// TestScriptsBuildNoMarkup keeps untrusted strings out of the HTML parser:
// no script assigns innerHTML or outerHTML, calls insertAdjacentHTML,
// document.write or eval. (The one place HTML is handed to the browser is a
// sandboxed frame's srcdoc, set as a property in generate.js.)
func TestScriptsBuildNoMarkup(t *testing.T) {
	t.Parallel()
	bad := regexp.MustCompile(`\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(|DOMParser|createContextualFragment`)
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if bad.MatchString(line) {
				t.Errorf("%s:%d builds markup from a string: %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
