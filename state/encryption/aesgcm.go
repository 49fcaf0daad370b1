package encryption

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
)

// AESGCM is the aes_gcm method: AES-256-GCM with a random 96-bit nonce
// per file, keyed by its key provider. A pbkdf2 key lasts as long as its
// salt (the runs of a state until its passphrase or iteration count
// change), an age key one run: thousands of writes, far below the 2^32
// that random nonces allow per key.
type AESGCM struct {
	addr Addr
	keys KeyProvider
}

// NewAESGCM returns the aes_gcm method called name, keyed by keys.
func NewAESGCM(name string, keys KeyProvider) *AESGCM {
	return &AESGCM{addr: MethodAddr("aes_gcm", name), keys: keys}
}

// Addr implements Method.
func (m *AESGCM) Addr() Addr { return m.addr }

// KeyProvider returns the method's key provider.
func (m *AESGCM) KeyProvider() KeyProvider { return m.keys }

// errWrongKey is why a ciphertext does not decrypt: GCM cannot tell a
// wrong key from an altered file.
var errWrongKey = errors.New("wrong key (not the passphrase or identity it was encrypted with), or the file was altered")

// seal encrypts plain into an envelope with header h.
func (m *AESGCM) seal(ctx context.Context, plain []byte, h Header) ([]byte, error) {
	key, meta, err := m.keys.EncryptionKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.keys.Addr(), err)
	}
	if err := checkKey(m.keys.Addr(), key); err != nil {
		return nil, err
	}
	kp := m.keys.Addr()
	env := envelope{FormatVersion: h.FormatVersion, Serial: h.Serial, Lineage: h.Lineage,
		Encryption: &sealInfo{Version: envelopeVersion, Method: m.addr.Type, MethodName: m.addr.Name,
			KeyProvider: kp.Type, KeyProviderName: kp.Name, Key: meta}}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	aad, err := additionalData(h.Kind, env)
	if err != nil {
		return nil, err
	}
	env.EncryptedData = aead.Seal(nonce, nonce, plain, aad)
	out, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// open decrypts env, a file of kind; current is false when its key was
// made otherwise than the key provider makes it now.
func (m *AESGCM) open(ctx context.Context, env *envelope, kind string) (plain []byte, current bool, err error) {
	key, current, err := m.keys.DecryptionKey(ctx, env.Encryption.Key)
	if err != nil {
		return nil, false, err
	}
	if err := checkKey(m.keys.Addr(), key); err != nil {
		return nil, false, err
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, false, err
	}
	aad, err := additionalData(kind, *env)
	if err != nil {
		return nil, false, err
	}
	data := env.EncryptedData
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, false, errors.New("the ciphertext is truncated")
	}
	plain, err = aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], aad)
	if err != nil {
		return nil, false, errWrongKey
	}
	return plain, current, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
