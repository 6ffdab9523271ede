package testenv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// FakeSecrets is a local HTTP fake of the AWS Secrets Manager API that
// answers GetSecretValue from an in-memory map; point the SDK at it with
// AWS_ENDPOINT_URL_SECRETS_MANAGER=URL.
type FakeSecrets struct {
	URL string

	mu      sync.Mutex
	secrets map[string]string
	reads   map[string]int
}

// StartFakeSecrets starts a fake closed when t ends.
func StartFakeSecrets(t testing.TB) *FakeSecrets {
	f := &FakeSecrets{secrets: map[string]string{}, reads: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Set stores value as the secret string of id (an ARN or name).
func (f *FakeSecrets) Set(id, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[id] = value
}

// Reads returns how many times id was read.
func (f *FakeSecrets) Reads(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads[id]
}

func (f *FakeSecrets) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fail := func(code int, typ, msg string) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
	}
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		fail(http.StatusBadRequest, "InvalidRequestException", "only GetSecretValue is faked")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(http.StatusForbidden, "AccessDeniedException", "unsigned request")
		return
	}
	var in struct{ SecretId string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(http.StatusBadRequest, "InvalidRequestException", err.Error())
		return
	}
	f.mu.Lock()
	v, ok := f.secrets[in.SecretId]
	f.reads[in.SecretId]++
	f.mu.Unlock()
	if !ok {
		fail(http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ARN": in.SecretId, "Name": in.SecretId, "SecretString": v, "VersionId": "v1"})
}
