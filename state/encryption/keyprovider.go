package encryption

import (
	"context"
	"encoding/json"
	"fmt"
)

// KeyLength is the length of every data key: AES-256.
const KeyLength = 32

// KeyProvider supplies the data key a method encrypts with, and finds it
// again from what it stored beside the ciphertext.
type KeyProvider interface {
	// Addr names the provider as the configuration does:
	// key_provider.TYPE.NAME.
	Addr() Addr
	// EncryptionKey returns the key to encrypt with and the metadata to
	// store with the ciphertext, from which DecryptionKey finds the key
	// again. The metadata holds no secret (a salt, a wrapped key).
	EncryptionKey(ctx context.Context) (key []byte, meta json.RawMessage, err error)
	// DecryptionKey returns the key meta stands for (meta was made by a
	// provider of the same type). current is false when meta was made
	// otherwise than this provider makes it now (other parameters, other
	// recipients): the file is then encrypted again at the next write.
	DecryptionKey(ctx context.Context, meta json.RawMessage) (key []byte, current bool, err error)
}

// Addr is the address of a key provider or a method in the
// configuration: key_provider.pbkdf2.main, method.aes_gcm.new.
type Addr struct {
	// Kind is "key_provider" or "method".
	Kind, Type, Name string
}

func (a Addr) String() string { return a.Kind + "." + a.Type + "." + a.Name }

// KeyProviderAddr is the address of the key provider TYPE "NAME".
func KeyProviderAddr(typ, name string) Addr { return Addr{Kind: "key_provider", Type: typ, Name: name} }

// MethodAddr is the address of the method TYPE "NAME".
func MethodAddr(typ, name string) Addr { return Addr{Kind: "method", Type: typ, Name: name} }

// checkKey refuses a key that is not a data key, whatever a provider
// returned.
func checkKey(a Addr, key []byte) error {
	if len(key) != KeyLength {
		return fmt.Errorf("%s gave a key of %d bytes, not %d", a, len(key), KeyLength)
	}
	return nil
}
