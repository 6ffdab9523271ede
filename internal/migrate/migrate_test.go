package migrate

import (
	"bytes"
	"database/sql"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/migrations"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// target starts a server with an empty global database and returns a
// connection pool on it.
func target(t *testing.T) *sql.DB {
	t.Helper()
	s := testenv.StartT(t, testenv.Options{})
	s.Exec(t, "CREATE DATABASE global")
	return s.DB(t, "global")
}

func TestUpStatus(t *testing.T) {
	db := target(t)
	ctx := t.Context()

	var before bytes.Buffer
	require.NoError(t, Status(ctx, db, migrations.FS, &before))
	require.Regexp(t, `(?m)^1\s+00001_global_schema\.sql\s+pending$`, before.String())

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	require.NoError(t, Up(ctx, db, migrations.FS, logger))
	require.Contains(t, logs.String(), `msg="applied migration" version=1 name=00001_global_schema.sql`)
	require.Contains(t, logs.String(), "version=1 applied=1")

	logs.Reset()
	require.NoError(t, Up(ctx, db, migrations.FS, logger), "second Up")
	require.NotContains(t, logs.String(), "applied migration")
	require.Contains(t, logs.String(), "version=1 applied=0")
	var rows int
	require.NoError(t, db.QueryRow("SELECT COUNT(*) FROM "+TableName+" WHERE version_id = 1").Scan(&rows))
	require.Equal(t, 1, rows)

	var after bytes.Buffer
	require.NoError(t, Status(ctx, db, migrations.FS, &after))
	lines := strings.Split(strings.TrimSpace(after.String()), "\n")
	require.Len(t, lines, 2, after.String())
	require.Regexp(t, `^VERSION\s+NAME\s+APPLIED AT$`, lines[0])
	m := regexp.MustCompile(`^1\s+00001_global_schema\.sql\s+(\S+ \S+)$`).FindStringSubmatch(lines[1])
	require.NotNil(t, m, lines[1])
	at, err := time.Parse(time.DateTime, m[1])
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().UTC(), at, time.Minute)

	require.NoError(t, Up(ctx, db, migrations.FS, nil), "nil logger")
}

func TestSchema(t *testing.T) {
	db := target(t)
	require.NoError(t, Up(t.Context(), db, migrations.FS, nil))

	type column struct{ table, name, typ, nullable, key string }
	want := []column{
		{"cooksnaps", "id", "bigint(20) unsigned", "NO", "PRI"},
		{"cooksnaps", "recipe_id", "bigint(20) unsigned", "YES", ""},
		{"cooksnaps", "user_id", "bigint(20) unsigned", "YES", ""},
		{"cooksnaps", "comment", "varchar(1024)", "YES", ""},
		{"members", "id", "bigint(20) unsigned", "NO", "PRI"},
		{"members", "email", "varchar(191)", "YES", "UNI"},
		{"members", "display_name", "varchar(100)", "YES", ""},
		{"members", "bio", "mediumtext", "YES", ""},
		{"members", "locale", "varchar(16)", "YES", ""},
		{"recipes", "id", "bigint(20) unsigned", "NO", "PRI"},
		{"recipes", "author_id", "bigint(20) unsigned", "YES", ""},
		{"recipes", "author_name", "varchar(100)", "YES", ""},
		{"recipes", "title", "varchar(200)", "YES", ""},
		{"recipes", "description", "mediumtext", "YES", ""},
		{"recipes", "status", "enum('draft','published','hidden')", "YES", ""},
		{"recipes", "steps", "longtext", "YES", ""}, // MariaDB's JSON is LONGTEXT with a json_valid check
	}
	rows, err := db.Query(`SELECT table_name, column_name, column_type, is_nullable, column_key
		FROM information_schema.columns WHERE table_schema = 'global' AND table_name <> ?
		ORDER BY table_name, ordinal_position`, TableName)
	require.NoError(t, err)
	defer rows.Close()
	var got []column
	for rows.Next() {
		var c column
		require.NoError(t, rows.Scan(&c.table, &c.name, &c.typ, &c.nullable, &c.key))
		got = append(got, c)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, want, got)

	tables, err := db.Query(`SELECT table_name, engine, table_collation FROM information_schema.tables
		WHERE table_schema = 'global' AND table_name <> ?`, TableName)
	require.NoError(t, err)
	defer tables.Close()
	n := 0
	for tables.Next() {
		var name, engine, collation string
		require.NoError(t, tables.Scan(&name, &engine, &collation))
		require.Equal(t, "InnoDB", engine, name)
		require.True(t, strings.HasPrefix(collation, "utf8mb4_"), "%s: %s", name, collation)
		n++
	}
	require.NoError(t, tables.Err())
	require.Equal(t, 3, n)
}

func TestParseStamp(t *testing.T) {
	want := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		name    string
		in      any
		want    time.Time
		wantErr bool
	}{
		{"text", []byte("2026-03-04 05:06:07"), want, false},
		{"string", "2026-03-04 05:06:07", want, false},
		{"parsed", want, want, false},
		{"null", nil, time.Time{}, false},
		{"garbage", []byte("yesterday"), time.Time{}, true},
		{"wrong type", int64(3), time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStamp(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.True(t, tt.want.Equal(got), "got %v", got)
		})
	}
}

// A migration that fails on the rows the table holds (a unique key over
// duplicates) does not quote them.
func TestUpFailureQuotesNoRow(t *testing.T) {
	db := target(t)
	_, err := db.Exec("CREATE TABLE global.t (id INT PRIMARY KEY, v VARCHAR(20))")
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO global.t VALUES (1, 'SECRETVALUE'), (2, 'SECRETVALUE')")
	require.NoError(t, err)
	dups := fstest.MapFS{"00001_unique.sql": {Data: []byte("-- +goose Up\nALTER TABLE global.t ADD UNIQUE KEY v (v);\n")}}
	err = Up(t.Context(), db, dups, nil)
	require.ErrorContains(t, err, "1062")
	require.NotContains(t, err.Error(), "SECRETVALUE")
}
