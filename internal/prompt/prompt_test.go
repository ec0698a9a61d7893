package prompt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/copydesk/copydesk/internal/copydesk"
)

func builtin() fstest.MapFS {
	return fstest.MapFS{
		"hero.tmpl":  {Data: []byte("{{/* version: hero-v3. The hero block. */ -}}\nWrite a hero for {{.Name}}.")},
		"faq.tmpl":   {Data: []byte("{{/* version: faq-v1 */ -}}\nFAQ for {{.Name}}.")},
		"README.txt": {Data: []byte("not a template")},
	}
}

func TestLoadBuiltin(t *testing.T) {
	t.Parallel()
	s, err := Load(builtin(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(s.Names(), ","), "faq,hero"; got != want {
		t.Errorf("names: got %q, want %q", got, want)
	}
	h, err := s.Get("hero")
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != "hero-v3" || h.Overridden {
		t.Errorf("hero: got version %q overridden %v, want hero-v3 false", h.Version, h.Overridden)
	}
	out, err := h.Execute(map[string]string{"Name": "Bakery"})
	if err != nil {
		t.Fatal(err)
	}
	if out != "Write a hero for Bakery." {
		t.Errorf("execute: got %q", out)
	}
	if _, err := h.Execute(map[string]string{}); err == nil {
		t.Error("execute without .Name: want an error (missingkey=error), got none")
	}
	if _, err := s.Get("pricing"); copydesk.ErrorCode(err) != copydesk.ENOTFOUND {
		t.Errorf("Get(pricing): got %v, want not_found", err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	if _, err := Load(fstest.MapFS{"x.tmpl": {Data: []byte("no version")}}, ""); err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("template without version: got %v, want an error about the version", err)
	}
	if _, err := Load(fstest.MapFS{"x.tmpl": {Data: []byte("{{/* version: x-v1 */}}{{.A")}}, ""); err == nil {
		t.Error("unparsable template: want an error")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hero.tmpl"), []byte("{{.Broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(builtin(), dir); err == nil || !strings.Contains(err.Error(), "hero.tmpl") {
		t.Errorf("broken override: got %v, want an error naming the file", err)
	}
}

func TestOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("hero.tmpl", "Hero, shorter, for {{.Name}}.")
	write("other.tmpl", "another package's template")
	s, err := Load(builtin(), dir)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := s.Get("hero")
	if !h.Overridden || !strings.HasPrefix(h.Version, "hero-v3+override-") {
		t.Errorf("override: got version %q overridden %v, want hero-v3+override-… true", h.Version, h.Overridden)
	}
	if got := strings.Join(s.Overridden(), ","); got != "hero" {
		t.Errorf("Overridden: got %q, want hero", got)
	}
	if _, err := s.Get("other"); err == nil {
		t.Error("an override without a built-in template was added to the set")
	}
	first := h.Version
	write("hero.tmpl", "Hero, longer, for {{.Name}}.")
	s2, err := Load(builtin(), dir)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := s2.Get("hero")
	if h2.Version == first {
		t.Errorf("a changed override kept version %q: cached answers of the old prompt would be served", first)
	}
	if f, _ := s2.Get("faq"); f.Version != "faq-v1" {
		t.Errorf("faq not overridden: got version %q, want faq-v1", f.Version)
	}
}

func TestMissingOverrideDir(t *testing.T) {
	t.Parallel()
	if _, err := Load(builtin(), filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("missing override dir: got %v, want no error", err)
	}
}
