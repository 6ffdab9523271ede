package kinesis

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/tributary-cdc/tributary/internal/dms"
	"github.com/tributary-cdc/tributary/internal/keyexpr"
	"github.com/tributary-cdc/tributary/internal/problem"
)

// Check reports every problem of the settings to r, by their keys in the
// service configuration. Zero fields are accepted where they have a
// default, so it serves a block read from a file as well as Options with
// their defaults filled in.
func (o *Options) Check(r problem.Reporter) {
	if o.Region == "" && o.Client == nil {
		r.At("region", "is required")
	}
	if o.Endpoint != "" {
		if u, err := url.Parse(o.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.At("endpoint", "must be an http or https URL, for example http://127.0.0.1:4567")
		}
	}
	switch o.Format {
	case "", FormatNative:
		if o.DMS != nil {
			r.At("dms", "is only allowed with format dms")
		}
	case FormatDMS:
		if o.DMS != nil {
			switch o.DMS.BeforeImageField {
			case "data", "metadata", "control":
				r.At("dms.before_image_field", "collides with the record's own field")
			}
			switch o.DMS.ColumnFilter {
			case "", dms.ColumnFilterPKOnly, dms.ColumnFilterNonLOB, dms.ColumnFilterAll:
			default:
				r.At("dms.column_filter", fmt.Sprintf("must be %s, %s or %s", dms.ColumnFilterPKOnly, dms.ColumnFilterNonLOB, dms.ColumnFilterAll))
			}
		}
	default:
		r.At("format", fmt.Sprintf("must be %s or %s", FormatNative, FormatDMS))
	}
	if o.Stream == "" && len(o.Routes) == 0 {
		r.At("", "either stream or routes is required")
	}
	// The sink's drop_columns serve the routes that inherit them too.
	effective := o.Oversize
	for _, rt := range o.Routes {
		if rt.Oversize == OversizeDropColumns && rt.DropColumns == nil {
			effective = OversizeDropColumns
		}
	}
	checkRoute(r, o.PartitionKey, o.Oversize, effective, o.DropColumns)
	for i, rt := range o.Routes {
		rr := problem.Under(r, fmt.Sprintf("routes[%d]", i))
		switch {
		case rt.Tables == "":
			rr.At("tables", "is required")
		default:
			if _, err := path.Match(rt.Tables, ""); err != nil {
				rr.At("tables", "invalid pattern: "+err.Error())
			}
		}
		if rt.Stream == "" && o.Stream == "" {
			rr.At("stream", "is required when the sink has no stream")
		}
		effective := rt.Oversize
		if effective == "" {
			effective = o.Oversize
		}
		checkRoute(rr, rt.PartitionKey, rt.Oversize, effective, rt.DropColumns)
	}
	if f := o.FlushInterval; f != 0 && (f < MinFlushInterval || f > MaxFlushInterval) {
		r.At("flush_interval", fmt.Sprintf("must be between %s and %s", MinFlushInterval, MaxFlushInterval))
	}
	if n := o.MaxInFlight; n < 0 || n > MaxInFlightLimit {
		r.At("max_in_flight", fmt.Sprintf("must be between 1 and %d", MaxInFlightLimit))
	}
	if b := o.MaxBufferedBytes; b < 0 || (b != 0 && b < MaxRecordBytes) {
		r.At("max_buffered_bytes", fmt.Sprintf("must be at least %d (1 MiB)", MaxRecordBytes))
	}
}

// checkRoute reports problems of the fields a route shares with the sink;
// effective is the oversize policy that applies to it.
func checkRoute(r problem.Reporter, partitionKey, oversize, effective string, drop []string) {
	switch {
	case partitionKey == "", partitionKey == PartitionKeyPrimaryKey, partitionKey == PartitionKeyTable,
		partitionKey == PartitionKeyTransaction:
	case strings.HasPrefix(partitionKey, PartitionKeyConstant) && len(partitionKey) > len(PartitionKeyConstant):
	case strings.HasPrefix(partitionKey, PartitionKeyExpression):
		if _, err := keyexpr.Compile(strings.TrimPrefix(partitionKey, PartitionKeyExpression)); err != nil {
			r.At("partition_key", "expression: "+err.Error())
		}
	default:
		r.At("partition_key", "must be primary_key, table, transaction, constant:VALUE or expression:EXPR")
	}
	switch oversize {
	case "", OversizeFail, OversizeDropColumns:
	default:
		r.At("oversize", fmt.Sprintf("must be %s or %s", OversizeFail, OversizeDropColumns))
	}
	if drop != nil && effective != OversizeDropColumns {
		r.At("drop_columns", "only applies with oversize drop_columns")
	}
}

// validate reports every problem of o at once.
func (o *Options) validate() error {
	var l problem.List
	o.Check(&l)
	if o.Format == FormatDMS {
		if err := o.DMS.encoder().Validate(); err != nil {
			l.At("dms", err.Error())
		}
	}
	return l.Err()
}
