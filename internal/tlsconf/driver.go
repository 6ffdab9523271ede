package tlsconf

import (
	"fmt"
	"net"
	"regexp"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// registered numbers the TLS configurations registered with the driver,
// so each connection's name is unique.
var registered atomic.Uint64

// unsafeName matches what a registered name should not hold.
var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// ApplyDriver sets cfg's TLS under o for go-sql-driver/mysql: nothing for
// an empty mode (a DSN's own tls parameter is kept), plaintext for
// disabled, the driver's own "preferred", and otherwise a configuration
// registered with mysql.RegisterTLSConfig under a name unique to this
// connection (so a DSN formatted from cfg carries it too). id is a short
// name of the connection (source-orders, sink-target); label names it in
// errors.
func (o Options) ApplyDriver(cfg *mysql.Config, id, label string) error {
	switch o.Mode {
	case "":
		return nil
	case Disabled:
		cfg.TLSConfig, cfg.TLS, cfg.AllowFallbackToPlaintext = "false", nil, false
		return nil
	case Preferred:
		if o.CertFile == "" {
			cfg.TLSConfig, cfg.TLS = "preferred", nil
			return nil
		}
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host = cfg.Addr
	}
	tc, err := o.Build(label, host)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("tributary-%s-%d", unsafeName.ReplaceAllString(id, "_"), registered.Add(1))
	if err := mysql.RegisterTLSConfig(name, tc); err != nil {
		return fmt.Errorf("%s: registering the tls configuration: %w", label, err)
	}
	cfg.TLSConfig, cfg.TLS = name, tc.Clone()
	cfg.AllowFallbackToPlaintext = o.Mode == Preferred
	return nil
}
