package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runModelsCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"models"}, args...), nil, &out, &errOut, func(k string) string { return env[k] })
	return out.String(), err
}

func TestModelsCommand(t *testing.T) {
	t.Parallel()
	out, err := runModelsCmd(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"as of 2026-12-06", "gpt-6.1-sol", "claude-opus-5-5", "gemini-4-neon", "text-embedding-3-small", "$2.00", ">272k: $4.00/$15.00", "Sources:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// Filters, and the prices of another day: gemini-4-carbon doubled on 2026-12-01.
	out, err = runModelsCmd(t, nil, "--provider", "gemini", "--kind", "chat", "--at", "2026-11-15")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "anthropic") || strings.Contains(out, "embedding") {
		t.Errorf("filtered output has other providers or kinds:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "gemini-4-carbon") && !strings.Contains(line, "$2.00") {
			t.Errorf("carbon on 2026-11-15: %q, want the $2.00 introductory price", line)
		}
		if strings.Contains(line, "gemini-4-neon") && !strings.Contains(line, "not released") {
			t.Errorf("neon on 2026-11-15: %q, want not released", line)
		}
	}

	// JSON, with a model added and a price overridden from the config file.
	dir := t.TempDir()
	cfg := filepath.Join(dir, "copydesk.yaml")
	if err := os.WriteFile(cfg, []byte(`
catalog:
  models:
    - id: gpt-7-preview
      provider: openai
      kind: chat
      released: 2026-12-05
      context_window: 2000000
      max_output_tokens: 256000
      prices:
        - {effective: 2026-12-05, input: 3, cached_input: 0.3, output: 15, batch_input: 1.5, batch_output: 7.5, source: "https://example.com/gpt-7"}
pricing:
  prices:
    - {model: gpt-6-luna, input_per_mtok: 90000, output_per_mtok: 450000, effective: 2026-12-01T00:00:00Z, source: contract}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runModelsCmd(t, map[string]string{"COPYDESK_CONFIG": cfg}, "--provider", "openai")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "gpt-7-preview") {
		t.Error("the configured model is missing")
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "openai    gpt-6-luna ") && !strings.Contains(line, "$0.09") {
			t.Errorf("gpt-6-luna: %q, want the configured $0.09", line)
		}
	}
	out, err = runModelsCmd(t, map[string]string{"COPYDESK_CONFIG": cfg}, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AsOf   string `json:"as_of"`
		Models []struct {
			ID     string `json:"id"`
			Prices []struct {
				Input string `json:"input"`
			} `json:"prices"`
		} `json:"models"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.AsOf != "2026-12-06" || len(doc.Models) < 40 {
		t.Fatalf("json: %v, as_of %q, %d models", err, doc.AsOf, len(doc.Models))
	}

	for _, args := range [][]string{{"--provider", "mistral"}, {"--kind", "image"}, {"--at", "tomorrow"}} {
		_, err := runModelsCmd(t, nil, args...)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}
