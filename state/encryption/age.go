package encryption

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"filippo.io/age"
)

// The age key provider makes a random data key and wraps it with age
// (filippo.io/age) for each of its recipients: whoever holds the identity
// of any one of them can decrypt. Several recipients are the break-glass
// keys: the CI's, and one kept offline. Wrapping needs only the public
// recipients; unwrapping needs an identity, from the configuration or a
// file.
//
// age gives confidentiality, not authenticity: whoever knows the
// recipients (they are public) can make a file that decrypts. The pbkdf2
// provider, whose key only the passphrase's holders can derive, gives
// both.

// AgeConfig configures an age key provider.
type AgeConfig struct {
	Name string
	// Recipients are age public keys (age1…, age1pq1…).
	Recipients []string
	// Identity holds age identities (AGE-SECRET-KEY-1…), one a line;
	// IdentityFile names a file of them (~ for the home directory). Either
	// is needed to decrypt, neither to encrypt.
	Identity, IdentityFile string
}

// Age is the age key provider.
type Age struct {
	addr         Addr
	recipients   []age.Recipient
	names        []string // the recipients, sorted: compared with a file's
	identity     string
	identityFile string

	mu         sync.Mutex
	key        []byte // the key to encrypt with, nil until first needed
	meta       json.RawMessage
	identities []age.Identity    // parsed on first use
	keys       map[string][]byte // unwrapped keys, by wrapped key
}

type ageMeta struct {
	// Recipients are those the key was wrapped for, sorted: a file
	// wrapped for others than the configured ones is wrapped again.
	Recipients []string `json:"recipients"`
	WrappedKey []byte   `json:"wrapped_key"`
}

// NewAge returns an age key provider, or an error saying what is wrong
// with c.
func NewAge(c AgeConfig) (*Age, error) {
	if len(c.Recipients) == 0 {
		return nil, errors.New("at least one recipient is needed")
	}
	a := &Age{addr: KeyProviderAddr("age", c.Name), identity: c.Identity, identityFile: c.IdentityFile, keys: map[string][]byte{}}
	for i, r := range c.Recipients {
		r = strings.TrimSpace(r)
		if strings.HasPrefix(strings.ToUpper(r), "AGE-SECRET-KEY-") {
			return nil, fmt.Errorf("recipient %d is a secret key, not a recipient: give its public key (age-keygen -y prints it), and keep the secret key out of the configuration", i+1)
		}
		parsed, err := age.ParseRecipients(strings.NewReader(r))
		if err != nil || len(parsed) != 1 {
			return nil, fmt.Errorf("recipient %d (%q) is not an age recipient (age1…)", i+1, r)
		}
		a.recipients = append(a.recipients, parsed[0])
		a.names = append(a.names, r)
	}
	slices.Sort(a.names)
	a.names = slices.Compact(a.names)
	return a, nil
}

// Addr implements KeyProvider.
func (a *Age) Addr() Addr { return a.addr }

// EncryptionKey implements KeyProvider.
func (a *Age) EncryptionKey(ctx context.Context) ([]byte, json.RawMessage, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.key != nil {
		return a.key, a.meta, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	key := make([]byte, KeyLength)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	var wrapped bytes.Buffer
	w, err := age.Encrypt(&wrapped, a.recipients...)
	if err != nil {
		return nil, nil, fmt.Errorf("wrapping the key for the recipients: %w", err)
	}
	if _, err := w.Write(key); err != nil {
		return nil, nil, err
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	meta, err := json.Marshal(ageMeta{Recipients: a.names, WrappedKey: wrapped.Bytes()})
	if err != nil {
		return nil, nil, err
	}
	a.key, a.meta = key, meta
	a.keys[string(wrapped.Bytes())] = key // it decrypts what this process wrote
	return key, meta, nil
}

// DecryptionKey implements KeyProvider.
func (a *Age) DecryptionKey(ctx context.Context, raw json.RawMessage) ([]byte, bool, error) {
	var m ageMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false, fmt.Errorf("the key metadata cannot be read: %w", err)
	}
	current := slices.Equal(m.Recipients, a.names)
	a.mu.Lock()
	defer a.mu.Unlock()
	if key, ok := a.keys[string(m.WrappedKey)]; ok {
		return key, current, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	ids, err := a.loadIdentities()
	if err != nil {
		return nil, false, err
	}
	r, err := age.Decrypt(bytes.NewReader(m.WrappedKey), ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, false, fmt.Errorf("its identity is not one of the recipients the key was wrapped for (%s)", strings.Join(m.Recipients, ", "))
		}
		return nil, false, fmt.Errorf("unwrapping the key: %w", err)
	}
	key, err := io.ReadAll(io.LimitReader(r, KeyLength+1))
	if err != nil {
		return nil, false, fmt.Errorf("unwrapping the key: %w", err)
	}
	a.keys[string(m.WrappedKey)] = key
	return key, current, nil
}

// loadIdentities parses the identities, once.
func (a *Age) loadIdentities() ([]age.Identity, error) {
	if a.identities != nil {
		return a.identities, nil
	}
	text, from := a.identity, "identity"
	switch {
	case a.identity != "":
	case a.identityFile != "":
		path, err := expandHome(a.identityFile)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading its identity_file: %w", err)
		}
		text, from = string(data), "identity_file "+path
	default:
		return nil, errors.New("it has no identity to decrypt with: set identity or identity_file")
	}
	ids, err := age.ParseIdentities(strings.NewReader(text))
	if err != nil {
		// age's errors never quote the key material.
		return nil, fmt.Errorf("its %s holds no age identity: %w", from, err)
	}
	a.identities = ids
	return ids, nil
}

// expandHome replaces a leading ~/ with the home directory.
func expandHome(path string) (string, error) {
	rest, ok := strings.CutPrefix(path, "~/")
	if !ok && path != "~" {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("identity_file %s: %w", path, err)
	}
	return filepath.Join(home, rest), nil
}
