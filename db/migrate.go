package db

import (
	"context"
	"embed"
	"fmt"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

func (d *DB) provider() (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectMySQL, d.sql, mustSub(migrations, "migrations"))
}

// Migrate applies pending schema migrations and refreshes the code lookup
// tables from the embedded lists.
func (d *DB) Migrate(ctx context.Context) error {
	p, err := d.provider()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		d.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
		// A database loaded before spells existed gets them derived once.
		if r.Source.Version == spellsMigration {
			if err := d.RebuildSpells(ctx); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
		}
	}
	// A bulk load killed before it rebuilt its deferred indexes left them
	// recorded: build them now (a load still running holds its tables, so
	// this waits for it).
	if err := d.RestoreIndexes(ctx); err != nil {
		return err
	}
	return d.syncCodes(ctx)
}

// MigrationsCurrent reports whether every embedded migration is applied.
func (d *DB) MigrationsCurrent(ctx context.Context) (bool, error) {
	p, err := d.provider()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, err
	}
	return !pending, nil
}
