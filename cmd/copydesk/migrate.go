package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// runMigrate applies the store's and the queue's migrations and exits. The
// server applies them at start too; this is for deployments that migrate
// before rolling out.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args, getenv, bindStoreFlags)
	if err != nil {
		return err
	}
	m := NewMain()
	m.Config = cfg
	m.Logger = newLogger(stderr, cfg)
	defer m.closeResources()
	if err := m.openStore(ctx); err != nil {
		return err
	}
	m.Jobs = nil
	if err := m.openQueue(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied:", m.storeName())
	return nil
}
