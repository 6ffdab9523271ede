package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// Build returns the TLS configuration of a connection to host (without
// port) under o, or nil when o disables TLS. label names the connection
// in errors, for example `source "orders" (db1:3306)`; a refused
// certificate says which connection, what failed and what to check.
func (o Options) Build(label, host string) (*tls.Config, error) {
	if !o.Enabled() {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s: loading the client certificate %s and key %s: %w", label, o.CertFile, o.KeyFile, err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	if o.Mode == Preferred || o.Mode == Required {
		// Encrypted but not authenticated, as --ssl-mode asks.
		c.InsecureSkipVerify = true
		return c, nil
	}
	var roots *x509.CertPool
	if o.CAFile != "" {
		pool, err := loadCAs(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: tls.ca_file: %w", label, err)
		}
		roots = pool
	}
	name := host
	if o.ServerName != "" {
		name = o.ServerName
	}
	v := verifier{label: label, mode: o.Mode, caFile: o.CAFile, roots: roots, serverName: o.ServerName}
	if o.Mode == VerifyIdentity {
		v.name = name
	}
	// The check is done here rather than by crypto/tls so that verify-ca
	// can skip the name and a refusal can say what to check.
	c.InsecureSkipVerify = true
	c.VerifyConnection = v.verify
	c.ServerName = name
	return c, nil
}

// verifier checks a server certificate chain under verify-ca or
// verify-identity.
type verifier struct {
	label, mode, caFile string
	roots               *x509.CertPool
	// name is the name the certificate must hold; empty under verify-ca.
	name, serverName string
}

func (v verifier) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%s: tls %s: the server sent no certificate", v.label, v.mode)
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter, DNSName: v.name})
	if err == nil {
		return nil
	}
	return v.explain(leaf, err)
}

// explain turns a verification error into one that names the connection
// and the setting to check.
func (v verifier) explain(leaf *x509.Certificate, err error) error {
	cas := "the system's CA certificates"
	if v.caFile != "" {
		cas = "tls.ca_file " + v.caFile
	}
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("%s: tls %s refused the server certificate (subject %q, issuer %q): it is not signed by a CA in %s; check that tls.ca_file holds the CA that issued the server's certificate: %w",
			v.label, v.mode, leaf.Subject.String(), leaf.Issuer.String(), cas, err)
	case errors.As(err, &host):
		fix := "connect by a name the certificate holds, or set tls.server_name to one of them"
		if v.serverName != "" {
			fix = "tls.server_name is " + v.serverName + "; set it to a name the certificate holds"
		}
		return fmt.Errorf("%s: tls %s refused the server certificate: it is valid for %s, not for %q; %s: %w",
			v.label, v.mode, certNames(leaf), v.name, fix, err)
	case errors.As(err, &invalid):
		return fmt.Errorf("%s: tls %s refused the server certificate (subject %q, valid %s to %s): %w",
			v.label, v.mode, leaf.Subject.String(), leaf.NotBefore.UTC().Format("2006-01-02"), leaf.NotAfter.UTC().Format("2006-01-02"), err)
	}
	return fmt.Errorf("%s: tls %s refused the server certificate checked against %s: %w", v.label, v.mode, cas, err)
}

// certNames lists the names and addresses a certificate is valid for.
func certNames(c *x509.Certificate) string {
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name (common name " + c.Subject.CommonName + " is not used for names)"
	}
	return strings.Join(names, ", ")
}
