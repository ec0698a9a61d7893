// Package prompt loads the prompt templates of model tasks: Go text
// templates kept as versioned files in the repository (embedded in the
// binary), which an operator may override with files of the same name in a
// directory of the data dir. A template's version is part of the cache keys
// of the answers it produces, so changing a template, or overriding it,
// never serves answers of the old prompt.
package prompt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// Ext is the file extension of prompt templates.
const Ext = ".tmpl"

// versionRE finds the version a template declares in its first comment:
// {{/* version: gen-hero-v1. … */}}
var versionRE = regexp.MustCompile(`^\{\{-?\s*/\*\s*version:\s*([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)`)

// Template is one parsed prompt template.
type Template struct {
	// Name is the file name without Ext, e.g. "hero".
	Name string
	// Version names this template's text for cache keys: the version it
	// declares, followed by "+override-<hash>" when an operator's file
	// replaced the built-in one.
	Version string
	// Overridden is set when the text came from the override directory.
	Overridden bool
	tmpl       *template.Template
}

// Execute renders the template with data.
func (t *Template) Execute(data any) (string, error) {
	var buf bytes.Buffer
	if err := t.tmpl.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("prompt %s: %w", t.Name, err)
	}
	return buf.String(), nil
}

// Set is the prompt templates of one task package.
type Set struct {
	byName map[string]*Template
}

// Load parses every *.tmpl file at the root of builtin, then replaces each
// with the file of the same name in overrideDir when one exists (an empty
// overrideDir, or one that does not exist, overrides nothing). Every
// built-in template must declare its version in its first comment; an
// override that does not parse, or names no built-in template, is an error
// naming the file, so a typo is found at start-up, not at the first request.
func Load(builtin fs.FS, overrideDir string) (*Set, error) {
	s := &Set{byName: make(map[string]*Template)}
	names, err := fs.Glob(builtin, "*"+Ext)
	if err != nil {
		return nil, err
	}
	for _, file := range names {
		b, err := fs.ReadFile(builtin, file)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(path.Base(file), Ext)
		m := versionRE.FindSubmatch(b)
		if m == nil {
			return nil, fmt.Errorf("prompt %s: the first line must declare its version: {{/* version: NAME-vN. … */}}", file)
		}
		t, err := parse(name, string(b))
		if err != nil {
			return nil, err
		}
		t.Version = string(m[1])
		s.byName[name] = t
	}
	if overrideDir == "" {
		return s, nil
	}
	entries, err := os.ReadDir(overrideDir)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read prompt overrides: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), Ext) {
			continue
		}
		name := strings.TrimSuffix(e.Name(), Ext)
		base, ok := s.byName[name]
		if !ok {
			continue // another package's template in a shared directory
		}
		file := filepath.Join(overrideDir, e.Name())
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read prompt override: %w", err)
		}
		t, err := parse(name, string(b))
		if err != nil {
			return nil, fmt.Errorf("prompt override %s: %w", file, err)
		}
		sum := sha256.Sum256(b)
		t.Version = base.Version + "+override-" + hex.EncodeToString(sum[:6])
		t.Overridden = true
		s.byName[name] = t
	}
	return s, nil
}

// MustLoad is Load of the built-in templates alone, for package defaults;
// it panics when they do not parse (a bug caught by every test).
func MustLoad(builtin fs.FS) *Set {
	s, err := Load(builtin, "")
	if err != nil {
		panic(err)
	}
	return s
}

func parse(name, text string) (*Template, error) {
	tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	return &Template{Name: name, tmpl: tmpl}, nil
}

// Get returns the template named name. Returns ENOTFOUND if there is none.
func (s *Set) Get(name string) (*Template, error) {
	t, ok := s.byName[name]
	if !ok {
		return nil, copydesk.Errorf(copydesk.ENOTFOUND, "no prompt template %q", name)
	}
	return t, nil
}

// Names returns the template names, sorted.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Overridden returns the names of the templates an operator's file
// replaced, sorted.
func (s *Set) Overridden() []string {
	var out []string
	for _, n := range s.Names() {
		if s.byName[n].Overridden {
			out = append(out, n)
		}
	}
	return out
}
