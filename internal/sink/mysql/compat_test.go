package mysql_test

import (
	"github.com/tributary-cdc/tributary/internal/replicator"
	"github.com/tributary-cdc/tributary/internal/sink/mysql"
)

var _ replicator.Sink = (*mysql.Sink)(nil)
