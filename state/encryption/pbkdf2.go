package encryption

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"sync"
	"unicode/utf8"
)

// The pbkdf2 key provider derives the data key from a passphrase with
// PBKDF2-HMAC-SHA512 (the standard library's crypto/pbkdf2, which
// golang.org/x/crypto/pbkdf2 now forwards to), as OpenTofu's does: a
// random salt per run, stored with the ciphertext with the iteration
// count, so that the count can be raised without losing older files.
const (
	// DefaultIterations is OWASP's recommendation for PBKDF2-HMAC-SHA512.
	DefaultIterations = 600_000
	// MinIterations is the fewest a configuration may ask for.
	MinIterations = 200_000
	// MaxIterations bounds what a stored file may ask for: a file that
	// names a billion would hang berth rather than fail.
	MaxIterations = 10_000_000
	// MinPassphraseLength is the shortest passphrase accepted, in
	// characters.
	MinPassphraseLength = 16
	saltLength          = 32
	pbkdf2Hash          = "sha512"
)

// PBKDF2Config configures a pbkdf2 key provider.
type PBKDF2Config struct {
	Name       string
	Passphrase string
	// Iterations is DefaultIterations when 0.
	Iterations int
}

// PBKDF2 is the pbkdf2 key provider. A derivation takes a good part of a
// second by design, so keys are derived once per salt, and a process
// encrypts with the key of the file it read when that key is current
// (same passphrase and iterations), or else with one new salt.
type PBKDF2 struct {
	addr       Addr
	passphrase string
	iterations int

	mu   sync.Mutex
	key  []byte          // the key to encrypt with, nil until first needed
	meta json.RawMessage // its metadata
	keys map[string][]byte
}

type pbkdf2Meta struct {
	Salt       []byte `json:"salt"`
	Iterations int    `json:"iterations"`
	Hash       string `json:"hash"`
}

// NewPBKDF2 returns a pbkdf2 key provider, or an error saying what is
// wrong with c (never showing the passphrase).
func NewPBKDF2(c PBKDF2Config) (*PBKDF2, error) {
	p := &PBKDF2{addr: KeyProviderAddr("pbkdf2", c.Name), passphrase: c.Passphrase, iterations: c.Iterations, keys: map[string][]byte{}}
	if p.iterations == 0 {
		p.iterations = DefaultIterations
	}
	if n := utf8.RuneCountInString(c.Passphrase); n < MinPassphraseLength {
		return nil, fmt.Errorf("the passphrase is %d characters long; it must have at least %d", n, MinPassphraseLength)
	}
	if p.iterations < MinIterations || p.iterations > MaxIterations {
		return nil, fmt.Errorf("iterations must be between %d and %d, not %d", MinIterations, MaxIterations, p.iterations)
	}
	return p, nil
}

// Addr implements KeyProvider.
func (p *PBKDF2) Addr() Addr { return p.addr }

// EncryptionKey implements KeyProvider.
func (p *PBKDF2) EncryptionKey(ctx context.Context) ([]byte, json.RawMessage, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != nil {
		return p.key, p.meta, nil
	}
	m := pbkdf2Meta{Salt: make([]byte, saltLength), Iterations: p.iterations, Hash: pbkdf2Hash}
	if _, err := rand.Read(m.Salt); err != nil {
		return nil, nil, err
	}
	key, err := p.derive(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	p.key, p.meta = key, meta
	p.keys[m.id()] = key // it decrypts what this process wrote
	return key, meta, nil
}

// DecryptionKey implements KeyProvider.
func (p *PBKDF2) DecryptionKey(ctx context.Context, raw json.RawMessage) ([]byte, bool, error) {
	var m pbkdf2Meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false, fmt.Errorf("the key metadata cannot be read: %w", err)
	}
	switch {
	case m.Hash != pbkdf2Hash:
		return nil, false, fmt.Errorf("the key was derived with hash %q, which berth does not know", m.Hash)
	case m.Iterations < 1 || m.Iterations > MaxIterations:
		return nil, false, fmt.Errorf("the key was derived with %d iterations, outside 1 to %d", m.Iterations, MaxIterations)
	case len(m.Salt) == 0:
		return nil, false, fmt.Errorf("the key metadata has no salt")
	}
	current := m.Iterations == p.iterations
	p.mu.Lock()
	defer p.mu.Unlock()
	if key, ok := p.keys[m.id()]; ok {
		return key, current, nil
	}
	key, err := p.derive(ctx, m)
	if err != nil {
		return nil, false, err
	}
	p.keys[m.id()] = key
	if current && p.key == nil {
		// Encrypt with the key just derived rather than derive another:
		// that would double the cost of a run, and a key used across
		// runs stays far below the 2^32 random nonces GCM allows.
		if meta, err := json.Marshal(m); err == nil {
			p.key, p.meta = key, meta
		}
	}
	return key, current, nil
}

func (p *PBKDF2) derive(ctx context.Context, m pbkdf2Meta) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(sha512.New, p.passphrase, m.Salt, m.Iterations, KeyLength)
	if err != nil {
		return nil, fmt.Errorf("deriving the key: %w", err)
	}
	return key, nil
}

// id identifies the key m stands for, with this provider's passphrase.
func (m pbkdf2Meta) id() string { return fmt.Sprintf("%x/%d", m.Salt, m.Iterations) }
