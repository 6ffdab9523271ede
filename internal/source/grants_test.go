package source

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGrants(t *testing.T) {
	tests := []struct {
		name          string
		lines         []string
		repl, monitor bool
		selectAll     bool
		schemas       []string
		roles         []string
	}{
		{
			name:  "mariadb least privilege",
			lines: []string{"GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `repl`@`%` IDENTIFIED BY PASSWORD '*ABC'"},
			repl:  true, monitor: true, selectAll: true,
		},
		{
			name:  "mariadb root",
			lines: []string{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION", "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"},
			repl:  true, monitor: true, selectAll: true,
		},
		{
			name: "mysql split lines and schema select",
			lines: []string{
				"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `repl`@`%`",
				"GRANT SELECT ON `shop`.* TO `repl`@`%`",
				"GRANT SELECT (id, name) ON `other`.`t` TO `repl`@`%`",
			},
			repl: true, monitor: true, schemas: []string{"shop"},
		},
		{
			name:  "mysql dynamic privileges without spaces",
			lines: []string{"GRANT BACKUP_ADMIN,REPLICATION_SLAVE_ADMIN ON *.* TO `u`@`%`", "GRANT USAGE ON *.* TO `u`@`%`"},
		},
		{
			name:  "roles",
			lines: []string{"GRANT USAGE ON *.* TO `u`@`%`", "GRANT `cdc`@`%`,`ro` TO `u`@`%`"},
			roles: []string{"`cdc`@`%`", "`ro`"},
		},
		{
			name:  "replica alias",
			lines: []string{"GRANT REPLICATION REPLICA ON *.* TO 'u'@'%'"},
			repl:  true,
		},
		{
			name:  "not a grant",
			lines: []string{"REVOKE ALL ON *.* FROM u", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g grants
			for _, l := range tt.lines {
				g.add(l)
			}
			require.Equal(t, tt.repl, g.has("REPLICATION SLAVE", "REPLICATION REPLICA"), "replication")
			require.Equal(t, tt.monitor, g.has("REPLICATION CLIENT", "BINLOG MONITOR"), "monitor")
			require.Equal(t, tt.selectAll, g.has("SELECT"), "select")
			require.Equal(t, tt.schemas, g.SelectSchemas)
			require.Equal(t, tt.roles, g.Roles)
		})
	}
}
