package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/copydesk/copydesk/internal/catalog"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// runModels prints the model catalogue — the built-in one with the config
// file's catalog and pricing sections applied — with the prices in force
// on a day.
func runModels(_ context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var provider, kind, at string
	var asJSON bool
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: copydesk models [flags]\n\nPrints every catalogued model with its prices (US dollars per million tokens), limits and dates.")
		fs.PrintDefaults()
	}
	cfg, err := loadConfig(fs, args, getenv, func(fs *flag.FlagSet, _ *Config) {
		fs.StringVar(&provider, "provider", "", "only this provider type: openai, anthropic or gemini")
		fs.StringVar(&kind, "kind", "", "only this kind: chat or embedding")
		fs.StringVar(&at, "at", "", "the day whose prices to show, e.g. 2027-01-01 (default today)")
		fs.BoolVar(&asJSON, "json", false, "print the catalogue as JSON (every dated price, sources and as-of date)")
	})
	if err != nil {
		return err
	}
	switch provider {
	case "", catalog.ProviderOpenAI, catalog.ProviderAnthropic, catalog.ProviderGemini:
	default:
		return &UsageError{Message: fmt.Sprintf("models: --provider %q is not one of openai, anthropic, gemini", provider)}
	}
	switch kind {
	case "", catalog.KindChat, catalog.KindEmbedding:
	default:
		return &UsageError{Message: fmt.Sprintf("models: --kind %q is not one of chat, embedding", kind)}
	}
	day := time.Now().UTC()
	if at != "" {
		if day, err = time.Parse(time.DateOnly, at); err != nil {
			return &UsageError{Message: fmt.Sprintf("models: --at %q is not a date such as 2027-01-01", at)}
		}
		day = day.Add(24*time.Hour - time.Nanosecond) // the prices in force that day
	}
	cat, err := cfg.Catalog.Build()
	if err != nil {
		return &ConfigError{Field: "catalog", Message: copydesk.ErrorMessage(err)}
	}
	table, err := cfg.Pricing.Table(cat.Prices())
	if err != nil {
		return &ConfigError{Field: "pricing", Message: copydesk.ErrorMessage(err)}
	}
	var models []catalog.Model
	for _, m := range cat.Models() {
		if (provider == "" || m.Provider == provider) && (kind == "" || m.Kind == kind) {
			models = append(models, m)
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"as_of": cat.AsOf().Format(time.DateOnly), "sources": cat.Sources(), "models": models})
	}

	cur := table.Currency()
	if !cat.AsOf().IsZero() {
		fmt.Fprintf(stdout, "Model catalogue as of %s; prices in force on %s, per million tokens", cat.AsOf().Format(time.DateOnly), day.Format(time.DateOnly))
	} else {
		fmt.Fprintf(stdout, "Model catalogue (configured only); prices in force on %s, per million tokens", day.Format(time.DateOnly))
	}
	if cur.Code == "USD" {
		fmt.Fprintln(stdout, " in USD.")
	} else {
		fmt.Fprintf(stdout, " in USD (accounting converts to %s).\n", cur.Code)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tMODEL\tKIND\tCONTEXT\tMAX OUT\tINPUT\tCACHED\tOUTPUT\tLONG CONTEXT\tBATCH IN/OUT\tRELEASED\tRETIRES")
	dollars := func(m copydesk.Micros) string { return "$" + catalog.Dollars(m).String() }
	for _, m := range models {
		in, cached, out, long := "-", "-", "-", "-"
		if p, err := table.Lookup(m.ID, day); err == nil {
			in = dollars(p.InputPerMTok)
			if p.CachedInputPerMTok > 0 {
				cached = dollars(p.CachedInputPerMTok)
			}
			if m.Kind == catalog.KindChat {
				out = dollars(p.OutputPerMTok)
			}
			if p.LongContextThreshold > 0 {
				long = fmt.Sprintf(">%dk: %s/%s", p.LongContextThreshold/1000, dollars(p.LongInputPerMTok), dollars(p.LongOutputPerMTok))
			}
		} else if m.Released.After(day) {
			in = "not released"
		}
		batch := "-"
		if bi, bo, ok := cat.BatchPrice(m.ID, day); ok {
			batch = dollars(bi)
			if m.Kind == catalog.KindChat {
				batch += "/" + dollars(bo)
			}
		}
		maxOut, retires := "-", ""
		if m.MaxOutputTokens > 0 {
			maxOut = tokens(m.MaxOutputTokens)
		}
		if m.Retires != nil {
			retires = m.Retires.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Provider, m.ID, m.Kind, tokens(m.ContextWindow), maxOut,
			in, cached, out, long, batch, m.Released.Format(time.DateOnly), retires)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d models. Send any of them by name (or as provider/model) to a configured provider of its type.\n", len(models))
	if len(cat.Sources()) > 0 {
		fmt.Fprintln(stdout, "Sources:")
		for _, p := range []string{catalog.ProviderOpenAI, catalog.ProviderAnthropic, catalog.ProviderGemini} {
			if src := cat.Sources()[p]; len(src) > 0 && (provider == "" || provider == p) {
				fmt.Fprintf(stdout, "  %s: %s\n", p, strings.Join(src, ", "))
			}
		}
	}
	return nil
}

// tokens formats a token count compactly: 1.05M, 400k, 8191.
func tokens(n int) string {
	switch {
	case n >= 1_000_000:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", float64(n)/1e6), "0"), ".") + "M"
	case n >= 10_000:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", float64(n)/1e3), "0"), ".") + "k"
	}
	return fmt.Sprint(n)
}
