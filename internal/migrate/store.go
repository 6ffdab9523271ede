package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pressly/goose/v3/database"
)

// store is goose's MySQL version store, except that it reads the applied
// time whether or not the DSN sets parseTime: Tributary's DSNs leave it off,
// and goose's own store then cannot scan the DATETIME column.
type store struct {
	database.StoreExtender
}

var _ database.StoreExtender = store{}

func newStore() (store, error) {
	s, err := database.NewStore(database.DialectMySQL, TableName)
	if err != nil {
		return store{}, fmt.Errorf("creating migration store: %w", err)
	}
	ext, ok := s.(database.StoreExtender)
	if !ok {
		return store{}, fmt.Errorf("creating migration store: %T lacks TableExists", s)
	}
	return store{ext}, nil
}

// GetMigration returns when version was recorded and whether it is applied.
func (s store) GetMigration(ctx context.Context, db database.DBTxConn, version int64) (*database.GetMigrationResult, error) {
	q := "SELECT tstamp, is_applied FROM " + TableName + " WHERE version_id = ? ORDER BY tstamp DESC LIMIT 1"
	var (
		stamp any
		res   database.GetMigrationResult
	)
	err := db.QueryRowContext(ctx, q, version).Scan(&stamp, &res.IsApplied)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %d", database.ErrVersionNotFound, version)
	}
	if err != nil {
		return nil, fmt.Errorf("reading migration %d: %w", version, err)
	}
	if res.Timestamp, err = parseStamp(stamp); err != nil {
		return nil, fmt.Errorf("reading migration %d: %w", version, err)
	}
	return &res, nil
}

// parseStamp converts a DATETIME as the driver returns it: time.Time with
// parseTime, text without. The session time zone is taken to be UTC, as in
// every DSN Tributary builds.
func parseStamp(v any) (time.Time, error) {
	switch v := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return v, nil
	case []byte:
		return parseStampText(string(v))
	case string:
		return parseStampText(v)
	}
	return time.Time{}, fmt.Errorf("unexpected applied-at type %T", v)
}

func parseStampText(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateTime, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing applied-at %q: %w", s, err)
	}
	return t, nil
}
