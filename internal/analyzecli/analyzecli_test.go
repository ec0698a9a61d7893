package analyzecli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	page := filepath.Join(dir, "page.md")
	if err := os.WriteFile(page, []byte("# Fresh bread\n\nOur bakery bakes fresh bread every morning. You can order online.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte(" \n\t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		stdin    string
		env      map[string]string
		wantCode int
		want     string // in stdout (or stderr for errors)
	}{
		{"table", []string{page}, "", nil, 0, "ANALYSIS"},
		{"json with locale flag", []string{"--json", "--locale", "de", page}, "", nil, 0, `"locale": "de"`},
		{"locale from LANG", []string{"--json", page}, "", map[string]string{"LANG": "fr_FR.UTF-8"}, 0, `"locale": "fr"`},
		{"LC_ALL before LANG", []string{"--json", page}, "", map[string]string{"LC_ALL": "it_IT.UTF-8", "LANG": "fr_FR.UTF-8"}, 0, `"locale": "it"`},
		{"unsupported LANG is English", []string{"--json", page}, "", map[string]string{"LANG": "sv_SE.UTF-8"}, 0, `"locale": "en"`},
		{"C locale is English", []string{"--json", page}, "", map[string]string{"LANG": "C"}, 0, `"locale": "en"`},
		{"stdin", []string{"--json", "-"}, "Dit is een korte Nederlandse tekst. Wij schrijven graag duidelijke zinnen.", nil, 0, `"language": "nl"`},
		{"empty file", []string{empty}, "", nil, 2, "content is empty"},
		{"empty stdin", []string{"-"}, "", nil, 2, "stdin: content is empty"},
		{"no file", nil, "", nil, 2, "at least one file"},
		{"unknown language", []string{"--lang", "xx", page}, "", nil, 1, "xx"},
		{"missing file", []string{filepath.Join(dir, "nope.md")}, "", nil, 1, "nope.md"},
		{"help", []string{"-h"}, "", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := Run("copydesk analyze", tt.args, strings.NewReader(tt.stdin), &out, &errOut, env(tt.env))
			code := ExitCode(err, &errOut, "copydesk analyze")
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (err %v, stderr %q)", code, tt.wantCode, err, errOut.String())
			}
			got := out.String()
			if code != 0 {
				got = errOut.String()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("output %q, want it to contain %q", got, tt.want)
			}
			if tt.name == "help" && !errors.Is(err, flag.ErrHelp) {
				t.Errorf("got %v, want flag.ErrHelp", err)
			}
			if strings.HasPrefix(tt.want, `"`) {
				var r map[string]any
				if err := json.Unmarshal(out.Bytes(), &r); err != nil {
					t.Errorf("output is not one JSON report: %v", err)
				}
			}
		})
	}
}
