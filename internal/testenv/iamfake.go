package testenv

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
)

// FakeIAMServer speaks the MySQL protocol (go-mysql's server) over TLS and
// accepts a user only with a valid RDS IAM authentication token as its
// clear-text password, as RDS does: it signs the token's request again
// with the test's credentials at the token's own time and compares. It
// answers nothing but the handshake and pings.
type FakeIAMServer struct {
	Port int

	creds  aws.Credentials
	region string
	ln     net.Listener
	srv    *server.Server
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	tokens []string
}

// StartFakeIAMServer listens on 127.0.0.1 with the certificate files,
// accepting tokens signed with creds for region; it stops when t ends.
func StartFakeIAMServer(t testing.TB, files TLSFiles, region string, creds aws.Credentials) *FakeIAMServer {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		t.Fatalf("loading the fake IAM server's certificate: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	f := &FakeIAMServer{Port: ln.Addr().(*net.TCPAddr).Port, creds: creds, region: region, ln: ln, conns: map[net.Conn]bool{}}
	// As RDS: the handshake offers mysql_native_password and the IAM user
	// switches to mysql_clear_password.
	f.srv = server.NewServerWithAuth("8.0.36-fake-rds", mysql.DEFAULT_COLLATION_ID, mysql.AUTH_NATIVE_PASSWORD, nil,
		&tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, f)
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.stop)
	return f
}

// Tokens returns the valid tokens received so far, in order.
func (f *FakeIAMServer) Tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...)
}

func (f *FakeIAMServer) stop() {
	_ = f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *FakeIAMServer) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns[c] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(c)
	}
}

func (f *FakeIAMServer) serve(c net.Conn) {
	defer f.wg.Done()
	defer func() {
		_ = c.Close()
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
	}()
	conn, err := f.srv.NewCustomizedConn(c, f, &server.EmptyHandler{})
	if err != nil {
		return
	}
	for !conn.Closed() {
		if err := conn.HandleCommand(); err != nil {
			return
		}
	}
}

// GetCredential implements server.AuthenticationHandler: every user
// authenticates with mysql_clear_password, checked by Authenticate.
func (f *FakeIAMServer) GetCredential(string) (server.Credential, bool, error) {
	return server.Credential{Passwords: []string{"(an IAM token)"}, AuthPluginName: mysql.AUTH_CLEAR_PASSWORD}, true, nil
}

// OnAuthSuccess implements server.AuthenticationHandler.
func (f *FakeIAMServer) OnAuthSuccess(*server.Conn) error { return nil }

// OnAuthFailure implements server.AuthenticationHandler.
func (f *FakeIAMServer) OnAuthFailure(*server.Conn, error) {}

// Validate implements server.AuthenticationProvider.
func (f *FakeIAMServer) Validate(plugin string) bool {
	return plugin == mysql.AUTH_CLEAR_PASSWORD || plugin == mysql.AUTH_NATIVE_PASSWORD
}

// Authenticate implements server.AuthenticationProvider: the clear-text
// password must be a token for this server's address and the user, sent
// over TLS.
func (f *FakeIAMServer) Authenticate(c *server.Conn, plugin string, data []byte) error {
	denied := func(why string) error {
		return mysql.NewError(mysql.ER_ACCESS_DENIED_ERROR, fmt.Sprintf("Access denied for user '%s' (%s)", c.GetUser(), why))
	}
	if _, ok := c.Conn.Conn.(*tls.Conn); !ok {
		return denied("not over TLS")
	}
	if plugin != mysql.AUTH_CLEAR_PASSWORD {
		return denied("not mysql_clear_password")
	}
	token := strings.TrimSuffix(string(data), "\x00")
	if err := f.verify(token, c.GetUser()); err != nil {
		return denied(err.Error())
	}
	f.mu.Lock()
	f.tokens = append(f.tokens, token)
	f.mu.Unlock()
	return nil
}

// verify signs the token's request again at its X-Amz-Date and compares.
func (f *FakeIAMServer) verify(token, user string) error {
	u, err := url.Parse("https://" + token)
	if err != nil {
		return errors.New("token does not parse")
	}
	q := u.Query()
	want := net.JoinHostPort("127.0.0.1", fmt.Sprint(f.Port))
	if u.Host != want || q.Get("Action") != "connect" || q.Get("DBUser") != user {
		return fmt.Errorf("token is for %s user %s action %s", u.Host, q.Get("DBUser"), q.Get("Action"))
	}
	at, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil || time.Since(at) > 15*time.Minute {
		return errors.New("token date missing or expired")
	}
	req, _ := http.NewRequest(http.MethodGet, "https://"+want, nil)
	v := url.Values{"Action": {"connect"}, "DBUser": {user}, "X-Amz-Expires": {"900"}}
	req.URL.RawQuery = v.Encode()
	empty := sha256.Sum256(nil)
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), f.creds, req, hex.EncodeToString(empty[:]), "rds-db", f.region, at)
	if err != nil {
		return err
	}
	if strings.TrimPrefix(signed, "https://") != token {
		return errors.New("token signature does not match")
	}
	return nil
}
