// Package source owns the binlog reader of one source cluster.
//
// A Reader streams row changes as ordered transactions, keeps schema history
// across DDL, and checks a server's binlog settings and grants before
// streaming.
//
// # Positions
//
// A Reader streams by GTID where the position has a GTID set (MariaDB
// domain-server-sequence, MySQL and Aurora UUID sets) and by binlog file
// and offset otherwise; every End position carries the file and offset as
// well, and the GTID set where it is known (MariaDB translates a file/pos
// start into its GTID position; on MySQL a start without a GTID set stays
// without one). A file/pos position without GTIDs is only valid on the
// server it was taken on: resuming it on another server fails with
// ErrServerChanged. A position the server no longer has fails with
// ErrPositionPurged.
//
// # Transactions
//
// Every transaction ends with a part whose Last is set and whose End may be
// checkpointed. Large transactions come in several parts of at most
// Options.MaxPartChanges changes and about Options.MaxPartBytes bytes. After
// a lost connection the reader resumes at the End of the last complete
// transaction, so the parts of an interrupted transaction are sent again,
// from Part 0 and with the same Seq; consumers must treat a repeated part
// as an idempotent overwrite. Transactions that touch no included table are
// held back and only the latest is sent once a second, so the checkpoint of
// a source busy with other tables still moves.
//
// # Memory
//
// go-mysql reads at most queueEvents events or queueBytes bytes of events
// ahead of the reader (queue.go). An event larger than one protocol packet
// (a row over 16 MiB) holds about twice its size, and while the rows of
// one are still in use downstream the connection is not read further (for
// at most largeHoldLimit), so two such events never overlap (see
// largeevent.go).
//
// # Privileges
//
// The replication user needs, on MariaDB 10.5 and later:
//
//	CREATE USER 'tributary'@'%' IDENTIFIED BY '...';
//	GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'tributary'@'%';
//
// and on MySQL 8 and Aurora MySQL (run as the master user on Aurora):
//
//	CREATE USER 'tributary'@'%' IDENTIFIED BY '...';
//	GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'tributary'@'%';
//
// REPLICATION SLAVE streams the binary log; BINLOG MONITOR (MariaDB) or
// REPLICATION CLIENT (MySQL) reads the binlog status for the current
// position; SELECT lets information_schema describe the tables (it may be
// narrowed to the replicated schemas, GRANT SELECT ON `db`.* ...).
//
// # Server settings
//
// log_bin on, binlog_format=ROW, binlog_row_image=FULL, and preferably
// binlog_row_metadata=FULL. With MINIMAL or NO_LOG, column names come from
// the schema history: on its first start the reader records every included
// table at the start position, and at each DDL it records the table as
// information_schema describes it when the DDL is read. A reader that
// reads a DDL only after the same table changed again therefore records
// the later description and stops with a schema mismatch at the rows in
// between; FULL metadata has no such gap. Preflight checks all of these.
//
// # Limitations
//
// XA transactions are streamed when prepared, not when committed. On MySQL
// CREATE TABLE ... SELECT is one transaction, but its rows arrive as a
// transaction of their own after the CREATE, which already carries the
// GTID: a resume by GTID between the two would skip the rows.
package source
