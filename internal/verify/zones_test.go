package verify_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tributary-cdc/tributary/internal/mapping"
	"github.com/tributary-cdc/tributary/internal/testenv"
	"github.com/tributary-cdc/tributary/internal/verify"
)

// loadZone loads the named time zone into s's time zone tables and makes
// it the server's default, as a server set up in local time has it.
func loadZone(t *testing.T, s *testenv.Server, zone string) {
	t.Helper()
	file := filepath.Join("/usr/share/zoneinfo", zone)
	_, err := os.Stat(file)
	require.NoError(t, err, "this test needs tzdata's zone files: make deps installs them")
	sql, err := exec.Command("mariadb-tzinfo-to-sql", file, zone).Output()
	require.NoError(t, err)
	db := s.DB(t, "mysql")
	_, err = db.Exec(string(sql))
	require.NoError(t, err)
	_, err = db.Exec("SET GLOBAL time_zone = '" + zone + "'")
	require.NoError(t, err)
}

const zonesMapping = `
target: shop.events
key: [id]
sources:
  - source: src
    table: shop.events
    all_columns: true
`

// TIMESTAMP values around a daylight-saving change, on servers whose
// default zone is Europe/Paris: at the autumn change two instants an hour
// apart both read 02:30 in local time, so a comparison in local time
// would take a target holding the wrong one for equal. And text in a
// utf8mb4 source column equals the same text in a utf8mb3 target column.
func TestVerifyAcrossDaylightSavingAndCharsets(t *testing.T) {
	source := testenv.StartT(t, testenv.Options{ServerID: 1, GTIDDomain: 1})
	target := testenv.StartT(t, testenv.Options{ServerID: 2, GTIDDomain: 2})
	loadZone(t, source, "Europe/Paris")
	loadZone(t, target, "Europe/Paris")
	rows := "INSERT INTO shop.events VALUES " +
		"(1, '2026-10-25 00:30:00.000001', 'café'), (2, '2026-10-25 01:30:00.000001', 'naïve'), " +
		"(3, '2026-03-29 00:30:00', 'Ærø'), (4, '2026-03-29 01:30:00', 'plain')"
	// Written in UTC: local time cannot name both autumn instants.
	source.Exec(t, "CREATE DATABASE shop",
		"CREATE TABLE shop.events (id INT PRIMARY KEY, at TIMESTAMP(6) NULL, name VARCHAR(20) CHARACTER SET utf8mb4)",
		"SET time_zone = '+00:00'", rows)
	target.Exec(t, "CREATE DATABASE shop",
		"CREATE TABLE shop.events (id INT PRIMARY KEY, at TIMESTAMP(6) NULL, name VARCHAR(20) CHARACTER SET utf8mb3)",
		"SET time_zone = '+00:00'", rows)
	var local1, local2 string
	db := target.DB(t, "")
	require.NoError(t, db.QueryRow("SELECT DATE_FORMAT(CONVERT_TZ(at, '+00:00', 'Europe/Paris'), '%H:%i') FROM shop.events WHERE id = 1").Scan(&local1))
	require.NoError(t, db.QueryRow("SELECT DATE_FORMAT(CONVERT_TZ(at, '+00:00', 'Europe/Paris'), '%H:%i') FROM shop.events WHERE id = 2").Scan(&local2))
	require.Equal(t, "02:30", local1)
	require.Equal(t, local1, local2, "the trap: both instants read alike in local time")

	file := filepath.Join(t.TempDir(), "events.yaml")
	require.NoError(t, os.WriteFile(file, []byte(zonesMapping), 0o600))
	set, err := mapping.Load([]string{file}, []string{"src"})
	require.NoError(t, err)
	run := func() []string {
		rep, err := verify.Run(t.Context(), verify.Options{
			Set: set, Targets: []string{"shop.events"},
			Sources:   map[string]string{"src": source.DSN("root", "", "")},
			TargetDSN: target.DSN("root", "", ""), Settle: 200 * time.Millisecond,
		})
		require.NoError(t, err)
		return found(rep)
	}
	require.Empty(t, run(), "equal instants and equal text in another character set")

	// id 2 gets id 1's instant (the same local time, an hour earlier),
	// and one accent is lost.
	target.Exec(t, "SET time_zone = '+00:00'",
		"UPDATE shop.events SET at = '2026-10-25 00:30:00.000001' WHERE id = 2",
		"UPDATE shop.events SET name = 'cafe' WHERE id = 1")
	require.Equal(t, []string{"shop.events different 1 [name]", "shop.events different 2 [at]"}, run())
}
