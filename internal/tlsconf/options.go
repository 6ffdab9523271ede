// Package tlsconf builds the TLS settings of one server connection (a
// source, a target) for both MySQL clients the service uses: the binlog
// client (go-mysql) and the SQL driver (go-sql-driver/mysql). Its modes
// are those of the MySQL client's --ssl-mode.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/tributary-cdc/tributary/internal/problem"
)

// The modes, as the MySQL client's --ssl-mode.
const (
	// Disabled connects without TLS (the default).
	Disabled = "disabled"
	// Preferred uses TLS when the server offers it, without checking its
	// certificate, and plaintext otherwise.
	Preferred = "preferred"
	// Required refuses plaintext but does not check the certificate.
	Required = "required"
	// VerifyCA also checks that the server certificate is signed by a CA
	// of CAFile (or of the system pool without it).
	VerifyCA = "verify-ca"
	// VerifyIdentity also checks that the certificate names the host
	// connected to, or ServerName.
	VerifyIdentity = "verify-identity"
)

// Options are one connection's tls block.
type Options struct {
	// Mode is Disabled (default), Preferred, Required, VerifyCA or
	// VerifyIdentity.
	Mode string `yaml:"mode"`
	// CAFile is a PEM file of one or more CA certificates (a bundle such
	// as the RDS global bundle works); without it the system pool is used.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate and its key (PEM), for
	// servers that require X509 of the user; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name verify-identity expects in the certificate
	// instead of the host connected to (for example when connecting
	// through a tunnel or by IP address).
	ServerName string `yaml:"server_name"`
}

// Enabled reports whether the connection uses TLS at all (preferred may
// still fall back to plaintext).
func (o Options) Enabled() bool { return o.Mode != "" && o.Mode != Disabled }

// Secure reports whether the connection refuses plaintext.
func (o Options) Secure() bool { return o.Enabled() && o.Mode != Preferred }

// Check reports every problem of the block to r by its keys (mode,
// ca_file, cert_file, key_file): a mode that is none of the known ones,
// files that do not exist or do not parse.
func (o Options) Check(r problem.Reporter) {
	switch o.Mode {
	case "", Disabled, Preferred, Required, VerifyCA, VerifyIdentity:
	default:
		r.At("mode", fmt.Sprintf("must be one of %s, %s, %s, %s, %s", Disabled, Preferred, Required, VerifyCA, VerifyIdentity))
	}
	if !o.Enabled() {
		for _, f := range []struct{ key, val string }{{"ca_file", o.CAFile}, {"cert_file", o.CertFile}, {"key_file", o.KeyFile}, {"server_name", o.ServerName}} {
			if f.val != "" {
				r.At(f.key, "needs a tls mode other than disabled")
			}
		}
		return
	}
	if o.CAFile != "" {
		if _, err := loadCAs(o.CAFile); err != nil {
			r.At("ca_file", err.Error())
		}
	}
	switch {
	case o.CertFile != "" && o.KeyFile == "":
		r.At("key_file", "is required with cert_file")
	case o.CertFile == "" && o.KeyFile != "":
		r.At("cert_file", "is required with key_file")
	case o.CertFile != "":
		if _, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile); err != nil {
			r.At("cert_file", "loading the client certificate and key: "+err.Error())
		}
	}
	if o.ServerName != "" && o.Mode != VerifyIdentity {
		r.At("server_name", "is only checked by mode "+VerifyIdentity)
	}
}

// loadCAs reads a PEM bundle of CA certificates.
func loadCAs(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("no PEM certificate in " + file)
	}
	return pool, nil
}
