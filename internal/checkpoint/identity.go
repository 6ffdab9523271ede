package checkpoint

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tributary-cdc/tributary/internal/change"
)

// Server identifies the source server whose binary log a source's
// positions were read from: its @@server_uuid on MySQL, its @@server_id on
// MariaDB (which has no uuid).
type Server struct {
	Flavor string `json:"flavor"`
	ID     uint32 `json:"server_id,omitempty"`
	UUID   string `json:"server_uuid,omitempty"`
}

// ServerOf returns the server p was read from; zero when p does not say.
func ServerOf(p change.Position) Server {
	if p.ServerID == 0 && p.ServerUUID == "" {
		return Server{}
	}
	return Server{Flavor: p.Flavor, ID: p.ServerID, UUID: p.ServerUUID}
}

// IsZero reports whether s identifies no server.
func (s Server) IsZero() bool { return s.ID == 0 && s.UUID == "" }

// Same reports whether s and o are the same server: by uuid where either
// has one (MySQL servers often share a server id), else by server id.
func (s Server) Same(o Server) bool {
	if s.Flavor != "" && o.Flavor != "" && s.Flavor != o.Flavor {
		return false
	}
	if s.UUID != "" || o.UUID != "" {
		return s.UUID == o.UUID
	}
	return s.ID == o.ID
}

// String renders s for messages: "mysql server_uuid=…" or "mariadb server_id=…".
func (s Server) String() string {
	if s.UUID != "" {
		return fmt.Sprintf("%s server_uuid=%s", s.Flavor, s.UUID)
	}
	return fmt.Sprintf("%s server_id=%d", s.Flavor, s.ID)
}

// ID returns the store's id, recorded when the store was first bound to
// its sources, or ErrNotFound.
func (s *Store) ID() (string, error) {
	if err := s.acquire(); err != nil {
		return "", err
	}
	defer s.mu.RUnlock()
	var id string
	if err := s.getJSON(storeIDKey(), &id); err != nil {
		return "", fmt.Errorf("store id: %w", err)
	}
	return id, nil
}

// Server returns the server recorded for source, or ErrNotFound.
func (s *Store) Server(source string) (Server, error) {
	if err := checkName("source", source); err != nil {
		return Server{}, err
	}
	if err := s.acquire(); err != nil {
		return Server{}, err
	}
	defer s.mu.RUnlock()
	var srv Server
	if err := s.getJSON(serverKey(source), &srv); err != nil {
		return Server{}, fmt.Errorf("server of source %s: %w", source, err)
	}
	return srv, nil
}

// Bind records, in one synced commit, a new random store id if the store
// has none yet, the server of each source in servers, and the positions.
// It returns the store's id.
func (s *Store) Bind(servers map[string]Server, positions map[string]change.Position) (string, error) {
	if err := s.acquire(); err != nil {
		return "", err
	}
	defer s.mu.RUnlock()
	b := s.db.NewBatch()
	var id string
	err := s.getJSON(storeIDKey(), &id)
	if errors.Is(err, ErrNotFound) {
		id, err = newStoreID()
		if err == nil {
			err = setJSON(b, storeIDKey(), id)
		}
	}
	if err != nil {
		return "", errors.Join(fmt.Errorf("store id: %w", err), b.Close())
	}
	for source, srv := range servers {
		if err := checkName("source", source); err != nil {
			return "", errors.Join(err, b.Close())
		}
		if err := setJSON(b, serverKey(source), srv); err != nil {
			return "", errors.Join(fmt.Errorf("server of source %s: %w", source, err), b.Close())
		}
	}
	for source, pos := range positions {
		if err := checkName("source", source); err != nil {
			return "", errors.Join(err, b.Close())
		}
		if err := setJSON(b, positionKey(source), pos); err != nil {
			return "", errors.Join(fmt.Errorf("position of source %s: %w", source, err), b.Close())
		}
	}
	if err := s.commitLocked(b); err != nil {
		return "", fmt.Errorf("binding the store to %s: %w", sources(len(servers)), err)
	}
	return id, nil
}

func newStoreID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// getJSON decodes the value of key into v; ErrNotFound when it is missing.
// The caller holds the read lock.
func (s *Store) getJSON(key []byte, v any) error {
	value, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("reading: %w", err)
	}
	err = json.Unmarshal(value, v)
	if cerr := closer.Close(); err == nil && cerr != nil {
		return fmt.Errorf("reading: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	return nil
}

func setJSON(b *pebble.Batch, key []byte, v any) error {
	value, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	if err := b.Set(key, value, nil); err != nil {
		return fmt.Errorf("batching: %w", err)
	}
	return nil
}
